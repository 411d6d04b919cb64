"""Time on task that means something: an accredited course completes only after the learner spent
a share of its study load in visible lesson pages, counted from heartbeats the server caps."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from courses import reports, services
from courses.models import CourseCompletion, CourseVersion, Enrollment, Lesson, LessonProgress
from tests import factories
from tests.courses.test_completion_races import Browser, at_once
from tests.factories import correct_answers
from tests.records.registers_support import accredit

pytestmark = pytest.mark.django_db


@pytest.fixture
def accredited():
    """A course of 0.1 hour study load (6 minutes: 50 % is 180 s), accredited by BIG."""
    course = factories.make_course(slug="geaccrediteerd", lessons=2, final_questions=2)
    CourseVersion.objects.filter(course=course).update(study_load_hours=Decimal("0.1"))
    accredit(course, "big")
    return course


def lesson_url(course, key="les-1"):
    return f"/cursus/{course.slug}/les/{key}/"


def finish_everything(client, course):
    """Enrol, complete both lessons and pass the final test over HTTP, as fast as a guesser."""
    client.post(f"/cursus/{course.slug}/inschrijven/")
    client.get(lesson_url(course))
    for key in ("les-1", "les-2"):
        client.post(lesson_url(course, key) + "afronden/")
    enrollment = Enrollment.objects.get(course=course)
    quiz = enrollment.version.final_test
    client.post(f"/cursus/{course.slug}/toets/{quiz.key}/starten/")
    attempt = enrollment.attempts.get()
    client.post(
        f"/cursus/{course.slug}/toets/{quiz.key}/poging/{attempt.pk}/", correct_answers(quiz)
    )
    attempt.refresh_from_db()
    assert attempt.passed
    return enrollment


def test_it_waits_for_time_on_task_and_completes_on_the_heartbeat_that_reaches_it(
    client, accredited
):
    learner = factories.make_user()
    client.force_login(learner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        enrollment = finish_everything(client, accredited)
        assert not CourseCompletion.objects.filter(enrollment=enrollment).exists()
        page = client.get(f"/cursus/{accredited.slug}/").content.decode()
    assert "er zijn nog ongeveer 3 minuten leertijd nodig" in page
    assert "Je hebt deze cursus afgerond." not in page
    enrollment.refresh_from_db()
    assert enrollment.time_pending_since == start and enrollment.completed_at is None

    # Five heartbeats of 30 s: 150 of the 180 s needed.
    for beat in range(1, 6):
        with time_machine.travel(start + timedelta(seconds=30 * beat), tick=False):
            assert client.post(lesson_url(accredited) + "tijd/").json() == {"added_seconds": 30}
    assert not CourseCompletion.objects.filter(enrollment=enrollment).exists()
    with time_machine.travel(start + timedelta(seconds=150), tick=False):
        page = client.get(f"/cursus/{accredited.slug}/").content.decode()
    assert "er is nog ongeveer 1 minuut leertijd nodig" in page

    with time_machine.travel(start + timedelta(seconds=180), tick=False):
        client.post(lesson_url(accredited) + "tijd/")
    completion = CourseCompletion.objects.get(enrollment=enrollment)
    assert completion.completed_at == start + timedelta(seconds=180)
    enrollment.refresh_from_db()
    assert enrollment.time_pending_since is None
    page = client.get(f"/cursus/{accredited.slug}/").content.decode()
    assert "Je hebt deze cursus afgerond." in page and "leertijd nodig" not in page


def test_it_completes_on_the_next_visit_when_the_time_was_spent_before(client, accredited):
    learner = factories.make_user()
    client.force_login(learner)
    enrollment = finish_everything(client, accredited)
    assert not CourseCompletion.objects.filter(enrollment=enrollment).exists()
    # Time spent earlier that the completion did not see yet (e.g. a lesson read in another tab).
    LessonProgress.objects.filter(enrollment=enrollment, lesson_key="les-2").update(
        seconds_spent=200
    )
    client.get(f"/cursus/{accredited.slug}/")
    assert CourseCompletion.objects.filter(enrollment=enrollment).exists()


def test_it_completes_an_unaccredited_course_without_waiting_for_time(client):
    course = factories.make_course(slug="vrij", lessons=2, final_questions=2)
    client.force_login(factories.make_user())
    enrollment = finish_everything(client, course)
    assert CourseCompletion.objects.filter(enrollment=enrollment).exists()


def test_it_takes_the_share_from_the_setting(client, accredited, settings):
    settings.COMPLETION_MIN_TIME_PERCENT = 0
    client.force_login(factories.make_user())
    enrollment = finish_everything(client, accredited)
    assert CourseCompletion.objects.filter(enrollment=enrollment).exists()


def test_it_credits_at_most_one_interval_per_heartbeat_and_nothing_while_hidden(client, accredited):
    client.force_login(factories.make_user())
    client.post(f"/cursus/{accredited.slug}/inschrijven/")
    beat = lesson_url(accredited) + "tijd/"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(lesson_url(accredited))
    with time_machine.travel(start + timedelta(seconds=80), tick=False):
        # 80 s since the last beat (a throttled timer): one 30 s interval at most.
        assert client.post(beat).json() == {"added_seconds": 30}
    with time_machine.travel(start + timedelta(seconds=85), tick=False):
        # Hidden from 85 s on: the page sends a last beat, 5 s.
        assert client.post(beat).json() == {"added_seconds": 5}
    with time_machine.travel(start + timedelta(seconds=145), tick=False):
        # Visible again after a minute: the start beat only restarts the clock.
        assert client.post(beat, {"start": "1"}).json() == {"added_seconds": 0}
    with time_machine.travel(start + timedelta(seconds=175), tick=False):
        assert client.post(beat).json() == {"added_seconds": 30}
    assert LessonProgress.objects.get(lesson_key="les-1").seconds_spent == 65


def test_it_counts_one_clock_for_two_tabs_on_different_lessons(client, accredited):
    client.force_login(factories.make_user())
    client.post(f"/cursus/{accredited.slug}/inschrijven/")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(lesson_url(accredited, "les-1"))
        client.get(lesson_url(accredited, "les-2"))
    # Both tabs beat every 30 s, 15 s apart, for two minutes: two minutes are credited.
    for offset in range(15, 121, 15):
        key = "les-1" if offset % 30 else "les-2"
        with time_machine.travel(start + timedelta(seconds=offset), tick=False):
            client.post(lesson_url(accredited, key) + "tijd/")
    assert sum(LessonProgress.objects.values_list("seconds_spent", flat=True)) == 120


def test_it_pins_the_heartbeat_queries(client, accredited, django_assert_num_queries):
    client.force_login(factories.make_user())
    client.post(f"/cursus/{accredited.slug}/inschrijven/")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(lesson_url(accredited))
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        # Session and user (2), enrolment and lesson (2), savepoint, the locked enrolment, the
        # clock and the lesson's time (3), savepoint release.
        with django_assert_num_queries(9):
            assert client.post(lesson_url(accredited) + "tijd/").json() == {"added_seconds": 30}


def test_it_lists_learners_waiting_only_for_time_for_staff(client, accredited):
    learner = factories.make_user(first_name="Noor", last_name="Wachter")
    client.force_login(learner)
    finish_everything(client, accredited)
    other = factories.make_user(first_name="Bram", last_name="Klaar")
    client.force_login(other)
    client.post(f"/cursus/{accredited.slug}/inschrijven/")  # not done: not listed
    author = factories.make_author(accredited)
    client.force_login(author)
    url = reverse("records:attendance_overview", args=[accredited.slug])
    page = client.get(url).content.decode()
    assert "Afronding wacht op leertijd" in page
    assert "1 deelnemer wacht op leertijd" in page and "Noor" not in page
    author.user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    page = client.get(url).content.decode()
    assert "Noor Wachter" in page and "Bram" not in page
    assert "<td>0</td>\n        <td>3</td>" in page  # minutes spent, minutes needed


def test_it_reports_the_median_time_per_lesson_beside_the_estimate(accredited):
    version = accredited.published_version
    Lesson.objects.filter(module__version=version, key="les-1").update(estimated_minutes=4)
    for seconds in (60, 120, 600):
        enrollment = services.enroll_learner(factories.make_user(), accredited)
        LessonProgress.objects.create(
            enrollment=enrollment,
            lesson_key="les-1",
            seconds_spent=seconds,
            completed_at=timezone.now(),
        )
    # Started but not completed: not in the median.
    enrollment = services.enroll_learner(factories.make_user(), accredited)
    LessonProgress.objects.create(enrollment=enrollment, lesson_key="les-1", seconds_spent=5000)
    first = reports.lesson_funnel(accredited)[0]
    assert (first.median_minutes, first.estimated_minutes) == (2.0, 4)
    assert reports.lesson_funnel(accredited)[1].median_seconds is None


@pytest.mark.django_db(transaction=True)
def test_it_credits_simultaneous_heartbeats_once_over_real_http(live_server):
    learner = factories.make_user()
    course = factories.make_course(lessons=1)
    enrollment = services.enroll_learner(learner, course)
    services.start_lesson(enrollment, Lesson.objects.get(module__version=enrollment.version))
    time.sleep(2)
    browser = Browser(live_server, learner)
    path = lesson_url(course) + "tijd/"

    statuses = at_once(*[lambda: browser.request("POST", path, {})[0]] * 20)

    assert set(statuses) == {200}
    # About two seconds passed: credited once, not twenty times.
    assert 2 <= LessonProgress.objects.get(enrollment=enrollment).seconds_spent <= 4


def test_it_keeps_the_fraction_of_a_second_for_the_next_beat(accredited, settings):
    settings.PLAYER_HEARTBEAT_SECONDS = 1
    enrollment = services.enroll_learner(factories.make_user(), accredited)
    lesson = Lesson.objects.get(module__version=enrollment.version, key="les-1")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.start_lesson(enrollment, lesson)
    # A timer that fires a little early, ten times: nine whole seconds, not zero.
    for beat in range(1, 11):
        services.record_time(enrollment, "les-1", start + timedelta(seconds=0.95 * beat))
    assert LessonProgress.objects.get(enrollment=enrollment, lesson_key="les-1").seconds_spent == 9
