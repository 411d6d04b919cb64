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

  // Heartbeat: count time only while the lesson is visible (the server ignores long gaps).
  var heartbeatUrl = player.getAttribute("data-heartbeat-url");
  function beat() {
    if (document.visibilityState !== "visible") {
      return;
    }
    fetch(heartbeatUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken },
    }).catch(function () {
      // Offline for a moment: the next beat counts again.
    });
  }
  if (heartbeatUrl) {
    window.setInterval(beat, HEARTBEAT_MS);
  }

  // Scenarios: submit the choice with fetch and swap in the scenario's partial (its own URL).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("scenario-form")) {
      return;
    }
    var container = form.closest(".scenario-state");
    if (!container || !form.getAttribute("action")) {
      return;
    }
    event.preventDefault();
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
        // Move focus to the newest feedback so keyboard and screen-reader users hear it.
        var feedback = container.querySelectorAll(".scenario-step-done");
        var target = feedback.length ? feedback[feedback.length - 1] : container;
        target.setAttribute("tabindex", "-1");
        target.focus();
      })
      .catch(function () {
        form.submit();
      });
  });
})();
