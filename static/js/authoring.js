// Author area: after moving an item up or down (a full page load), put keyboard focus back on
// the same button of the moved item, so keyboard users can keep moving it.
(function () {
  "use strict";
  var key = "spreekkamer-authoring-move";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("move-form")) { return; }
    var button = event.submitter;
    var item = form.closest("[id]");
    if (button && item) {
      try { sessionStorage.setItem(key, JSON.stringify({ id: item.id, direction: button.value })); } catch (e) { /* storage off */ }
    }
  });

  function restoreFocus() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(key) || "null"); sessionStorage.removeItem(key); } catch (e) { saved = null; }
    if (!saved) { return; }
    var item = document.getElementById(saved.id);
    if (!item) { return; }
    // The same button again; at the top or bottom (where it is disabled) the other one.
    var buttons = item.querySelectorAll(".move-form button");
    var target = null;
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].disabled) { continue; }
      if (buttons[i].value === saved.direction || target === null) { target = buttons[i]; }
    }
    if (target) { target.focus(); }
  }

  // After "load": the browser's jump to the #fragment would otherwise clear the focus again.
  window.addEventListener("load", function () { window.setTimeout(restoreFocus, 0); });
})();
