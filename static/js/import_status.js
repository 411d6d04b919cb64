/* The course import's page asks its status URL every second and a half and shows the progress,
 * then the imported files or the problems, until the import has finished. Without JavaScript
 * the page offers a refresh link. */
(function () {
  "use strict";
  var root = document.getElementById("course-import");
  if (!root || root.getAttribute("data-finished") === "true" || !window.fetch) {
    return;
  }
  var refresh = document.getElementById("import-refresh");
  refresh.hidden = true;

  function fill(list, messages) {
    list.textContent = "";
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message; // text, never HTML
      list.appendChild(item);
    });
  }

  function show(data) {
    document.getElementById("import-progress").value = data.progress;
    document.getElementById("import-progress-text").textContent = data.progress + "%";
    document.getElementById("import-status-label").textContent = data.label;
    if (data.status === "failed") {
      fill(document.getElementById("import-problems"), data.messages);
      document.getElementById("import-failed").hidden = false;
    } else if (data.status === "done") {
      fill(document.getElementById("import-results"), data.messages);
      document.getElementById("import-done").hidden = false;
    }
  }

  function ask() {
    fetch(root.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          root.setAttribute("data-finished", "true");
        } else {
          window.setTimeout(ask, 1500);
        }
      })
      .catch(function () {
        refresh.hidden = false;
      });
  }
  ask();
})();
