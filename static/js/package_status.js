/* Polls the package export's status URL and updates the page until the build has finished.
 * Without JavaScript the page offers a refresh link instead. */
(function () {
  "use strict";
  var root = document.getElementById("package-export");
  if (!root || root.getAttribute("data-finished") === "true" || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-status-url");
  var refresh = document.getElementById("package-refresh");
  refresh.hidden = true; // the page updates itself now

  function update(data) {
    document.getElementById("package-progress").value = data.progress;
    document.getElementById("package-progress-text").textContent = data.progress + "%";
    document.getElementById("package-status-label").textContent = data.label;
    var error = document.getElementById("package-error");
    error.textContent = data.error;
    error.hidden = !data.error;
    if (data.download_url) {
      var download = document.getElementById("package-download");
      download.querySelector("a").href = data.download_url;
      download.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        update(data);
        if (data.finished) {
          root.setAttribute("data-finished", "true");
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        refresh.hidden = false; // fall back to the manual refresh
      });
  }
  poll();
})();
