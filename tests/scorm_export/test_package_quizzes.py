"""Question types graded in the browser inside the package, the same way Question.grade() does."""

import pytest

from courses.models import (
    Lesson,
    MatchingQuestion,
    Option,
    OrderingQuestion,
    Quiz,
    QuizBlock,
    ScaleQuestion,
)
from scorm_export.packaging.builder import builder_for
from tests import factories
from tests.scorm_export import learner
from tests.scorm_export.harness import browser_page, make_site, serve

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


@pytest.fixture
def course_with_every_question_type(db):
    course = factories.make_course(lessons=1, final_questions=0)
    version = course.published_version
    lesson = Lesson.objects.get(module__version=version)
    with factories.unpublished(version):
        quiz = Quiz.objects.create(version=version, key="alles", title="Alle vraagsoorten")
        ordering = OrderingQuestion.objects.create(
            quiz=quiz, position=0, key="volgorde", prompt="<p>Volgorde</p>"
        )
        for i, text in enumerate(["Begroeten", "Vragen", "Afronden"]):
            Option.objects.create(question=ordering, position=i, key=f"s{i}", text=text)
        matching = MatchingQuestion.objects.create(
            quiz=quiz, position=1, key="koppel", prompt="<p>Koppel</p>"
        )
        for i, (text, match) in enumerate(
            [("POH-GGZ", "Psychische zorg"), ("Doktersassistent", "Triage")]
        ):
            Option.objects.create(
                question=matching, position=i, key=f"m{i}", text=text, match=match
            )
        ScaleQuestion.objects.create(
            quiz=quiz, position=2, key="schaal", prompt="<p>Ik voel me zeker</p>", scale_max=5
        )
        QuizBlock.objects.create(lesson=lesson, position=5, key="alles", quiz=quiz)
    return course


def test_it_grades_ordering_and_matching_and_leaves_scales_ungraded(
    course_with_every_question_type, tmp_path
):
    package = builder_for(
        "scorm2004", course_with_every_question_type.published_version
    ).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        page.evaluate("([s, u]) => launchSco(s, null, u)", ["scorm2004", base + "/pkg/index.html"])
        frame = page.frame_locator("#sco")
        learner.wait_ready(frame)
        quiz = frame.locator("form.spk-quiz")
        check = quiz.get_by_role("button", name="Controleer je antwoorden")
        # Wrong order first: Afronden, Begroeten, Vragen.
        quiz.get_by_label("Afronden").select_option("1")
        quiz.get_by_label("Begroeten").select_option("2")
        quiz.get_by_label("Vragen").select_option("3")
        quiz.get_by_label("POH-GGZ").select_option(label="Psychische zorg")
        quiz.get_by_label("Doktersassistent").select_option(label="Triage")
        quiz.locator("input[type=radio][value='4']").check()
        learner.press(frame, check)
        assert "Je score: 50%" in quiz.locator(".quiz-result").inner_text()
        verdicts = quiz.locator("[data-verdict]:not([hidden])").all_inner_texts()
        assert verdicts == ["Niet goed.", "Goed."]  # the scale question gets no verdict
        quiz.get_by_label("Begroeten").select_option("1")
        quiz.get_by_label("Vragen").select_option("2")
        quiz.get_by_label("Afronden").select_option("3")
        learner.press(frame, check)
        assert "Je score: 100%" in quiz.locator(".quiz-result").inner_text()
        # The ordering question does not give its answer away: options are listed alphabetically.
        labels = quiz.locator("[data-question$='-volgorde'] label").all_inner_texts()
        assert labels == ["Afronden", "Begroeten", "Vragen"]
        assert console_errors == []


def test_it_asks_for_every_answer_before_grading(course_with_every_question_type, tmp_path):
    package = builder_for(
        "scorm12", course_with_every_question_type.published_version
    ).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, _console_errors):
        page.goto(base + "/lms/lms.html")
        page.evaluate("([s, u]) => launchSco(s, null, u)", ["scorm12", base + "/pkg/index.html"])
        frame = page.frame_locator("#sco")
        learner.wait_ready(frame)
        quiz = frame.locator("form.spk-quiz")
        quiz.get_by_label("Begroeten").select_option("1")
        learner.press(frame, quiz.get_by_role("button", name="Controleer je antwoorden"))
        assert quiz.locator(".quiz-result").inner_text() == "Beantwoord eerst alle vragen."
        assert quiz.locator("[data-verdict]:not([hidden])").count() == 0
