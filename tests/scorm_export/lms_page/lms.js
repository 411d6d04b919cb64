/* A minimal LMS for tests: scorm-again provides the runtime API, the SCO runs in an iframe.
 * It records every error scorm-again logs and every call the SCO makes, for the test to assert on. */
(function () {
  "use strict";
  window.lmsErrors = [];
  window.lmsCalls = [];
  var standard = null;

  function api() {
    return standard === "scorm12" ? window.API : window.API_1484_11;
  }

  window.launchSco = function (std, initialCmi, packageUrl, mode) {
    standard = std;
    var settings = {
      autocommit: false,
      lmsCommitUrl: false,
      logLevel: 4, // errors only
      onLogMessage: function (level, message) {
        window.lmsErrors.push(String(message));
      },
    };
    var Api = std === "scorm12" ? window.Scorm12API : window.Scorm2004API;
    var instance = new Api(settings);
    if (initialCmi) {
      instance.loadFromJSON(initialCmi, "");
    }
    ["Initialize", "Terminate", "Finish", "Commit", "SetValue"].forEach(function (name) {
      var full = std === "scorm12" ? "LMS" + name : name;
      instance.on(full, function (element, value) {
        window.lmsCalls.push([full, element === undefined ? null : element, value === undefined ? null : value]);
      });
    });
    delete window.API;
    delete window.API_1484_11;
    if (std === "scorm12") {
      window.API = instance;
    } else {
      window.API_1484_11 = instance;
    }
    if (mode === "window") {
      // Some LMSs open the SCO in a new window: it must find the API through its opener.
      window.open(packageUrl, "sco-window");
      return;
    }
    // A fresh iframe per launch, as an LMS opens a new window: nothing of the previous session's
    // document can be mistaken for the new one.
    var old = document.getElementById("sco");
    var frame = document.createElement("iframe");
    frame.id = "sco";
    frame.title = old.title;
    frame.width = old.width;
    frame.height = old.height;
    old.replaceWith(frame);
    frame.src = packageUrl;
  };

  window.cmiSnapshot = function () {
    return JSON.parse(JSON.stringify(api().cmi));
  };

  window.lmsState = function () {
    var a = api();
    return { initialized: a.isInitialized(), terminated: a.isTerminated(), lastError: String(a.lmsGetLastError ? a.lmsGetLastError() : a.GetLastError()) };
  };
})();
