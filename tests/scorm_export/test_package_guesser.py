"""A guessing learner fails in the exported packages too: each seed course's SCORM 2004 package,
run in chromium under scorm-again, with the final test answered by position only (the first
option shown, "Niet waar", every option but the last, orders and matches as shown), reports
failed."""

from io import StringIO

import pytest
from django.core.management import call_command

from courses.models import Course
from scorm_export.packaging.builder import builder_for
from tests import factories
from tests.scorm_export import learner
from tests.scorm_export.harness import browser_page, make_site, serve

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

HAND_IN = "Lever de toets in"


@pytest.fixture
def seed_courses(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_seed_content", stdout=StringIO())
    courses = list(Course.objects.published().order_by("slug"))
    assert len(courses) >= 3 and all(c.published_version.final_test for c in courses)
    return courses


def answer_by_position(page) -> None:
    """Answer every question on the visible page as the guesser does."""
    for question in page.locator("fieldset.question").all():
        radios = question.locator("input[type=radio]")
        boxes = question.locator("input[type=checkbox]")
        selects = question.locator("select")
        if radios.count():
            niet_waar = question.get_by_label("Niet waar", exact=True)
            (niet_waar if niet_waar.count() else radios.first).check()
        elif boxes.count():
            for n in range(boxes.count() - 1):
                boxes.nth(n).check()
        for n in range(selects.count()):
            # Ordering: the order shown; matching: the n-th match for the n-th item shown.
            select = selects.nth(n)
            values = [
                v
                for v in select.locator("option").evaluate_all(
                    "options => options.map(o => o.value)"
                )
                if v
            ]
            select.select_option(values[min(n, len(values) - 1)])


def run_guesser(course, tmp_path) -> tuple[str, dict]:
    """Launch the course's SCORM 2004 package, walk to the final test, answer it by position and
    hand it in; returns the result text and the LMS's CMI data."""
    package = builder_for("scorm2004", course.published_version).build_bytes()
    site = make_site(tmp_path / course.slug, package)
    pass_mark = course.published_version.final_test.pass_mark
    with serve(site) as base, browser_page() as (page, _console_errors):
        page.goto(base + "/lms/lms.html")
        page.evaluate(
            "([s, i, u]) => launchSco(s, i, u)",
            ["scorm2004", {"scaled_passing_score": str(pass_mark / 100)}, base + "/pkg/index.html"],
        )
        frame = page.frame_locator("#sco")
        learner.wait_ready(frame)
        visible = frame.locator(".spk-page:not([hidden])")
        for _page in range(60):
            if visible.get_by_role("button", name=HAND_IN).count():
                break
            learner.complete_lesson(frame)
        answer_by_position(visible)
        learner.press(frame, visible.get_by_role("button", name=HAND_IN))
        return frame.locator("#result-final").inner_text(), page.evaluate("cmiSnapshot()")


def test_it_fails_every_seed_final_test_in_the_package_when_answering_by_position(
    seed_courses, tmp_path
):
    for course in seed_courses:
        result, cmi = run_guesser(course, tmp_path)
        assert "niet gehaald" in result, (course.slug, result)
        assert cmi["success_status"] == "failed", (course.slug, cmi)


def test_the_guesser_would_pass_a_package_whose_keys_are_all_first(tmp_path):
    """The check above can fail: on a test with every key in the first position, answering by
    position passes the package."""
    course = factories.make_course(slug="alles-eerst", lessons=1, final_questions=5)
    result, cmi = run_guesser(course, tmp_path)
    assert "niet gehaald" not in result
    assert cmi["success_status"] == "passed"
