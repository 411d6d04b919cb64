"""Packages keep their answer key out of view-source, ask the final test once, and never report a
score rounded up across the pass mark."""

import io
import json
import re
import zipfile

import pytest

from courses.models import Lesson, Option, QuizBlock
from scorm_export.packaging.builder import builder_for
from scorm_export.packaging.content import answer_hash
from tests import factories
from tests.courses.learning_fixtures import add_matching_question, add_ordering_question
from tests.scorm_export import learner
from tests.scorm_export.harness import browser_page, make_site, serve

pytestmark = pytest.mark.django_db


def course_with_final_test_in_a_lesson(final_questions=3):
    course = factories.make_course(lessons=1, final_questions=final_questions, publish=False)
    version = course.versions.get()
    lesson = Lesson.objects.get(module__version=version)
    QuizBlock.objects.create(lesson=lesson, position=9, key="eindtoets", quiz=version.final_test)
    add_ordering_question(version.final_test, 90)
    add_matching_question(version.final_test, 91)
    factories.publish_version(version)
    return course


def index_html(course, standard="scorm2004") -> str:
    package = builder_for(standard, course.published_version).build_bytes()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.read("index.html").decode()


def test_it_ships_salted_hashes_instead_of_the_answer_key(db):
    course = course_with_final_test_in_a_lesson()
    html = index_html(course)
    data = json.loads(re.search(r'id="spk-course-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    questions = {q["name"]: q for q in data["quizzes"]["final"]["questions"]}
    option_keys = set(Option.objects.values_list("key", flat=True))

    for question in questions.values():
        assert not set(question["correct"]) & option_keys
        assert all(re.fullmatch(r"[0-9a-f]{8}", value) for value in question["correct"])
    first = questions["final-q0"]
    assert first["correct"] == [answer_hash(first["salt"], "final-q0", "o0")]
    # Matching selects carry opaque values, not the key of the option they belong to.
    selects = re.findall(r'data-option="(\w+)">(.*?)</select>', html, re.S)
    assert selects
    for option_key, body in selects:
        assert f'value="{option_key}"' not in body


def test_it_asks_the_final_test_once_on_its_own_page(db):
    course = course_with_final_test_in_a_lesson()
    html = index_html(course, "scorm12")
    assert html.count('data-question="final-q0"') == 1
    assert not re.search(r'data-question="p\d+-eindtoets-', html)
    assert "De eindtoets maak je op de laatste pagina van deze cursus." in html


@pytest.mark.browser
def test_it_reports_16_of_23_as_69_percent_and_failed(tmp_path):
    course = factories.make_course(lessons=1, final_questions=23)
    package = builder_for("scorm2004", course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, _console_errors):
        page.goto(base + "/lms/lms.html")
        page.evaluate(
            "([s, i, u]) => launchSco(s, i, u)",
            ["scorm2004", {"scaled_passing_score": "0.7"}, base + "/pkg/index.html"],
        )
        frame = page.frame_locator("#sco")
        learner.wait_ready(frame)
        learner.complete_lesson(frame)
        result = learner.take_final_test(frame, right=16, total=23)
        assert "Je score: 69%" in result and "niet gehaald" in result
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["success_status"] == "failed"
        assert cmi["score"]["raw"] == "69" and cmi["score"]["scaled"] == "0.69"
