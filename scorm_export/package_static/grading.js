/*
 * Spreekkamer package grader: the score of one response, all-or-nothing per question, exactly as
 * Question.grade() in courses/models/content.py. One function per question kind; a kind without one
 * (scale) is not scored. Both graders run against tests/fixtures/grading_cases.json
 * (tests/scorm_export/test_grading_cases.py). Loaded by index.html before player.js; node loads it
 * with require() for the tests.
 *
 * The package carries no plain answer key. `question.correct` holds salted hashes
 * (`answerHash`, the same FNV-1a as answer_hash() in scorm_export/packaging/content.py): of the
 * correct option keys (choice kinds), or of "order:" + every option key in the correct order joined
 * by "|" (ordering). A response: the chosen keys, the keys in the order given, or for matching
 * [{option, value}] with the select's value, the hash of "match:" + the key of the match chosen.
 * Deterrence against view-source, not secrecy (docs/packages.md).
 */
(function (root) {
  "use strict";

  function answerHash(question, value) {
    var text = unescape(encodeURIComponent(question.salt + "|" + question.name + "|" + value));
    var digest = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) {
      digest = Math.imul(digest ^ text.charCodeAt(i), 0x01000193) >>> 0;
    }
    return ("0000000" + digest.toString(16)).slice(-8);
  }

  function chosenOne(question, response) {
    return response.length === 1 &&
      question.correct.indexOf(answerHash(question, response[0])) !== -1 ? 1 : 0;
  }

  var graders = {
    single_choice: chosenOne,
    true_false: chosenOne,
    multiple_choice: function (question, response) {
      var correct = question.correct;
      var same = response.length === correct.length && response.every(function (key) {
        return correct.indexOf(answerHash(question, key)) !== -1;
      });
      return same ? 1 : 0;
    },
    ordering: function (question, response) {
      var given = answerHash(question, "order:" + response.join("|"));
      return question.correct.indexOf(given) !== -1 ? 1 : 0;
    },
    matching: function (question, response) {
      return response.every(function (p) {
        return answerHash(question, "match:" + p.option) === p.value;
      }) ? 1 : 0;
    }
  };

  function grade(question, response) {
    var grader = graders[question.kind];
    return grader ? grader(question, response) : 0;
  }

  root.SpkGrading = { grade: grade, answerHash: answerHash };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = root.SpkGrading;
  }
})(typeof window !== "undefined" ? window : globalThis);
