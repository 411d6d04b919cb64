/*
 * Spreekkamer package grader: the score of one response, all-or-nothing per question, exactly as
 * Question.grade() in courses/models/content.py. One function per question kind; a kind without one
 * (scale) is not scored. Both graders run against tests/fixtures/grading_cases.json
 * (tests/scorm_export/test_grading_cases.py). Loaded by index.html before player.js; node loads it
 * with require() for the tests.
 *
 * `question.correct`: the keys of the correct options (choice kinds), or every option key in the
 * correct order (ordering). A response: the chosen keys, the keys in the order given, or for
 * matching [{option, value}] with the key of the match chosen for each option.
 */
(function (root) {
  "use strict";

  function chosenOne(correct, response) {
    return response.length === 1 && correct.indexOf(response[0]) !== -1 ? 1 : 0;
  }

  var graders = {
    single_choice: chosenOne,
    true_false: chosenOne,
    multiple_choice: function (correct, response) {
      var same = response.length === correct.length && response.every(function (key) {
        return correct.indexOf(key) !== -1;
      });
      return same ? 1 : 0;
    },
    ordering: function (correct, response) {
      return response.join("|") === correct.join("|") ? 1 : 0;
    },
    matching: function (correct, response) {
      return response.every(function (p) {
        return p.option === p.value;
      }) ? 1 : 0;
    }
  };

  function grade(question, response) {
    var grader = graders[question.kind];
    return grader ? grader(question.correct, response) : 0;
  }

  root.SpkGrading = { grade: grade };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = root.SpkGrading;
  }
})(typeof window !== "undefined" ? window : globalThis);
