// Lesson player: time heartbeat and in-place scenario choices. The page works without this file.
(function () {
  "use strict";

  var player = document.querySelector(".player");
  if (!player) {
    return;
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";
  var HEARTBEAT_MS = 1000 * (parseInt(player.getAttribute("data-heartbeat-seconds"), 10) || 30);

  // Heartbeat: count time only while the lesson is visible. The server credits at most one
  // interval per beat and shares one clock between tabs; when the page is hidden a last beat
  // counts the time up to then, and when it shows again a start beat restarts the clock (the
  // hidden time is never counted).
  var heartbeatUrl = player.getAttribute("data-heartbeat-url");
  function send(start, keepalive) {
    var body = new FormData();
    if (start) {
      body.append("start", "1");
    }
    fetch(heartbeatUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken },
      body: body,
      keepalive: keepalive,
    }).catch(function () {
      // Offline for a moment: the next beat counts again.
    });
  }
  function beat() {
    if (document.visibilityState === "visible") {
      send(false, false);
    }
  }
  if (heartbeatUrl) {
    window.setInterval(beat, HEARTBEAT_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        send(true, false);
      } else {
        send(false, true);
      }
    });
  }

  // Reflections: the fields belong to the completion form, so one typed but not saved goes
  // along with "Les afronden" (and "Reflectie opslaan" posts the same form to the reflection's
  // own URL, which saves every reflection typed); leaving the page any other way asks first.
  var leaving = false;
  function unsavedReflections() {
    var boxes = player.querySelectorAll(".reflection-form textarea");
    return Array.prototype.filter.call(boxes, function (box) {
      return box.value.trim() !== "" && box.value.trim() !== box.defaultValue.trim();
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("complete-lesson")) {
      leaving = true;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && unsavedReflections().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Scenarios and practice quizzes: submit with fetch and swap in the block's partial, which has
  // its own URL. The forms post normally when this script is absent or the request fails.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("swap-form")) {
      return;
    }
    var container = form.closest(".swap-target");
    if (!container || !form.getAttribute("action") || !container.getAttribute("data-partial-url")) {
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    if (submitter) {
      submitter.disabled = true;
    }
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, "X-Spreekkamer-Partial": "1" },
      body: new FormData(form),
    })
      .then(function (response) {
        // Anything but the partial (e.g. a login page after the session expired): fall back
        // to a normal submit so the learner sees what the server says.
        var partialUrl = new URL(container.getAttribute("data-partial-url"), window.location.href);
        var isPartial = new URL(response.url).pathname === partialUrl.pathname;
        return response.text().then(function (html) {
          return { ok: isPartial && (response.ok || response.status === 400), html: html };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          form.submit();
          return;
        }
        container.innerHTML = result.html;
        // Move focus to what changed so keyboard and screen-reader users get the feedback.
        var target =
          container.querySelector(".error-summary, .errorlist") ||
          last(container.querySelectorAll(".scenario-step-done")) ||
          container.querySelector(".practice-score") ||
          container;
        target.setAttribute("tabindex", "-1");
        target.focus();
      })
      .catch(function () {
        form.submit();
      });
  });

  function last(nodes) {
    return nodes.length ? nodes[nodes.length - 1] : null;
  }
})();
