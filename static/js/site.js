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

  // Tables: a focusable, labelled scroll region around each one, so wide tables never widen the page
  // and keyboard users can scroll them.
  Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
    if (table.parentElement.classList.contains("table-scroll")) {
      return;
    }
    var wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    table.parentNode.insertBefore(wrapper, table);
    wrapper.appendChild(table);
    if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      var caption = table.querySelector("caption");
      var label = caption ? caption.textContent.trim() : document.documentElement.lang === "en" ? "Table" : "Tabel";
      wrapper.setAttribute("aria-label", label);
    }
  });
})();
