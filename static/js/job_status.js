/* A background job's page (course import, package export) asks its status URL every second and
 * a half and shows the progress until the job has finished. Parts of the page say what they show:
 *   [data-job-status-url]     the root, with data-finished="true" once done;
 *   [data-job=progress], [data-job=progress-text], [data-job=label], [data-job=error];
 *   [data-job-show=done|failed]   shown when the job ends so, with its ul[data-job-messages]
 *                                 filled from the status's messages and a[data-job-download]
 *                                 pointed at its download URL;
 *   [data-job=refresh]        the refresh link, shown without JavaScript or when a poll fails. */
(function () {
  "use strict";
  var root = document.querySelector("[data-job-status-url]");
  if (!root || root.getAttribute("data-finished") === "true" || !window.fetch) {
    return;
  }
  var refresh = root.querySelector("[data-job=refresh]");
  refresh.hidden = true; // the page updates itself now

  function part(name) {
    return root.querySelector("[data-job=" + name + "]");
  }

  function fill(list, messages) {
    list.textContent = "";
    (messages || []).forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message; // text, never HTML
      list.appendChild(item);
    });
  }

  function show(data) {
    part("progress").value = data.progress;
    part("progress-text").textContent = data.progress + "%";
    part("label").textContent = data.label;
    var error = part("error");
    if (error) {
      error.textContent = data.error || "";
      error.hidden = !data.error;
    }
    root.querySelectorAll("[data-job-show]").forEach(function (section) {
      if (section.getAttribute("data-job-show") !== data.status) {
        return;
      }
      var list = section.querySelector("[data-job-messages]");
      if (list) {
        fill(list, data.messages);
      }
      var download = section.querySelector("a[data-job-download]");
      if (download && data.download_url) {
        download.href = data.download_url;
      }
      section.hidden = false;
    });
  }

  function ask() {
    fetch(root.getAttribute("data-job-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
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
        refresh.hidden = false; // fall back to the manual refresh
      });
  }
  ask();
})();
