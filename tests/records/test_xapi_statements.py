import datetime
import json
import re
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import RegisterNumber
from courses import services
from courses.models import Enrollment, Lesson, LessonProgress, Reflection
from records import services as records_services
from records import xapi
from records.models import AccreditationBody, LearningRecordStore, StatementOutbox, XapiStatement
from tests import factories
from tests.lrs_support import (
    LRS_PASSWORD,
    LRS_USER,
    REFLECTION_SECRET,
    LRSServer,
    correct_answers,
    make_rich_course,
    run_journey,
)
from tests.records.xapi_validator import validation_errors

pytestmark = pytest.mark.django_db

BASE = settings.XAPI_ACTIVITY_BASE
EXT = BASE + "extensions/"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


@pytest.fixture
def journey(learner, lrs):
    course = make_rich_course()
    enrollment = run_journey(learner, course)
    records_services.fan_out_statements()
    rows = StatementOutbox.objects.filter(lrs=lrs).select_related("xapi_statement").order_by("id")
    payloads = [row.payload for row in rows]
    return enrollment, payloads


def by_verb(payloads, verb):
    return [p for p in payloads if p["verb"]["id"] == xapi.VERBS[verb][0]]


def test_it_writes_one_statement_per_learning_event(journey):
    _enrollment, payloads = journey
    verbs = Counter(p["verb"]["display"]["en-US"] for p in payloads)
    # 2 lessons launched and completed; practice, self-assessment and course completed;
    # 3 practice + 1 scale + 2 × 3 final-test answers; the final test failed once, then passed.
    assert verbs == {
        "registered": 1,
        "launched": 2,
        "completed": 5,
        "answered": 10,
        "failed": 1,
        "passed": 1,
    }
    assert len({p["id"] for p in payloads}) == len(payloads)


def test_it_describes_the_registration_with_actor_context_and_extensions(journey, learner):
    enrollment, payloads = journey
    [registered] = by_verb(payloads, "registered")
    assert registered["object"] == {
        "id": BASE + "courses/rijk",
        "objectType": "Activity",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/course",
            "name": {"nl": "Testcursus"},
        },
    }
    account = registered["actor"]["account"]
    assert account["homePage"] == settings.SITE_URL
    assert re.fullmatch(r"[0-9a-f]{32}", account["name"])
    assert "mbox" not in registered["actor"]
    assert learner.email not in json.dumps(payloads)
    context = registered["context"]
    assert context["registration"] == str(enrollment.registration)
    assert context["platform"] == settings.XAPI_PLATFORM
    assert context["language"] == "nl"
    assert context["revision"] == "1"
    assert "contextActivities" not in context  # the course is the object itself
    assert context["extensions"] == {
        EXT + "accreditation-reference": "PE-123",
        EXT + "study-load-hours": 2.0,
        EXT + "course-version": 1,
        EXT + "profession": "huisarts",
    }
    assert ISO_UTC.match(registered["timestamp"])
    assert uuid.UUID(registered["id"]).version == 5


def test_it_reports_lessons_with_course_as_parent_and_duration(journey):
    enrollment, payloads = journey
    LessonProgress.objects.filter(enrollment=enrollment)
    lesson_completions = [
        p for p in by_verb(payloads, "completed") if "/lessons/" in p["object"]["id"]
    ]
    assert [p["object"]["id"] for p in lesson_completions] == [
        BASE + "courses/rijk/lessons/les-1",
        BASE + "courses/rijk/lessons/les-2",
    ]
    first = lesson_completions[0]
    assert first["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert first["result"] == {"completion": True, "duration": "PT0S"}
    assert first["context"]["contextActivities"] == {
        "parent": [{"id": BASE + "courses/rijk", "objectType": "Activity"}],
        "grouping": [{"id": BASE + "courses/rijk", "objectType": "Activity"}],
    }
    launched = by_verb(payloads, "launched")
    assert [p["object"]["id"] for p in launched] == [p["object"]["id"] for p in lesson_completions]


def test_it_reports_the_final_test_failed_then_passed_with_scores(journey):
    _enrollment, payloads = journey
    [failed] = by_verb(payloads, "failed")
    [passed] = by_verb(payloads, "passed")
    assert (
        failed["object"]["id"] == passed["object"]["id"] == BASE + "courses/rijk/quizzes/eindtoets"
    )
    assert (
        failed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    )
    assert failed["result"]["score"] == {"raw": 0.0, "min": 0.0, "max": 3.0, "scaled": 0.0}
    assert failed["result"]["success"] is False
    assert passed["result"]["score"] == {"raw": 3.0, "min": 0.0, "max": 3.0, "scaled": 1.0}
    assert passed["result"]["success"] is True and passed["result"]["completion"] is True
    # At most 0.01 s precision (xAPI 1.0.3 Data 4.6); attempt times carry microseconds.
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?", passed["result"]["duration"])
    assert passed["context"]["extensions"][EXT + "quiz-kind"] == "final"
    assert failed["id"] != passed["id"]


def test_it_reports_answered_questions_with_option_keys_and_the_quiz_as_parent(journey):
    _enrollment, payloads = journey
    answered = by_verb(payloads, "answered")
    final_answers = [p for p in answered if "/quizzes/eindtoets/" in p["object"]["id"]]
    assert len(final_answers) == 6
    # Questions come in a per-attempt order: take "Vraag 2" from the second (passing) attempt.
    [right] = [
        a for a in final_answers[3:] if a["object"]["definition"]["name"] == {"nl": "Vraag 2"}
    ]
    assert right["object"]["definition"]["interactionType"] == "choice"
    assert right["result"] == {
        "score": {"raw": 1.0, "min": 0.0, "max": 1.0, "scaled": 1.0},
        "success": True,
        "completion": True,
        "response": "o0",
    }
    assert right["context"]["contextActivities"]["parent"] == [
        {"id": BASE + "courses/rijk/quizzes/eindtoets", "objectType": "Activity"}
    ]
    kinds = {p["object"]["definition"]["interactionType"] for p in answered}
    assert kinds == {"choice", "true-false", "likert"}
    # Practice and self-assessment answers are not graded for the record: no score, no success.
    scale = next(p for p in answered if p["object"]["definition"]["interactionType"] == "likert")
    assert scale["result"] == {"completion": True}
    assert scale["context"]["extensions"][EXT + "quiz-phase"] == "pre"


def test_it_reports_the_course_completed_as_the_accreditation_record(journey):
    _enrollment, payloads = journey
    [course_done] = [
        p for p in by_verb(payloads, "completed") if p["object"]["id"] == BASE + "courses/rijk"
    ]
    assert course_done["result"]["score"] == {"raw": 100.0, "min": 0.0, "max": 100.0, "scaled": 1.0}
    assert course_done["result"]["success"] is True
    assert course_done["result"]["completion"] is True
    assert course_done["context"]["extensions"][EXT + "accreditation-reference"] == "PE-123"


def test_it_never_puts_reflection_text_in_a_statement(journey, learner):
    _enrollment, payloads = journey
    assert Reflection.objects.filter(user=learner, text__contains=REFLECTION_SECRET).exists()
    for row in StatementOutbox.objects.all():
        assert REFLECTION_SECRET not in json.dumps(row.payload)
    assert not XapiStatement.objects.filter(payload__icontains=REFLECTION_SECRET).exists()


def test_it_validates_every_statement_type_with_the_xapi_validator(journey):
    _enrollment, payloads = journey
    assert {p["verb"]["id"] for p in payloads} == {iri for iri, _nl, _en in xapi.VERBS.values()}
    errors = validation_errors(payloads)
    assert errors == [[] for _ in payloads]


def test_it_has_a_validator_that_finds_errors(journey):
    _enrollment, payloads = journey
    broken = dict(payloads[0], actor={"mbox": "learner@example.org"}, timestamp="gisteren")
    [errors] = validation_errors([broken])
    assert {e["path"] for e in errors} >= {"statement.actor.mbox", "statement.timestamp"}


def test_it_gives_a_replayed_event_the_same_statement_id(learner, course, lrs):
    enrollment = services.enroll_learner(learner, course)
    lesson = Lesson.objects.filter(module__version=enrollment.version).first()
    progress = services.complete_lesson(enrollment, lesson)
    before = XapiStatement.objects.count()
    records_services.on_lesson_completed(
        Enrollment, events=[{"enrollment": enrollment, "lesson": lesson, "progress": progress}]
    )
    assert XapiStatement.objects.count() == before
    actor = xapi.make_actor(learner)
    first = xapi.lesson_completed(enrollment, lesson, progress, actor)
    again = xapi.lesson_completed(enrollment, lesson, progress, actor)
    assert first["id"] == again["id"]
    assert first["id"] == str(
        uuid.uuid5(xapi.statement_namespace(), f"completed-lesson:{enrollment.registration}:les-1")
    )
    other = xapi.lesson_completed(
        enrollment,
        Lesson.objects.get(module__version=enrollment.version, key="les-2"),
        progress,
        actor,
    )
    assert other["id"] != first["id"]


def test_it_writes_the_outbox_row_in_the_event_transaction(learner, course, lrs):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.enroll_learner(learner, course)
        assert XapiStatement.objects.filter(verb="registered").count() == 1
        raise RuntimeError("the request failed after the enrolment")
    assert not Enrollment.objects.exists()
    assert not XapiStatement.objects.exists()


def test_it_writes_nothing_without_an_lrs(learner, course):
    services.enroll_learner(learner, course)
    assert not XapiStatement.objects.exists()


def test_it_identifies_the_learner_the_way_each_body_asks(learner, course, lrs_server, body):
    body.courses.add(course)
    body.actor_mode = AccreditationBody.ActorMode.BIG
    body.save()
    mail_body = AccreditationBody.objects.create(
        name="Register", slug="register", actor_mode="email"
    )
    mail_body.courses.add(course)
    general = LearningRecordStore.objects.create(name="algemeen", endpoint=lrs_server.endpoint)
    big_lrs = LearningRecordStore.objects.create(
        name="abc1", endpoint=lrs_server.endpoint, body=body
    )
    mail_lrs = LearningRecordStore.objects.create(
        name="reg", endpoint=lrs_server.endpoint, body=mail_body
    )
    RegisterNumber.objects.create(user=learner, register="big", number="19012345601")

    services.enroll_learner(learner, course)
    records_services.fan_out_statements()

    actors = {row.lrs_id: row.payload["actor"] for row in StatementOutbox.objects.all()}
    assert actors[big_lrs.pk] == {
        "objectType": "Agent",
        "account": {"homePage": settings.XAPI_BIG_HOME_PAGE, "name": "19012345601"},
    }
    assert actors[mail_lrs.pk] == {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
    assert actors[general.pk]["account"]["homePage"] == settings.SITE_URL
    ids = {row.lrs_id: row.statement_id for row in StatementOutbox.objects.all()}
    # A statement id never names two different statements: told with a BIG number or an e-mail
    # address the event is another statement than the anonymous one (issue 19).
    assert len(set(ids.values())) == 3
    assert validation_errors([row.payload for row in StatementOutbox.objects.all()]) == [[], [], []]


def test_it_falls_back_to_the_opaque_account_without_a_big_number(
    learner, course, lrs_server, body
):
    body.courses.add(course)
    body.actor_mode = AccreditationBody.ActorMode.BIG
    body.save()
    LearningRecordStore.objects.create(name="abc1", endpoint=lrs_server.endpoint, body=body)
    services.enroll_learner(learner, course)
    records_services.fan_out_statements()
    actor = StatementOutbox.objects.get().payload["actor"]
    assert actor["account"] == {
        "homePage": settings.SITE_URL,
        "name": xapi.actor_account_name(learner.pk),
    }


def test_it_sends_a_body_only_the_courses_it_accredits(learner, lrs_server, body):
    accredited = factories.make_course(slug="geaccrediteerd")
    other = factories.make_course(slug="ander")
    body.courses.add(accredited)
    body_lrs = LearningRecordStore.objects.create(
        name="abc1", endpoint=lrs_server.endpoint, body=body
    )
    services.enroll_learner(learner, accredited)
    services.enroll_learner(learner, other)
    records_services.fan_out_statements()
    objects = [row.payload["object"]["id"] for row in StatementOutbox.objects.filter(lrs=body_lrs)]
    assert objects == [BASE + "courses/geaccrediteerd"]


def test_it_queues_one_delivery_task_per_commit_however_many_lrss_and_events(
    learner, course, lrs, lrs_server, django_capture_on_commit_callbacks
):
    servers = [lrs_server, LRSServer().start(), LRSServer().start()]
    try:
        for n, server in enumerate(servers[1:], start=2):
            LearningRecordStore.objects.create(
                name=f"lrs-{n}", endpoint=server.endpoint, username=LRS_USER, password=LRS_PASSWORD
            )
        lesson = Lesson.objects.filter(module__version__course=course).order_by("position").first()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                enrollment = services.enroll_learner(learner, course)
                services.start_lesson(enrollment, lesson)
                with pytest.raises(RuntimeError), transaction.atomic():
                    services.complete_lesson(enrollment, lesson)
                    raise RuntimeError("rolled back: its statement and callbacks go with it")
        # Delivery is queued after commit (beside the enrolment mail), never inside the
        # transaction: one task for the three LRSs and both events.
        queued = [c for c in callbacks if isinstance(c, records_services.DeliveryAfterCommit)]
        assert len(queued) == 1, callbacks
        ids = {str(i) for i in XapiStatement.objects.values_list("statement_id", flat=True)}
        assert len(ids) == 2
        for server in servers:
            assert len(server.requests) == 1 and set(server.stored) == ids
        assert StatementOutbox.objects.filter(status=StatementOutbox.Status.DELIVERED).count() == 6
    finally:
        for server in servers[1:]:
            server.stop()


def test_it_queues_delivery_again_when_the_savepoint_that_queued_it_rolled_back(
    learner, course, lrs, lrs_server, django_capture_on_commit_callbacks
):
    lesson = Lesson.objects.filter(module__version__course=course).order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):  # its own commit, its own task
        enrollment = services.enroll_learner(learner, course)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            with pytest.raises(RuntimeError), transaction.atomic():
                services.start_lesson(enrollment, lesson)
                raise RuntimeError("rolled back")
            services.start_lesson(enrollment, lesson)
    queued = [c for c in callbacks if isinstance(c, records_services.DeliveryAfterCommit)]
    assert len(queued) == 1, callbacks
    assert StatementOutbox.objects.filter(status=StatementOutbox.Status.DELIVERED).count() == 2


def test_it_costs_one_query_per_event_without_an_lrs_and_two_with_one(
    learner, course, lrs_server, django_assert_num_queries
):
    enrollment = services.enroll_learner(learner, course)
    lesson = (
        Lesson.objects.filter(module__version=enrollment.version).select_related("module").first()
    )
    progress = LessonProgress.objects.create(enrollment=enrollment, lesson_key=lesson.key)
    with django_assert_num_queries(1):
        records_services.on_lesson_started(
            Enrollment, events=[{"enrollment": enrollment, "lesson": lesson, "progress": progress}]
        )
    LearningRecordStore.objects.create(name="lrs", endpoint=lrs_server.endpoint)
    with django_assert_num_queries(2):  # the stores, one insert of every row
        records_services.on_lesson_started(
            Enrollment, events=[{"enrollment": enrollment, "lesson": lesson, "progress": progress}]
        )
    assert XapiStatement.objects.count() == 1


def _final_test_passed(learner, course):
    """Enrol, complete the lessons, then pass the final test (which completes the course);
    return the queries and the outbox rows of that last submit."""
    enrollment = services.enroll_learner(learner, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version).order_by("position"):
        services.start_lesson(enrollment, lesson)
        services.complete_lesson(enrollment, lesson)
    factories.spend_study_time(enrollment)
    final = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, final)
    before = set(XapiStatement.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        services.submit_attempt(attempt.pk, correct_answers(final), learner)
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    records_services.build_event_statements()  # the delivery task's first step
    return len(queries), list(XapiStatement.objects.exclude(pk__in=before))


def test_it_writes_the_same_outbox_rows_and_queries_for_three_lrss_as_for_one(lrs_server):
    course = factories.make_course(slug="drie", lessons=2, final_questions=3, pass_mark=70)
    one = LearningRecordStore.objects.create(name="een", endpoint=lrs_server.endpoint)
    one_queries, one_rows = _final_test_passed(factories.make_user(), course)
    verbs = Counter(row.verb for row in one_rows)
    assert verbs["answered"] == 3 and verbs["passed"] == 1 and verbs["completed"] >= 1

    others = [
        LearningRecordStore.objects.create(name=name, endpoint=lrs_server.endpoint)
        for name in ("twee", "drie")
    ]
    three_queries, three_rows = _final_test_passed(factories.make_user(), course)

    # One row per statement whatever the number of LRSs; the fan-out happens at delivery.
    assert len(three_rows) == len(one_rows)
    assert three_queries == one_queries
    records_services.fan_out_statements()
    for store in [one, *others]:
        assert StatementOutbox.objects.filter(
            lrs=store, xapi_statement__in=three_rows
        ).count() == len(three_rows)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "PT0S"),
        (0.010376, "PT0.01S"),
        (3.456, "PT3.46S"),
        (62, "PT1M2S"),
        (3723.4, "PT1H2M3.40S"),
    ],
)
def test_it_writes_durations_to_a_hundredth_of_a_second(seconds, expected):
    assert xapi._duration(datetime.timedelta(seconds=seconds)) == expected
