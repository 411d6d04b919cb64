"""Faults against the real database: concurrent submits and a connection dropped mid-transaction."""

import threading

import pytest
from django.db import OperationalError, connection, connections
from django.db.utils import InterfaceError

from courses import services, signals
from courses.models import Answer, QuizAttempt
from tests import factories
from tests.factories import correct_answers

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_scores_fifty_concurrent_submits_of_one_attempt_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (make test runs on it)")
    learner = factories.make_user()
    course = factories.make_course(final_questions=5)
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
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
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL (make test runs on it)")
    learner = factories.make_user()
    course = factories.make_course(final_questions=3)
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    data = correct_answers(quiz)

    def kill_own_connection(**kwargs):
        # Another session terminates this one after the answers were written, before commit.
        pid = connection.connection.info.backend_pid
        killer = connections.create_connection("default")
        try:
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            killer.close()

    signals.attempt_submitted.connect(kill_own_connection, dispatch_uid="kill")
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
