// Site-wide behaviour on every page: the menu button on narrow screens and tables that scroll
// inside themselves. Every page works without this file (the menu then stays open).
(function () {
  "use strict";

  // Navigation: collapse the menu behind a button (CSS shows the button below 64rem only).
  var header = document.querySelector(".site-header");
  var button = header && header.querySelector(".menu-button");
  var menu = header && document.getElementById("site-menu");
  if (button && menu) {
    header.classList.add("has-menu-button");
    var setOpen = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    };
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
  }

  // Tables: a scroll region around each one, so wide tables never widen the page; while a table
  // is wider than its region (checked again when the window is resized: a phone turned, a
  // narrower window) the region is focusable and labelled, so keyboard users can scroll it.
  var scrollers = [];
  var markScrollable = function (wrapper) {
    if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      var caption = wrapper.querySelector("caption");
      var label = caption ? caption.textContent.trim() : document.documentElement.lang === "en" ? "Table" : "Tabel";
      wrapper.setAttribute("aria-label", label);
    } else if (wrapper !== document.activeElement) {
      wrapper.removeAttribute("tabindex");
      wrapper.removeAttribute("role");
      wrapper.removeAttribute("aria-label");
    }
  };
  Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
    if (table.parentElement.classList.contains("table-scroll")) {
      return;
    }
    var wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    table.parentNode.insertBefore(wrapper, table);
    wrapper.appendChild(table);
    scrollers.push(wrapper);
    markScrollable(wrapper);
  });
  if (scrollers.length) {
    window.addEventListener("resize", function () {
      scrollers.forEach(markScrollable);
    });
  }

  // Glossary terms in lesson text: a link to the glossary that, with JavaScript, opens the
  // definition in a popover right below it (Escape or the close button closes it, focus returns).
  var definitions = document.querySelector(".term-definitions");
  if (definitions) {
    var english = document.documentElement.lang === "en";
    var popover = document.createElement("div");
    popover.className = "term-popover";
    popover.id = "term-popover";
    popover.setAttribute("role", "dialog");
    popover.hidden = true;
    var openTerm = null;
    var closePopover = function (returnFocus) {
      if (!openTerm) {
        return;
      }
      popover.hidden = true;
      openTerm.setAttribute("aria-expanded", "false");
      if (returnFocus) {
        openTerm.focus();
      }
      openTerm = null;
    };
    var showPopover = function (link) {
      var source = document.getElementById(link.getAttribute("data-term"));
      if (!source) {
        return false;
      }
      closePopover(false);
      popover.innerHTML = "";
      var heading = document.createElement("p");
      heading.className = "term-popover-title";
      heading.id = "term-popover-title";
      heading.textContent = source.getAttribute("data-title");
      var body = document.createElement("div");
      body.innerHTML = source.innerHTML;
      var more = document.createElement("a");
      more.href = link.href;
      more.textContent = english ? "In the glossary" : "In de begrippenlijst";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "term-popover-close";
      close.textContent = english ? "Close" : "Sluiten";
      close.addEventListener("click", function () {
        closePopover(true);
      });
      popover.setAttribute("aria-labelledby", "term-popover-title");
      popover.appendChild(heading);
      popover.appendChild(body);
      var actions = document.createElement("p");
      actions.className = "term-popover-actions";
      actions.appendChild(more);
      actions.appendChild(close);
      popover.appendChild(actions);
      link.insertAdjacentElement("afterend", popover);
      popover.hidden = false;
      link.setAttribute("aria-expanded", "true");
      openTerm = link;
      close.focus();
      return true;
    };
    Array.prototype.forEach.call(document.querySelectorAll("a.term[data-term]"), function (link) {
      link.setAttribute("aria-expanded", "false");
      link.setAttribute("aria-controls", "term-popover");
      link.addEventListener("click", function (event) {
        if (openTerm === link) {
          event.preventDefault();
          closePopover(true);
        } else if (showPopover(link)) {
          event.preventDefault();
        }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && openTerm) {
        closePopover(true);
      }
    });
  }

  // Idle sessions on a shared practice PC: the server ends a session after data-idle-seconds
  // without a request; a minute before, a warning offers to stay logged in. Typing or clicking
  // counts as being here (a ping at most every minute), so nobody is logged out mid-answer.
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds"), 10);
  if (idleSeconds > 0) {
    var pingUrl = body.getAttribute("data-idle-ping-url");
    var warning = document.getElementById("idle-warning");
    var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
    var lastServerContact = Date.now();
    var warnTimer = null;
    var endTimer = null;
    var previousFocus = null;
    var schedule = function () {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      var elapsed = Date.now() - lastServerContact;
      // The server notes activity at most every 30 seconds, so the page acts 30 seconds early.
      warnTimer = window.setTimeout(showWarning, Math.max(0, (idleSeconds - 90) * 1000 - elapsed));
      endTimer = window.setTimeout(endSession, Math.max(0, (idleSeconds - 30) * 1000 - elapsed));
    };
    var ping = function () {
      lastServerContact = Date.now();
      schedule();
      return fetch(pingUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfInput ? csrfInput.value : "" },
      }).catch(function () {});
    };
    var showWarning = function () {
      if (!warning || !warning.hidden) {
        return;
      }
      previousFocus = document.activeElement;
      warning.hidden = false;
      warning.querySelector("[data-idle-stay]").focus();
    };
    var hideWarning = function () {
      if (warning && !warning.hidden) {
        warning.hidden = true;
        if (previousFocus && previousFocus.focus) {
          previousFocus.focus();
        }
      }
    };
    var endSession = function () {
      // Log out for real (the header's logout form), so going back shows nothing of the account.
      var logoutForm = document.querySelector(".site-header form[action$='/logout/']");
      if (logoutForm) {
        logoutForm.submit();
      } else {
        window.location.assign(body.getAttribute("data-idle-login-url"));
      }
    };
    if (warning) {
      warning.querySelector("[data-idle-stay]").addEventListener("click", function () {
        hideWarning();
        ping();
      });
    }
    var activity = function () {
      if (warning && !warning.hidden) {
        return; // the learner answers the warning itself
      }
      if (Date.now() - lastServerContact > 60000) {
        ping();
      }
    };
    ["keydown", "input", "pointerdown"].forEach(function (type) {
      document.addEventListener(type, activity, { passive: true });
    });
    schedule();
  }
})();
