// Video embeds (YouTube on youtube-nocookie.com, Vimeo): nothing loads from the video host until
// the learner presses "Video laden"; the choice may be remembered per provider in this browser.
// Without this file the notice's link to the video's own page still works.
(function () {
  "use strict";

  var KEY_PREFIX = "spreekkamer.video-consent.";

  function remembered(provider) {
    try {
      return window.localStorage.getItem(KEY_PREFIX + provider) === "yes";
    } catch (error) {
      return false; // storage blocked: ask every time
    }
  }

  function remember(provider) {
    try {
      window.localStorage.setItem(KEY_PREFIX + provider, "yes");
    } catch (error) {
      // storage blocked: the video still loads this time
    }
  }

  function load(notice, moveFocus) {
    var frame = document.createElement("iframe");
    frame.className = "video-frame";
    frame.title = notice.getAttribute("data-frame-title");
    frame.src = notice.getAttribute("data-embed-src");
    frame.setAttribute("allow", "fullscreen; picture-in-picture; encrypted-media");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    var wrapper = document.createElement("div");
    wrapper.className = "video-embed";
    wrapper.appendChild(frame);
    notice.replaceWith(wrapper);
    if (moveFocus) {
      frame.focus(); // the button the learner pressed is gone: keep them at the video
    }
  }

  function loadRemembered(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-video-consent]"), function (notice) {
      if (remembered(notice.getAttribute("data-provider"))) {
        load(notice, false);
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-video-load]");
    var notice = button && button.closest("[data-video-consent]");
    if (!notice) {
      return;
    }
    var checkbox = notice.querySelector("[data-video-remember]");
    if (checkbox && checkbox.checked) {
      remember(notice.getAttribute("data-provider"));
    }
    load(notice, true);
  });

  loadRemembered(document);
})();
