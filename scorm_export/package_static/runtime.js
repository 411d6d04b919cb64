/*
 * Spreekkamer package runtime: one small adapter over the LMS, with a driver per standard
 * (SCORM 1.2, SCORM 2004, cmi5). The player (player.js) only talks to the adapter:
 *
 *   SpkRuntime.connect(standard, onError) -> Promise<driver>
 *   driver.resumeState        saved state object or null (suspend_data / xAPI State)
 *   driver.masteryScaled      the LMS's passing score 0..1, or null when it gives none
 *   driver.save(state, location)
 *   driver.report(snapshot)   {progress 0..1, completed, success "passed"|"failed"|null, scaled 0..1|null,
 *                              over: nothing left to do, so the attempt ends instead of suspending}
 *   driver.finish(snapshot)   -> Promise; ends the session (suspends it when the course is not done)
 *
 * Every LMS call is followed by a check of the LMS's last error; errors are collected in
 * SpkRuntime.errors and handed to onError so the learner sees them. Nothing here talks to any
 * server other than the LMS that launched the package.
 */
(function (global) {
  "use strict";

  var errors = [];

  function reportError(onError, entry) {
    errors.push(entry);
    if (global.console && console.error) {
      console.error("[spreekkamer] LMS error", JSON.stringify(entry));
    }
    if (onError) {
      onError(entry);
    }
  }

  // The standard findAPI walk: up through the parent frames, then the opener and its parents.
  function findIn(win, name) {
    var tries = 0;
    while (win && tries < 500) {
      try {
        if (win[name]) {
          return win[name];
        }
        if (!win.parent || win.parent === win) {
          return null;
        }
      } catch (e) {
        return null; // a frame of another origin ends the walk
      }
      win = win.parent;
      tries += 1;
    }
    return null;
  }

  function findAPI(name) {
    var api = findIn(global, name);
    try {
      if (!api && global.opener) {
        api = findIn(global.opener, name);
      }
      if (!api && global.top && global.top.opener) {
        api = findIn(global.top.opener, name);
      }
    } catch (e) {
      api = api || null;
    }
    return api;
  }

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) {
      s = "0" + s;
    }
    return s;
  }

  // SCORM 1.2 CMITimespan: HHHH:MM:SS.SS (at least two hour digits).
  function timespan12(ms) {
    var cs = Math.floor(ms / 10);
    var hours = Math.min(Math.floor(cs / 360000), 9999);
    var minutes = Math.floor((cs % 360000) / 6000);
    var seconds = Math.floor((cs % 6000) / 100);
    var hundredths = cs % 100;
    return pad(hours, 2) + ":" + pad(minutes, 2) + ":" + pad(seconds, 2) + "." + pad(hundredths, 2);
  }

  // SCORM 2004 timeinterval (ISO 8601 duration): PT#H#M#S.
  function duration2004(ms) {
    var cs = Math.floor(ms / 10);
    var hours = Math.floor(cs / 360000);
    var minutes = Math.floor((cs % 360000) / 6000);
    var seconds = (cs % 6000) / 100;
    return "PT" + hours + "H" + minutes + "M" + seconds.toFixed(2) + "S";
  }

  function parseState(text) {
    if (!text) {
      return null;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function round2(x) {
    return Math.round(x * 100) / 100;
  }

  // Scores go to the LMS rounded down, never up across its passing score (16/23 stays 0.69/69).
  function floor2(x) {
    return Math.floor(x * 100 + 1e-9) / 100;
  }

  function rawScore(x) {
    return Math.floor(x * 100 + 1e-9);
  }

  // --- SCORM (1.2 and 2004 share the shape; the table below holds what differs) ---

  var SCORM = {
    scorm12: {
      apiName: "API",
      init: "LMSInitialize", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit", finish: "LMSFinish",
      lastError: "LMSGetLastError", errorString: "LMSGetErrorString", diagnostic: "LMSGetDiagnostic",
      // 1.2 answers "" without an error for elements the LMS has no value for.
      notInitialized: [],
    },
    scorm2004: {
      apiName: "API_1484_11",
      init: "Initialize", get: "GetValue", set: "SetValue", commit: "Commit", finish: "Terminate",
      lastError: "GetLastError", errorString: "GetErrorString", diagnostic: "GetDiagnostic",
      // 403: "Data Model Element Value Not Initialized" — no value yet, which is not a failure.
      notInitialized: ["403"],
    },
  };

  function ScormDriver(standard, api, onError) {
    this.standard = standard;
    this.names = SCORM[standard];
    this.api = api;
    this.onError = onError;
    this.startedAt = Date.now();
    this.finished = false;
    this.lastReported = {};
  }

  ScormDriver.prototype.call = function (fn, args, tolerated) {
    var result;
    try {
      result = this.api[this.names[fn]].apply(this.api, args);
    } catch (e) {
      reportError(this.onError, { call: this.names[fn], args: args, code: "exception", message: String(e) });
      return "";
    }
    var code = String(this.api[this.names.lastError]());
    if (code !== "0" && code !== "" && (tolerated || []).indexOf(code) === -1) {
      reportError(this.onError, {
        call: this.names[fn],
        args: args,
        code: code,
        message: String(this.api[this.names.errorString](code)),
        diagnostic: String(this.api[this.names.diagnostic](code)),
      });
    }
    return result;
  };

  ScormDriver.prototype.get = function (element) {
    var value = this.call("get", [element], this.names.notInitialized);
    return value === undefined || value === null ? "" : String(value);
  };

  ScormDriver.prototype.set = function (element, value) {
    // Only send what changed: fewer calls, and no needless writes after a status is final.
    if (this.lastReported[element] === String(value)) {
      return;
    }
    this.lastReported[element] = String(value);
    this.call("set", [element, String(value)]);
  };

  ScormDriver.prototype.start = function () {
    this.call("init", [""]);
    var entry, status, mastery;
    if (this.standard === "scorm12") {
      entry = this.get("cmi.core.entry");
      status = this.get("cmi.core.lesson_status");
      if (status === "" || status === "not attempted") {
        this.set("cmi.core.lesson_status", "incomplete");
      }
      mastery = this.get("cmi.student_data.mastery_score");
      this.masteryScaled = mastery === "" ? null : parseFloat(mastery) / 100;
      this.learnerId = this.get("cmi.core.student_id");
    } else {
      entry = this.get("cmi.entry");
      status = this.get("cmi.completion_status");
      if (status === "" || status === "unknown" || status === "not attempted") {
        this.set("cmi.completion_status", "incomplete");
      }
      mastery = this.get("cmi.scaled_passing_score");
      this.masteryScaled = mastery === "" ? null : parseFloat(mastery);
      this.learnerId = this.get("cmi.learner_id");
    }
    if (this.masteryScaled !== null && isNaN(this.masteryScaled)) {
      this.masteryScaled = null;
    }
    this.resumeState = entry === "resume" ? parseState(this.get("cmi.suspend_data")) : null;
    return Promise.resolve(this);
  };

  ScormDriver.prototype.save = function (state, location) {
    if (this.finished) {
      return;
    }
    this.set("cmi.suspend_data", JSON.stringify(state));
    this.set(this.standard === "scorm12" ? "cmi.core.lesson_location" : "cmi.location", location);
    this.call("commit", [""]);
  };

  ScormDriver.prototype.report = function (snap) {
    if (this.finished) {
      return;
    }
    if (this.standard === "scorm12") {
      if (snap.scaled !== null) {
        this.set("cmi.core.score.min", "0");
        this.set("cmi.core.score.max", "100");
        this.set("cmi.core.score.raw", String(rawScore(snap.scaled)));
      }
      var status = "incomplete";
      if (snap.success === "failed") {
        status = "failed";
      } else if (snap.completed) {
        status = snap.success === "passed" ? "passed" : "completed";
      }
      this.set("cmi.core.lesson_status", status);
    } else {
      this.set("cmi.progress_measure", String(round2(snap.progress)));
      if (snap.scaled !== null) {
        this.set("cmi.score.min", "0");
        this.set("cmi.score.max", "100");
        this.set("cmi.score.raw", String(rawScore(snap.scaled)));
        this.set("cmi.score.scaled", String(floor2(snap.scaled)));
      }
      this.set("cmi.completion_status", snap.completed ? "completed" : "incomplete");
      if (snap.success) {
        this.set("cmi.success_status", snap.success);
      }
    }
    this.call("commit", [""]);
  };

  ScormDriver.prototype.finish = function (snap) {
    if (this.finished) {
      return Promise.resolve();
    }
    var done = snap.over;
    var elapsed = Date.now() - this.startedAt;
    if (this.standard === "scorm12") {
      // "suspend" keeps suspend_data for the next launch; "" ends the attempt normally.
      this.set("cmi.core.exit", done ? "" : "suspend");
      this.set("cmi.core.session_time", timespan12(elapsed));
    } else {
      this.set("cmi.exit", done ? "normal" : "suspend");
      this.set("cmi.session_time", duration2004(elapsed));
    }
    this.call("commit", [""]);
    this.call("finish", [""]);
    this.finished = true;
    return Promise.resolve();
  };

  // --- cmi5 (via the bundled @xapi/cmi5 library) ---

  var STATE_ID = "https://spreekkamer.nl/xapi/state/package-suspend-data";
  var CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var TERMINATED = { id: "http://adlnet.gov/expapi/verbs/terminated", display: { "en-US": "terminated" } };

  // A version 4 UUID (cmi5 §9.1: the AU assigns every statement id); crypto.getRandomValues also
  // works where crypto.randomUUID is missing (pages served over plain http).
  function uuid4() {
    var bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function Cmi5Driver(onError) {
    this.onError = onError;
    this.finished = false;
    this.queue = Promise.resolve(); // statements and state go out in order, one at a time
    this.sent = {};
  }

  Cmi5Driver.prototype.enqueue = function (label, fn) {
    var self = this;
    this.queue = this.queue.then(fn).catch(function (e) {
      reportError(self.onError, { call: label, code: "request", message: String((e && e.message) || e) });
    });
    return this.queue;
  };

  Cmi5Driver.prototype.stateParams = function () {
    var launch = this.cmi.getLaunchParameters();
    return { agent: launch.actor, activityId: launch.activityId, registration: launch.registration, stateId: STATE_ID };
  };

  Cmi5Driver.prototype.start = function () {
    var self = this;
    var Cmi5 = global.Cmi5 && global.Cmi5.default ? global.Cmi5.default : global.Cmi5;
    if (!Cmi5 || !Cmi5.isCmiAvailable) {
      return Promise.reject(new Error("cmi5 launch parameters missing"));
    }
    this.cmi = new Cmi5();
    return this.cmi.initialize().then(function () {
      var launchData = self.cmi.getLaunchData() || {};
      self.launchMode = launchData.launchMode || "Normal";
      self.masteryScaled = typeof launchData.masteryScore === "number" ? launchData.masteryScore : null;
      var actor = self.cmi.getLaunchParameters().actor || {};
      self.learnerId = actor.account ? String(actor.account.name) : String(actor.mbox || "");
      // cmi5 §10.2.6: where the AU goes after terminating, when the LMS gives an address.
      self.returnURL = typeof launchData.returnURL === "string" && launchData.returnURL ? launchData.returnURL : null;
      return self.cmi.xapi.getState(self.stateParams()).then(
        function (response) {
          self.resumeState = response && response.data && typeof response.data === "object" ? response.data : null;
        },
        function () {
          self.resumeState = null; // 404: first session of this registration
        }
      );
    }).then(function () {
      if (self.resumeState && self.resumeState.sent) {
        self.sent = self.resumeState.sent;
      }
      return self;
    });
  };

  Cmi5Driver.prototype.save = function (state) {
    if (this.finished) {
      return;
    }
    var self = this;
    state.sent = this.sent;
    var params = this.stateParams();
    params.state = JSON.parse(JSON.stringify(state));
    this.lastState = params.state;
    this.enqueue("setState", function () {
      return self.cmi.xapi.setState(params);
    });
  };

  // A request that must reach the LRS even when the window is closing: fetch with keepalive, which
  // the browser completes after the page is gone. cmi5 §8.2 puts the session's auth token in the
  // Authorization header of every xAPI request, which sendBeacon cannot send.
  Cmi5Driver.prototype.sendKeepalive = function (label, method, resource, query, body) {
    var self = this;
    var xapi = this.cmi.xapi;
    var params = Object.keys(query || {}).map(function (key) {
      var value = key === "agent" ? JSON.stringify(query[key]) : query[key];
      return key + "=" + encodeURIComponent(value);
    });
    var url = xapi.endpoint + resource + (params.length ? "?" + params.join("&") : "");
    var headers = {};
    Object.keys(xapi.headers).forEach(function (name) {
      headers[name] = xapi.headers[name];
    });
    return global.fetch(url, { method: method, headers: headers, body: JSON.stringify(body), keepalive: true }).then(
      function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
      }
    ).catch(function (e) {
      reportError(self.onError, { call: label, code: "request", message: String((e && e.message) || e) });
    });
  };

  // The latest state now, without waiting for the queue: the window may be about to go.
  Cmi5Driver.prototype.saveNow = function (state) {
    if (this.finished) {
      return;
    }
    this.save(state);
    this.sendStateNow();
  };

  Cmi5Driver.prototype.sendStateNow = function () {
    if (!this.lastState) {
      return;
    }
    var params = this.stateParams();
    this.sendKeepalive("setState", "PUT", "activities/state", {
      stateId: params.stateId,
      activityId: params.activityId,
      agent: params.agent,
      registration: params.registration,
    }, this.lastState);
  };

  // cmi5 §9.3.8 and §9.5.4.1: the AU's last statement, with the session's duration since
  // initialization; cmi5 §9.6: the LMS's context template, the registration and the cmi5 category.
  Cmi5Driver.prototype.terminatedStatement = function () {
    var launch = this.cmi.launchParameters;
    var context = JSON.parse(JSON.stringify((this.cmi.launchData || {}).contextTemplate || {}));
    context.registration = launch.registration;
    context.contextActivities = context.contextActivities || {};
    context.contextActivities.category = (context.contextActivities.category || []).concat([{ id: CMI5_CATEGORY }]);
    var now = new Date();
    return {
      id: uuid4(),
      actor: launch.actor,
      verb: TERMINATED,
      object: { objectType: "Activity", id: launch.activityId },
      result: { duration: duration2004(now.getTime() - this.cmi.initializedDate.getTime()) },
      context: context,
      timestamp: now.toISOString(),
    };
  };

  Cmi5Driver.prototype.report = function (snap) {
    var self = this;
    // Only Normal launches may judge the learner (cmi5 §10.2.2: no passed/failed/completed in Browse/Review).
    if (this.finished || this.launchMode !== "Normal") {
      return;
    }
    var progress = Math.round(snap.progress * 100);
    if (this.sent.progress !== progress) {
      this.sent.progress = progress;
      this.enqueue("progressed", function () {
        return self.cmi.progress(progress);
      });
    }
    var score = snap.scaled === null ? undefined : { scaled: floor2(snap.scaled), raw: rawScore(snap.scaled), min: 0, max: 100 };
    // A registration gets at most one passed and one failed statement; after passed, none at all.
    if (snap.success === "passed" && !this.sent.passed) {
      this.sent.passed = true;
      this.enqueue("passed", function () {
        return self.cmi.pass(score);
      });
    } else if (snap.success === "failed" && !this.sent.failed && !this.sent.passed) {
      this.sent.failed = true;
      this.enqueue("failed", function () {
        return self.cmi.fail(score);
      });
    }
    if (snap.completed && !this.sent.completed) {
      this.sent.completed = true;
      this.enqueue("completed", function () {
        return self.cmi.complete();
      });
    }
  };

  Cmi5Driver.prototype.finish = function (snap, options) {
    var self = this;
    if (this.finished) {
      return this.queue;
    }
    this.finished = true;
    var unloading = !!(options && options.unloading);
    if (unloading) {
      // The window is closing: a queued request would never start, so the latest state and the
      // terminated statement go out now, with keepalive. Statements already sent carry earlier
      // timestamps, and cmi5 orders a session's statements by timestamp (§9.3).
      this.sendStateNow();
      return this.sendKeepalive("terminated", "POST", "statements", null, this.terminatedStatement());
    }
    return this.enqueue("terminated", function () {
      return self.cmi.terminate();
    }).then(function () {
      // cmi5 §10.2.6: after terminated, navigate to returnURL (not while the window closes).
      if (self.returnURL && !unloading) {
        global.location.assign(self.returnURL);
      }
    });
  };

  function connect(standard, onError) {
    if (standard === "cmi5") {
      return new Cmi5Driver(onError).start();
    }
    var api = findAPI(SCORM[standard].apiName);
    if (!api) {
      return Promise.reject(new Error(SCORM[standard].apiName + " not found"));
    }
    return new ScormDriver(standard, api, onError).start();
  }

  global.SpkRuntime = {
    connect: connect,
    errors: errors,
    findAPI: findAPI,
    timespan12: timespan12,
    duration2004: duration2004,
  };
})(window);
