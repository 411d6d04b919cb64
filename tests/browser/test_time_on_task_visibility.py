"""In chromium: the lesson page's heartbeat counts time only while the page is visible; a hidden
page sends one last beat and then nothing, and on its return the clock restarts."""

import os
import time

import pytest

from courses import services
from courses.models import LessonProgress
from tests import factories
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SET_VISIBILITY = """state => {
    Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def seconds(enrollment) -> int:
    return LessonProgress.objects.get(enrollment=enrollment, lesson_key="les-1").seconds_spent


def test_it_counts_time_only_while_the_lesson_is_visible(live_server, page, settings):
    settings.PLAYER_HEARTBEAT_SECONDS = 1
    course = factories.make_course(slug="zichtbaar", lessons=1)
    learner = factories.make_user()
    enrollment = services.enroll_learner(learner, course)
    login(page, live_server, learner, next_path=f"/cursus/{course.slug}/les/les-1/")

    started = time.monotonic()
    wait_for_growth(enrollment, 0)
    assert seconds(enrollment) <= time.monotonic() - started + 1  # never more than real time

    with page.expect_request(lambda r: r.url.endswith("/tijd/")):
        page.evaluate(SET_VISIBILITY, "hidden")  # the last beat counts up to now
    time.sleep(1)
    hidden_from = seconds(enrollment)
    time.sleep(4)
    assert seconds(enrollment) == hidden_from  # nothing while hidden

    with page.expect_request(lambda r: r.url.endswith("/tijd/")) as start:
        page.evaluate(SET_VISIBILITY, "visible")
    assert start.value.post_data and "start" in start.value.post_data
    back = time.monotonic()
    wait_for_growth(enrollment, hidden_from)  # counting resumes on return ...
    # ... from the return on: the four hidden seconds are never credited.
    assert seconds(enrollment) - hidden_from <= time.monotonic() - back + 1


def wait_for_growth(enrollment, above: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while seconds(enrollment) < above + 2:
        assert time.monotonic() < deadline, "no time was credited while the page was visible"
        time.sleep(0.25)
