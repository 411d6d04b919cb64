// 'Wat vind jij?': polls the session state once a second and shows the distribution in place.
// When the facilitator puts another statement on the screen, the page reloads to show it.
(function () {
  "use strict";
  var root = document.querySelector("[data-conversation]");
  if (!root || !root.dataset.joined) { return; }
  var url = root.dataset.stateUrl;
  var version = root.dataset.version;
  var shown = root.dataset.shown;
  var INTERVAL = 1000;

  function setText(selector, value) {
    var el = root.querySelector(selector);
    if (el) { el.textContent = String(value); }
  }

  function renderDistribution(statement) {
    var box = root.querySelector("[data-distribution]");
    if (!box || !statement.distribution) { return; }
    var total = statement.answers || 1;
    var heading = document.createElement("h3");
    heading.textContent = box.dataset.heading;
    var list = document.createElement("ul");
    list.className = "distribution-list";
    statement.distribution.forEach(function (d) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.className = "distribution-label";
      label.textContent = d.label;
      var bar = document.createElement("progress");
      bar.max = total;
      bar.value = d.count;
      bar.setAttribute("aria-hidden", "true");
      var count = document.createElement("strong");
      count.className = "distribution-count";
      count.textContent = String(d.count);
      item.append(label, " ", bar, " ", count);
      list.appendChild(item);
    });
    box.replaceChildren(heading, list);
    var waiting = root.querySelector("[data-waiting]");
    if (waiting) { waiting.hidden = true; }
  }

  function apply(state) {
    var current = state.statement ? String(state.statement.id) : "";
    if (current !== shown || state.open !== (root.dataset.open === "1")) {
      window.location.reload();
      return;
    }
    version = String(state.version);
    setText("[data-participants]", state.participants);
    if (state.statement) {
      setText("[data-answers]", state.statement.answers);
      if (state.statement.revealed) { renderDistribution(state.statement); }
    }
  }

  function poll() {
    fetch(url + "?v=" + encodeURIComponent(version), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 200) { return response.json().then(apply); }
        return null;
      })
      .catch(function () { return null; })
      .then(function () { window.setTimeout(poll, INTERVAL); });
  }
  window.setTimeout(poll, INTERVAL);
})();
