"""Faults against the real database: concurrent submits and a connection dropped mid-transaction
(in a service call, and in a real HTTP request)."""

import http.client
import threading
import urllib.parse

import pytest
from django.db import OperationalError, connection, connections
from django.db.utils import InterfaceError

from courses import services, signals
from courses.models import Answer, QuizAttempt
from tests import factories
from tests.factories import correct_answers

pytestmark = pytest.mark.django_db(transaction=True)


def started_final_test(questions):
    """A learner with a started (unsubmitted) final test of `questions` questions."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and pg_terminate_backend need PostgreSQL (make test runs on it)")
    learner = factories.make_user()
    course = factories.make_course(final_questions=questions)
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    return learner, course, enrollment, quiz, services.start_attempt(enrollment, quiz)


def terminate_this_threads_connection(**kwargs):
    """attempt_submitted receiver: another session terminates this thread's database session
    (after the answers were written, before the commit)."""
    pid = connection.connection.info.backend_pid
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        killer.close()


def test_it_scores_fifty_concurrent_submits_of_one_attempt_once():
    learner, _course, enrollment, quiz, attempt = started_final_test(5)
    data = correct_answers(quiz)
    barrier = threading.Barrier(50)
    results, errors = [], []

    def submit():
        try:
            barrier.wait(timeout=30)
            results.append(services.submit_attempt(attempt.pk, data, learner))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert len(results) == 50
    assert sum(1 for r in results if r.newly_submitted) == 1
    assert {float(r.attempt.score) for r in results} == {1.0}
    assert Answer.objects.filter(attempt=attempt).count() == 5
    assert (
        QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=False, passed=True).count()
        == 1
    )
    assert enrollment.attempts.count() == 1


def test_it_writes_nothing_when_the_connection_drops_mid_submit_and_a_retry_succeeds():
    learner, _course, _enrollment, quiz, attempt = started_final_test(3)
    data = correct_answers(quiz)
    signals.attempt_submitted.connect(terminate_this_threads_connection, dispatch_uid="kill")
    try:
        with pytest.raises((OperationalError, InterfaceError)):
            services.submit_attempt(attempt.pk, data, learner)
    finally:
        signals.attempt_submitted.disconnect(dispatch_uid="kill")
        connection.close()

    assert Answer.objects.filter(attempt=attempt).count() == 0
    assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None

    result = services.submit_attempt(attempt.pk, data, learner)
    assert result.newly_submitted and result.attempt.passed
    assert Answer.objects.filter(attempt=attempt).count() == 3


def test_it_answers_a_dropped_connection_mid_request_with_an_error_page_and_loses_nothing(
    live_server,
):
    """Over real HTTP: the database session of the server thread is terminated while the
    learner's final test submit is inside its transaction. The learner gets the error page,
    nothing is half-written, and sending the same form again is scored once."""
    learner, course, _enrollment, quiz, attempt = started_final_test(3)
    csrf = "a" * 32
    headers = {
        "Cookie": f"sessionid={factories.login_session_key(learner)}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urllib.parse.urlencode(correct_answers(quiz))
    path = f"/cursus/{course.slug}/toets/{quiz.key}/poging/{attempt.pk}/"
    host = urllib.parse.urlsplit(live_server.url)

    def post():
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Location"), response.read().decode()
        finally:
            conn.close()

    served = []

    def kill_server_connection(**kwargs):
        served.append(threading.current_thread().name)  # the server's request thread
        terminate_this_threads_connection()

    signals.attempt_submitted.connect(kill_server_connection, dispatch_uid="kill-http")
    try:
        status, _location, page = post()
    finally:
        signals.attempt_submitted.disconnect(dispatch_uid="kill-http")
    assert served and served[0] != threading.current_thread().name
    assert status == 500
    assert "Er ging iets mis" in page
    assert Answer.objects.filter(attempt=attempt).count() == 0
    assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None

    status, location, _page = post()  # the server thread reconnects for the next request
    assert status == 302 and location.endswith(f"/poging/{attempt.pk}/resultaat/")
    assert Answer.objects.filter(attempt=attempt).count() == 3
    assert QuizAttempt.objects.get(pk=attempt.pk).passed is True
