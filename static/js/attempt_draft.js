// Saves the answers of an open test attempt as the learner goes, so nothing typed is lost when
// they navigate away or log out (courses.views.quizzes.attempt_draft). The page works without it.
(function () {
  "use strict";
  var form = document.querySelector("form.quiz-form[data-draft-url]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var pending = null;
  function save() {
    pending = null;
    fetch(form.getAttribute("data-draft-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).catch(function () {
      // Offline for a moment: the next change or the submit itself sends the answers again.
    });
  }
  form.addEventListener("change", function () {
    if (pending) {
      clearTimeout(pending);
    }
    pending = setTimeout(save, 300);
  });
})();
