// Author area: after moving an item up or down (a full page load), put keyboard focus back on
// the same button of the moved item, so keyboard users can keep moving it.
(function () {
  "use strict";
  var key = "spreekkamer-authoring-move";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("move-form")) { return; }
    var button = event.submitter;
    // An answer's ↑/↓ buttons stand in its fieldset and submit a form outside the question form.
    var item = (button || form).closest("[id]");
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
    var buttons = item.querySelectorAll(".move-buttons button");
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

// Drag and drop (SortableJS, vendored in static/vendor/sortablejs): in every list marked
// data-sortable, an item dragged by its handle is moved with one POST to its own move URL
// (the ↑/↓ form's action) with its new place; the page then reloads to show the numbering.
// The answers of a question (data-sortable-subforms) move the same way, but the page stays as it
// is (unsaved typing is kept): the rows' numbers and "Volgorde" fields follow the new order.
// The ↑/↓ buttons stay for keyboard users; the handle is hidden from assistive technology.
(function () {
  "use strict";
  if (!window.Sortable) { return; }
  var script = document.querySelector("script[data-drag-label]");
  var label = script ? script.getAttribute("data-drag-label") : "";

  function itemsOf(list) {
    var selector = list.getAttribute("data-sortable-items");
    return selector ? list.querySelectorAll(selector) : list.children;
  }

  // The ↑/↓ form of an item: inside it, or (answers) named by its data-move-form.
  function moveFormOf(item) {
    var id = item.getAttribute("data-move-form");
    return id ? document.getElementById(id) : item.querySelector(".move-form");
  }

  // Answers after a move: legends "Antwoord 1, 2, …" in the order on screen; the saved answers'
  // "Volgorde" fields 1, 2, … (so saving the question keeps the order; empty new rows keep theirs
  // empty, or they would count as filled in); ↑ off on the first saved one, ↓ on the last.
  function renumber(container) {
    var rows = container.querySelectorAll("fieldset");
    var saved = container.querySelectorAll("fieldset[data-move-form]");
    for (var i = 0; i < rows.length; i++) {
      var legend = rows[i].querySelector("legend");
      if (legend) { legend.textContent = legend.textContent.replace(/\d+\s*$/, String(i + 1)); }
    }
    for (var j = 0; j < saved.length; j++) {
      var order = saved[j].querySelector("input[name$='-ORDER']");
      if (order) { order.value = String(j + 1); }
      var buttons = saved[j].querySelectorAll(".move-buttons button");
      for (var k = 0; k < buttons.length; k++) {
        buttons[k].disabled = buttons[k].value === "up" ? j === 0 : j === saved.length - 1;
        buttons[k].setAttribute("aria-label", buttons[k].getAttribute("aria-label").replace(/\d+/, String(j + 1)));
      }
    }
  }

  function setUp(list, inPlace) {
    var selector = list.getAttribute("data-sortable-items") || "li";
    var items = itemsOf(list);
    for (var i = 0; i < items.length; i++) {
      if (!moveFormOf(items[i])) { continue; }
      var handle = document.createElement("span");
      handle.className = "drag-handle";
      handle.setAttribute("aria-hidden", "true");
      handle.title = label;
      handle.textContent = "⠿";
      items[i].insertBefore(handle, items[i].firstChild);
    }
    window.Sortable.create(list, {
      draggable: selector,
      handle: ".drag-handle",
      forceFallback: true,
      animation: 150,
      onEnd: function (event) {
        if (event.oldDraggableIndex === event.newDraggableIndex) { return; }
        var form = moveFormOf(event.item);
        var data = new FormData();
        data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
        data.append("position", String(event.newDraggableIndex));
        fetch(form.action, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" }
        }).then(function (response) {
          if (inPlace && response.ok) { renumber(list); } else { window.location.reload(); }
        }, function () { window.location.reload(); });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var lists = document.querySelectorAll("[data-sortable]");
    for (var i = 0; i < lists.length; i++) { setUp(lists[i], false); }
    var subforms = document.querySelectorAll("[data-sortable-subforms]");
    for (var j = 0; j < subforms.length; j++) { setUp(subforms[j], true); }
  });
})();

// "Antwoord toevoegen" on question and scenario-step forms: a new empty row from the formset's
// <template>, numbered after the last one, without saving the form first.
(function () {
  "use strict";
  function setUp(template) {
    var prefix = template.getAttribute("data-empty-form");
    var container = document.querySelector('[data-formset="' + prefix + '"]');
    var total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    if (!container || !total) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "add-row";
    button.textContent = template.getAttribute("data-add-label");
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__num__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      container.appendChild(row);
      total.value = String(index + 1);
      // The rich-text editor (static/js/rich_text.js) takes the new row's text areas.
      row.dispatchEvent(new CustomEvent("formset:row-added", { bubbles: true }));
      var first = row.querySelector("input:not([type=hidden]), textarea, select");
      if (first) { first.focus(); }
    });
    container.insertAdjacentElement("afterend", button);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var templates = document.querySelectorAll("template[data-empty-form]");
    for (var i = 0; i < templates.length; i++) { setUp(templates[i]); }
  });
})();

// The web address (slug) follows the title while the author has not edited it themselves.
(function () {
  "use strict";
  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9\s-]/g, "").trim().replace(/[\s-]+/g, "-").slice(0, 50).replace(/-+$/, "");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var slug = document.querySelector("form input[name=slug]");
    var title = slug && slug.form.querySelector("input[name=title]");
    if (!title) { return; }
    var edited = slug.value !== "" && slug.value !== slugify(title.value);
    slug.addEventListener("input", function () { edited = slug.value !== ""; });
    title.addEventListener("input", function () {
      if (!edited) { slug.value = slugify(title.value); }
    });
  });
})();
