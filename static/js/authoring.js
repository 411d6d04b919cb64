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
      try { sessionStorage.setItem(key, JSON.stringify({ id: item.id, direction: button.value })); } catch (e) { /* private mode */ }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(key) || "null"); sessionStorage.removeItem(key); } catch (e) { saved = null; }
    if (!saved) { return; }
    var item = document.getElementById(saved.id);
    if (!item) { return; }
    var button = item.querySelector('.move-form button[value="' + saved.direction + '"]');
    if (button && !button.disabled) { button.focus(); } else { item.focus(); }
  });
})();
