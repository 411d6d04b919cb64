"""A submitted quiz attempt writes one `XapiEvent` row; the delivery task (or the sweep, when its
message was lost) builds the statements from it, once, with what the request would have built."""

import threading

import pytest
from django.db import connection

from accounts.models import RegisterNumber
from courses import services, signals
from courses.models import Quiz, QuizAttempt
from records import services as records_services
from records import tasks, xapi
from records.models import (
    AccreditationBody,
    LearningRecordStore,
    StatementOutbox,
    XapiEvent,
    XapiStatement,
)
from tests import factories
from tests.lrs_support import make_rich_course, run_journey


@pytest.fixture
def every_actor_mode(learner, lrs, body):
    """The course received by a general LRS (account), a body asking for BIG numbers and one
    asking for e-mail addresses."""
    course = make_rich_course()
    body.actor_mode = AccreditationBody.ActorMode.BIG
    body.save()
    body.courses.add(course)
    mail_body = AccreditationBody.objects.create(name="Register", slug="reg", actor_mode="email")
    mail_body.courses.add(course)
    for name, accrediting in (("abc1", body), ("reg", mail_body)):
        LearningRecordStore.objects.create(name=name, endpoint=lrs.endpoint, body=accrediting)
    RegisterNumber.objects.create(user=learner, register="big", number="19012345601")
    return course


@pytest.mark.django_db
def test_it_builds_the_statements_the_request_built_before(learner, every_actor_mode):
    """Each submit's statements as the request built them (from the attempt and answers in
    memory, in the event's transaction) equal those built later from its event row, in every
    actor mode, also after the learner changed e-mail address, BIG number and profession."""
    expected: dict[str, dict] = {}

    def as_before(sender, events, **kwargs):
        for event in events:
            attempt, user = event["attempt"], event["attempt"].enrollment.user
            for mode, big in (("account", ""), ("big", "19012345601"), ("email", "")):
                actor = xapi.make_actor(user, mode, big)
                for payload in records_services._attempt(attempt, event["answers"], actor):
                    expected[payload["id"]] = payload

    signals.attempt_submitted.connect_batch(as_before)
    try:
        enrollment = run_journey(learner, every_actor_mode)
    finally:
        signals.attempt_submitted.batch_receivers.remove(as_before)
    attempts = QuizAttempt.objects.filter(enrollment=enrollment)
    assert {a.quiz.kind for a in attempts} == {
        Quiz.Kind.PRACTICE,
        Quiz.Kind.SELF_ASSESSMENT,
        Quiz.Kind.FINAL,
    }
    assert XapiEvent.objects.count() == attempts.count() == 4
    learner.email = "nieuw@example.org"
    learner.profession = "verpleegkundige"
    learner.save()
    RegisterNumber.objects.filter(user=learner).update(number="99999999999")

    assert records_services.build_event_statements() == 4
    built = {
        str(s.statement_id): s.payload
        for s in XapiStatement.objects.exclude(verb__in=["registered", "launched"]).exclude(
            verb="completed", payload__object__definition__type=xapi.ACTIVITY_TYPES["lesson"]
        )
        if "quizzes" in s.payload["object"]["id"]
    }
    assert len(expected) > 3 * 4 and built == expected
    assert not XapiEvent.objects.exists()


@pytest.mark.django_db
def test_it_drops_a_deleted_learners_pending_events(learner, every_actor_mode):
    run_journey(learner, every_actor_mode)
    assert XapiEvent.objects.exists()
    records_services.on_account_deleting(sender=None, user=learner)
    assert not XapiEvent.objects.exists()


@pytest.mark.django_db
def test_the_sweep_builds_and_delivers_the_events_of_a_lost_task(learner, course, lrs, lrs_server):
    """The task queued on commit never ran (a test transaction does not commit): the periodic
    sweep builds the statements, fans them out and delivers them (eager Celery here)."""
    enrollment = services.enroll_learner(learner, course)
    final = enrollment.version.final_test
    services.submit_attempt(services.start_attempt(enrollment, final).pk, {}, learner)
    assert XapiEvent.objects.count() == 1
    assert not XapiStatement.objects.exclude(verb="registered").exists()

    assert tasks.sweep_statements_task() == [lrs.pk]

    assert not XapiEvent.objects.exists()
    answered = final.questions.count()
    assert XapiStatement.objects.filter(verb="answered").count() == answered
    assert XapiStatement.objects.filter(verb="failed").count() == 1
    delivered = StatementOutbox.objects.filter(status=StatementOutbox.Status.DELIVERED)
    assert delivered.count() == answered + 2  # with the registration
    assert len({s["id"] for batch in lrs_server.batches() for s in batch}) == answered + 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_build_each_statement_once(lrs):
    """Two workers (threads, each with its own PostgreSQL connection) work through the same
    pending events at once, one event per transaction: every event is built by exactly one of
    them and every statement is written once."""
    course = factories.make_course(final_questions=3)
    learners = [factories.make_user() for _ in range(12)]
    for learner in learners:
        enrollment = services.enroll_learner(learner, course)
        final = enrollment.version.final_test
        services.submit_attempt(services.start_attempt(enrollment, final).pk, {}, learner)
    # Each commit queued its delivery (eager Celery here): the events as if those tasks were lost.
    XapiStatement.objects.exclude(verb="registered").delete()
    XapiEvent.objects.bulk_create(
        XapiEvent(
            kind=XapiEvent.Kind.ATTEMPT,
            object_id=attempt.pk,
            enrollment_id=attempt.enrollment_id,
            learner={"modes": ["account"], "profession": ""},
        )
        for attempt in QuizAttempt.objects.all()
    )
    assert XapiEvent.objects.count() == 12

    barrier = threading.Barrier(2)
    built: list[int] = []

    def worker():
        try:
            barrier.wait(10)
            built.append(records_services.build_event_statements(batch_size=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(built) == 12 and len(built) == 2
    assert not XapiEvent.objects.exists()
    assert XapiStatement.objects.filter(verb="answered").count() == 12 * 3
    assert XapiStatement.objects.filter(verb="failed").count() == 12
