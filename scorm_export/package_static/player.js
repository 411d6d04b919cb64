/*
 * Spreekkamer package player: navigation between the pages of the course, scenarios, reflections and
 * quizzes graded in the browser from the data embedded in the page. It reports to the LMS only through
 * SpkRuntime (runtime.js). Reflections stay in this browser's localStorage and are never reported.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("spk-course-data").textContent);
  var messages = data.messages;
  var pages = Array.prototype.slice.call(document.querySelectorAll(".spk-page"));
  var lessonIndexes = [];
  data.pages.forEach(function (page, index) {
    if (page.kind === "lesson") {
      lessonIndexes.push(index);
    }
  });
  var finalIndex = data.pages.findIndex(function (page) {
    return page.kind === "final";
  });
  var endIndex = pages.length - 1;

  var state = { v: 1, page: 0, done: [], final: { attempts: 0, best: null, passed: false } };
  var driver = null;
  var finished = false;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return String(values[name]);
    }).replace(/%%/g, "%");
  }

  function announce(text) {
    document.getElementById("spk-status").textContent = text;
  }

  function showError(entry) {
    var box = document.getElementById("spk-errors");
    var p = document.createElement("p");
    p.textContent = entry.call === "connect"
      ? entry.message
      : format(messages.lmsError, { message: [entry.call, entry.code, entry.message].join(" ") });
    box.appendChild(p);
    box.hidden = false;
  }

  // --- progress and results ---

  function requiredLessons() {
    return lessonIndexes.filter(function (index) {
      return data.pages[index].required;
    });
  }

  function masteryScaled() {
    if (driver && driver.masteryScaled !== null && driver.masteryScaled !== undefined) {
      return driver.masteryScaled;
    }
    return data.passMark === null ? null : data.passMark / 100;
  }

  function snapshot() {
    var required = requiredLessons();
    var lessonsDone = required.every(function (index) {
      return state.done.indexOf(index) !== -1;
    });
    var units = lessonIndexes.length + (finalIndex === -1 ? 0 : 1);
    var unitsDone = state.done.length + (state.final.attempts > 0 ? 1 : 0);
    var success = null;
    if (finalIndex !== -1 && state.final.attempts > 0) {
      success = state.final.passed ? "passed" : "failed";
    }
    var completed = lessonsDone && (finalIndex === -1 || state.final.attempts > 0);
    return {
      progress: units ? Math.min(1, unitsDone / units) : 1,
      completed: completed,
      success: success,
      scaled: state.final.best,
      // Nothing left to do: every lesson done and the test passed, or failed with no attempts left.
      over: completed && (success !== "failed" || attemptsLeft() <= 0),
    };
  }

  function updateProgressUi() {
    var snap = snapshot();
    var units = lessonIndexes.length + (finalIndex === -1 ? 0 : 1);
    var unitsDone = state.done.length + (state.final.passed ? 1 : 0);
    document.getElementById("spk-progress").value = Math.round(snap.progress * 100);
    document.getElementById("spk-progress-text").textContent = format(messages.progress, { done: unitsDone, total: units });
    data.pages.forEach(function (page, index) {
      var done = page.kind === "lesson" ? state.done.indexOf(index) !== -1 : state.final.passed;
      var marker = document.querySelector('[data-state-for="' + index + '"]');
      if (marker) {
        marker.textContent = "(" + (done ? messages.done : messages.notDone) + ")";
      }
    });
    var summary = document.getElementById("spk-end-summary");
    summary.textContent = snap.completed ? messages.courseComplete : format(messages.progress, { done: unitsDone, total: units });
  }

  function persist() {
    updateProgressUi();
    if (!driver || finished) {
      return;
    }
    driver.report(snapshot());
    driver.save(state, String(state.page));
  }

  // --- navigation ---

  function show(index, focus) {
    index = Math.max(0, Math.min(endIndex, index));
    pages.forEach(function (page, i) {
      page.hidden = i !== index;
    });
    state.page = index;
    document.getElementById("spk-prev").disabled = index === 0;
    document.getElementById("spk-next").disabled = index === endIndex;
    document.querySelectorAll("[data-goto]").forEach(function (link) {
      if (Number(link.getAttribute("data-goto")) === index) {
        link.setAttribute("aria-current", "page");
      } else {
        link.removeAttribute("aria-current");
      }
    });
    if (focus) {
      var heading = pages[index].querySelector("h1");
      if (heading) {
        heading.focus();
      }
    }
  }

  function go(index) {
    show(index, true);
    persist();
  }

  document.getElementById("spk-prev").addEventListener("click", function () {
    go(state.page - 1);
  });
  document.getElementById("spk-next").addEventListener("click", function () {
    go(state.page + 1);
  });
  document.querySelectorAll("[data-goto]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      go(Number(link.getAttribute("data-goto")));
    });
  });
  document.querySelectorAll("[data-complete]").forEach(function (button) {
    button.addEventListener("click", function () {
      var index = Number(button.getAttribute("data-complete"));
      if (state.done.indexOf(index) === -1) {
        state.done.push(index);
        state.done.sort(function (a, b) {
          return a - b;
        });
      }
      go(index + 1);
    });
  });

  // --- scenarios (decisions stay on the page; they are practice, not assessment) ---

  document.querySelectorAll("[data-scenario]").forEach(function (scenario) {
    scenario.querySelectorAll(".scenario-step").forEach(function (step) {
      step.querySelectorAll("button.choice").forEach(function (button) {
        button.addEventListener("click", function () {
          step.querySelectorAll("button.choice").forEach(function (other) {
            other.setAttribute("aria-pressed", other === button ? "true" : "false");
          });
          step.querySelectorAll(".feedback").forEach(function (feedback) {
            feedback.hidden = feedback.getAttribute("data-feedback-for") !== button.getAttribute("data-choice");
          });
          var shown = step.querySelector('.feedback[data-feedback-for="' + button.getAttribute("data-choice") + '"]');
          announce(shown ? shown.textContent.replace(/\s+/g, " ").trim() : "");
        });
      });
      step.querySelectorAll("button.scenario-next").forEach(function (button) {
        button.addEventListener("click", function () {
          var next = scenario.querySelector('.scenario-step[data-step="' + button.getAttribute("data-next") + '"]');
          if (next) {
            next.hidden = false;
            var focusable = next.querySelector("button.choice");
            if (focusable) {
              focusable.focus();
            }
          }
        });
      });
    });
  });

  // --- reflections: this browser only ---
  // Kept per learner (the LMS's learner id is in the key), so on a shared practice PC the next
  // learner never sees them, and removed once the course is finished.

  var reflectionKeys = [];

  function setupReflections(learnerId) {
    var prefix = "spreekkamer:" + data.courseKey + ":" + encodeURIComponent(learnerId || "anoniem") + ":reflection:";
    document.querySelectorAll("textarea[data-reflection]").forEach(function (area) {
      var key = prefix + area.getAttribute("data-reflection");
      reflectionKeys.push(key);
      try {
        area.value = window.localStorage.getItem(key) || "";
      } catch (e) {
        // Storage may be blocked in a sandboxed LMS frame; the reflection then lives only on the page.
      }
      area.addEventListener("change", function () {
        try {
          window.localStorage.setItem(key, area.value);
          announce(messages.saved);
        } catch (e) {
          /* see above */
        }
      });
    });
  }

  function clearReflections() {
    reflectionKeys.forEach(function (key) {
      try {
        window.localStorage.removeItem(key);
      } catch (e) {
        /* see setupReflections */
      }
    });
  }

  // --- quizzes ---

  function responseOf(form, question) {
    var fields = form.querySelectorAll('[name="' + question.name + '"]');
    var kind = question.kind;
    var i;
    if (kind === "single_choice" || kind === "true_false" || kind === "scale") {
      for (i = 0; i < fields.length; i++) {
        if (fields[i].checked) {
          return [fields[i].value];
        }
      }
      return [];
    }
    if (kind === "multiple_choice") {
      var chosen = [];
      for (i = 0; i < fields.length; i++) {
        if (fields[i].checked) {
          chosen.push(fields[i].value);
        }
      }
      return chosen;
    }
    // ordering: the options sorted by the rank chosen; matching: the match chosen per option.
    var pairs = [];
    for (i = 0; i < fields.length; i++) {
      pairs.push({ option: fields[i].getAttribute("data-option"), value: fields[i].value });
    }
    if (kind === "ordering") {
      if (pairs.some(function (p) { return p.value === ""; })) {
        return [];
      }
      pairs.sort(function (a, b) {
        return Number(a.value) - Number(b.value);
      });
      return pairs.map(function (p) {
        return p.option;
      });
    }
    return pairs;
  }

  function answered(question, response) {
    if (question.kind === "matching") {
      return response.every(function (p) {
        return p.value !== "";
      });
    }
    return response.length > 0;
  }

  // grading.js: the same rules as Question.grade(), one grader per question kind.
  var grade = window.SpkGrading.grade;

  // A score as a whole percentage, never rounded up across the pass mark of the final test
  // (16 of 23 is 69%, not 70%).
  function percentOf(scaled, mastery) {
    var percent = Math.round(scaled * 100);
    if (mastery !== null && mastery !== undefined && scaled + 1e-9 < mastery) {
      percent = Math.min(percent, Math.ceil(mastery * 100) - 1);
    }
    return percent;
  }

  function showFeedback(fieldset, question, response, fraction) {
    fieldset.querySelectorAll(".feedback").forEach(function (feedback) {
      feedback.hidden = response.indexOf(feedback.getAttribute("data-feedback-for")) === -1;
    });
    var explanation = fieldset.querySelector("[data-explanation]");
    if (explanation) {
      explanation.hidden = false;
    }
    var verdict = fieldset.querySelector("[data-verdict]");
    if (verdict && question.scored) {
      // Words, not only colour: the verdict is read out and shown as text.
      verdict.textContent = fraction === 1 ? messages.correct : messages.incorrect;
      verdict.className = "question-verdict " + (fraction === 1 ? "is-correct" : "is-incorrect");
      verdict.hidden = false;
    }
  }

  function lockForm(form) {
    form.querySelectorAll("input, select, button").forEach(function (field) {
      field.disabled = true;
    });
  }

  document.querySelectorAll("form.spk-quiz").forEach(function (form) {
    var quizId = form.getAttribute("data-quiz");
    var quiz = data.quizzes[quizId];
    var result = document.getElementById("result-" + quizId);
    if (quizId === "final") {
      restoreFinal(form, result);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var earned = 0;
      var possible = 0;
      var responses = quiz.questions.map(function (question) {
        return responseOf(form, question);
      });
      var missing = quiz.questions.some(function (question, i) {
        return !answered(question, responses[i]);
      });
      if (missing) {
        result.textContent = messages.unanswered;
        return;
      }
      quiz.questions.forEach(function (question, i) {
        var fraction = grade(question, responses[i]);
        if (question.scored) {
          possible += question.points;
          earned += question.points * fraction;
        }
        if (quiz.kind !== "final") {
          var fieldset = form.querySelector('[data-question="' + question.name + '"]');
          showFeedback(fieldset, question, responses[i], fraction);
        }
      });
      // Rounded down to 4 decimals: never up across the pass mark.
      var scaled = possible ? Math.floor((earned / possible) * 10000 + 1e-9) / 10000 : null;
      if (quiz.kind === "self_assessment" || scaled === null) {
        result.textContent = messages.thanks;
        return;
      }
      var percent = percentOf(scaled, null);
      if (quizId !== "final") {
        result.textContent = format(messages.score, { score: percent });
        return;
      }
      submitFinal(form, result, scaled);
    });
  });

  function attemptsLeft() {
    return data.maxAttempts === null ? Infinity : data.maxAttempts - state.final.attempts;
  }

  function submitFinal(form, result, scaled) {
    var mastery = masteryScaled();
    var passed = scaled + 1e-9 >= mastery;
    state.final.attempts += 1;
    state.final.best = state.final.best === null ? scaled : Math.max(state.final.best, scaled);
    state.final.passed = state.final.passed || passed;
    renderFinal(form, result, scaled);
    persist();
  }

  function renderFinal(form, result, scaled) {
    var text = format(messages.score, { score: percentOf(scaled, masteryScaled()) }) + " ";
    if (state.final.passed) {
      text += messages.passed;
      lockForm(form);
    } else {
      text += format(messages.failed, { mark: Math.round(masteryScaled() * 100) }) + " ";
      if (attemptsLeft() > 0) {
        text += messages.retry;
      } else {
        text += messages.noAttemptsLeft;
        lockForm(form);
      }
    }
    result.textContent = text;
  }

  function restoreFinal(form, result) {
    if (state.final.attempts > 0) {
      renderFinal(form, result, state.final.best);
    }
  }

  // --- session ---

  // `unloading`: the window is closing (pagehide), so there is nowhere to navigate to.
  function finish(unloading) {
    if (finished || !driver) {
      return Promise.resolve();
    }
    var snap = snapshot();
    driver.report(snap);
    driver.save(state, String(state.page));
    finished = true;
    if (snap.completed) {
      clearReflections();
    }
    return driver.finish(snapshot(), { unloading: unloading === true }).then(function () {
      document.querySelectorAll("main button, main input, main select, main textarea, .pkg-pager button, #spk-exit").forEach(function (field) {
        field.disabled = true;
      });
      document.body.setAttribute("data-finished", "true");
      announce(messages.finished);
    });
  }

  document.getElementById("spk-exit").addEventListener("click", function () {
    finish(false);
  });
  document.getElementById("spk-finish").addEventListener("click", function () {
    finish(false);
  });
  // Closing the window or leaving the page ends the session (cmi5 §9.3.8: terminated with the
  // latest state, sent so that it survives the unload).
  window.addEventListener("pagehide", function () {
    finish(true);
  });
  // Hidden (another tab, the phone's home screen) may be the last moment a page gets: keep where
  // the learner is, but do not end the session, since they may come back to it.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && driver && !finished && driver.saveNow) {
      driver.saveNow(state, String(state.page));
    }
  });

  function restore(saved) {
    if (!saved || saved.v !== 1) {
      return false;
    }
    state.page = Math.max(0, Math.min(endIndex, Number(saved.page) || 0));
    state.done = (saved.done || []).filter(function (index) {
      return lessonIndexes.indexOf(index) !== -1;
    });
    if (saved.final) {
      state.final = { attempts: saved.final.attempts || 0, best: saved.final.best === undefined ? null : saved.final.best, passed: !!saved.final.passed };
    }
    return true;
  }

  window.SpkRuntime.connect(data.standard, showError).then(
    function (connected) {
      driver = connected;
      setupReflections(driver.learnerId);
      var resumed = restore(driver.resumeState);
      var finalForm = document.querySelector('form.spk-quiz[data-quiz="final"]');
      if (finalForm) {
        restoreFinal(finalForm, document.getElementById("result-final"));
      }
      show(state.page, false);
      persist();
      document.body.setAttribute("data-ready", "true");
      if (resumed) {
        announce(messages.resumed);
      }
    },
    function (error) {
      if (window.console) {
        console.warn("[spreekkamer] no LMS:", error.message);
      }
      setupReflections("");
      showError({ call: "connect", code: "", message: messages.noLms });
      show(0, false);
      updateProgressUi();
      document.body.setAttribute("data-ready", "false");
    }
  );
})();
