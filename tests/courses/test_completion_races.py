"""Completions that hold: simultaneous requests of one learner over real HTTP on PostgreSQL, the
final test completing its lesson and the course, and recovery of completions a fault left out."""

import http.client
import threading
import urllib.parse
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection, connections

from courses import services
from courses.evaluations import record_evaluation
from courses.models import (
    CourseCompletion,
    Lesson,
    LessonProgress,
    QuizAttempt,
    QuizBlock,
)
from tests import factories
from tests.courses.learning_fixtures import add_self_assessment
from tests.factories import correct_answers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (make test runs on it)")


class Browser:
    """A logged-in learner speaking HTTP to the live server (session and CSRF cookies)."""

    def __init__(self, live_server, user):
        csrf = "b" * 32
        self.headers = {
            "Cookie": f"sessionid={factories.login_session_key(user)}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
        }
        self.host = urllib.parse.urlsplit(live_server.url)

    def request(self, method, path, data=None):
        conn = http.client.HTTPConnection(self.host.hostname, self.host.port, timeout=60)
        headers = dict(self.headers)
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def at_once(*calls):
    """Run every call in its own thread, released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(index, call):
        try:
            barrier.wait(timeout=60)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert errors == []
    return results


def test_it_starts_exactly_one_attempt_when_forty_starts_arrive_with_one_attempt_left(
    live_server,
):
    learner = factories.make_user()
    course = factories.make_course(final_questions=2, max_attempts=2)
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    first = services.start_attempt(enrollment, quiz)
    services.submit_attempt(first.pk, {}, learner)  # failed: one attempt left
    browser = Browser(live_server, learner)
    path = f"/cursus/{course.slug}/toets/{quiz.key}/starten/"

    statuses = at_once(*[lambda: browser.request("POST", path, {})[0]] * 40)

    assert set(statuses) == {302}
    assert QuizAttempt.objects.filter(enrollment=enrollment).count() == 2
    assert QuizAttempt.objects.filter(enrollment=enrollment, submitted_at__isnull=True).count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_it_completes_and_certifies_when_a_pass_and_the_last_lesson_arrive_together(
    live_server, round_
):
    learner = factories.make_user()
    course = factories.make_course(final_questions=3, lessons=2)
    enrollment = services.enroll_learner(learner, course)
    version = enrollment.version
    services.complete_lesson(enrollment, Lesson.objects.get(module__version=version, key="les-1"))
    quiz = version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    browser = Browser(live_server, learner)
    submit = f"/cursus/{course.slug}/toets/{quiz.key}/poging/{attempt.pk}/"
    last_lesson = f"/cursus/{course.slug}/les/les-2/afronden/"
    answers = correct_answers(quiz)

    statuses = at_once(
        lambda: browser.request("POST", submit, answers)[0],
        lambda: browser.request("POST", last_lesson, {})[0],
    )

    assert statuses == [302, 302]
    completion = CourseCompletion.objects.get(enrollment=enrollment)
    assert completion.passed and completion.score == 1
    # The certificate waits for the participant evaluation (accreditation asks for it).
    record_evaluation(
        enrollment,
        {"relevance": 4, "quality": 4, "independence": 5, "minutes_spent": 60, "comment": ""},
    )
    status, pdf = browser.request("GET", f"/cursus/{course.slug}/certificaat.pdf")
    assert status == 200 and pdf.startswith(b"%PDF")


def test_it_keeps_one_pre_course_self_assessment_when_two_arrive_together(live_server):
    learner = factories.make_user()
    course = factories.make_course(final_questions=1, publish=False)
    version = course.versions.get()
    quiz = add_self_assessment(version)
    factories.publish_version(version)
    enrollment = services.enroll_learner(learner, course)
    browser = Browser(live_server, learner)
    path = f"/cursus/{course.slug}/zelfevaluatie/voor/"
    answers = correct_answers(quiz)

    statuses = at_once(
        lambda: browser.request("POST", path, answers)[0],
        lambda: browser.request("POST", path, answers)[0],
    )

    assert statuses == [302, 302]
    assert QuizAttempt.objects.filter(enrollment=enrollment, phase="pre").count() == 1


def test_it_refuses_at_submit_an_attempt_beyond_the_limit():
    """Two attempts left open by a past race: only the first one handed in counts."""
    learner = factories.make_user()
    course = factories.make_course(final_questions=1, max_attempts=1)
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    one = QuizAttempt.objects.create(enrollment=enrollment, quiz=quiz, number=1)
    two = QuizAttempt.objects.create(enrollment=enrollment, quiz=quiz, number=2)

    services.submit_attempt(one.pk, {}, learner)
    with pytest.raises(PermissionDenied):
        services.submit_attempt(two.pk, correct_answers(quiz), learner)
    assert QuizAttempt.objects.get(pk=two.pk).submitted_at is None


def final_test_in_last_lesson(learner):
    course = factories.make_course(final_questions=2, lessons=2, publish=False)
    version = course.versions.get()
    last = Lesson.objects.get(module__version=version, key="les-2")
    QuizBlock.objects.create(lesson=last, position=5, key="eindtoets", quiz=version.final_test)
    factories.publish_version(version)
    enrollment = services.enroll_learner(learner, course)
    services.complete_lesson(enrollment, Lesson.objects.get(module__version=version, key="les-1"))
    return course, enrollment


def test_it_completes_the_final_tests_lesson_and_the_course_when_the_final_test_is_passed():
    learner = factories.make_user()
    _course, enrollment = final_test_in_last_lesson(learner)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)

    services.submit_attempt(attempt.pk, correct_answers(quiz), learner)

    assert LessonProgress.objects.get(enrollment=enrollment, lesson_key="les-2").is_completed
    assert CourseCompletion.objects.filter(enrollment=enrollment, passed=True).exists()


def stuck_learner():
    """A learner whose pass was recorded but whose completion a past fault left out."""
    learner = factories.make_user()
    course, enrollment = final_test_in_last_lesson(learner)
    quiz = enrollment.version.final_test
    QuizAttempt.objects.create(
        enrollment=enrollment,
        quiz=quiz,
        number=1,
        submitted_at="2026-01-05T10:00Z",
        score=1,
        passed=True,
    )
    return learner, course, enrollment


def test_it_repairs_a_missing_completion_with_the_command_once():
    _learner, course, enrollment = stuck_learner()
    out = StringIO()

    call_command("repair_completions", stdout=out)
    call_command("repair_completions", stdout=out)

    assert CourseCompletion.objects.filter(enrollment=enrollment).count() == 1
    assert f"{course.slug}: enrolment {enrollment.pk} completed" in out.getvalue()
    assert "0 completion(s) repaired." in out.getvalue()


def test_it_repairs_a_missing_completion_on_the_next_visit_of_the_course_page(client):
    learner, course, enrollment = stuck_learner()
    client.force_login(learner)

    html = client.get(f"/cursus/{course.slug}/").content.decode()

    assert CourseCompletion.objects.filter(enrollment=enrollment).exists()
    assert "Bekijk je certificaat" in html
