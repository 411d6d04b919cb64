import json
import math
import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Lesson
from records import services as records_services
from records.models import LearningRecordStore, StatementOutbox, XapiStatement
from records.services import deliver_statements
from records.tasks import sweep_statements_task
from tests import factories
from tests.lrs_support import LRS_PASSWORD, LRS_USER, LRSServer

pytestmark = pytest.mark.django_db

Status = StatementOutbox.Status


def make_statements(learner, course, *, fan_out=True):
    """Enrol, start and complete both lessons: 5 pending statements per LRS (after the fan-out
    that the task queued on commit, or delivery itself, would do)."""
    enrollment = services.enroll_learner(learner, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version).order_by("position"):
        services.start_lesson(enrollment, lesson)
        services.complete_lesson(enrollment, lesson)
    if fan_out:
        records_services.fan_out_statements()
    return list(StatementOutbox.objects.order_by("id"))


def test_it_delivers_a_batch_with_the_xapi_headers_and_basic_auth(learner, course, lrs, lrs_server):
    rows = make_statements(learner, course)
    assert len(rows) == 5  # registered, 2 × launched, 2 × completed

    report = deliver_statements(lrs.pk)

    assert report.delivered == 5 and report.requests == 1
    [request] = lrs_server.requests
    assert request["path"] == "/xapi/statements"
    assert request["headers"]["x-experience-api-version"] == "1.0.3"
    assert request["headers"]["content-type"] == "application/json"
    assert sorted(lrs_server.stored) == sorted(str(r.statement_id) for r in rows)
    assert json.loads(request["body"]) == [r.payload for r in rows]
    for row in StatementOutbox.objects.all():
        assert row.status == Status.DELIVERED
        assert row.delivered_at is not None
        assert row.last_status_code == 200
        assert row.attempts == 1


def test_it_sends_fewer_requests_than_statements(learner, course, lrs, lrs_server):
    rows = make_statements(learner, course)
    report = deliver_statements(lrs.pk, batch_size=2)
    assert report.delivered == len(rows) == 5
    assert report.requests == len(lrs_server.requests) == math.ceil(5 / 2)
    assert [len(batch) for batch in lrs_server.batches()] == [2, 2, 1]


def statements_run(func):
    """(What `func` returned, its SQL statements other than the test transaction's savepoints:
    outside a test, an atomic block is a transaction, not a savepoint.)"""
    with CaptureQueriesContext(connection) as captured:
        outcome = func()
    sql = [q["sql"] for q in captured.captured_queries]
    return outcome, [q for q in sql if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_it_sends_a_runs_batches_over_one_connection_with_two_queries_each(
    learner, course, lrs, lrs_server
):
    make_statements(learner, course)
    report, queries = statements_run(lambda: deliver_statements(lrs.pk, batch_size=2))
    # The LRS, the events to build and the fan-out (nothing new), then per batch its claim
    # (payloads included) and one UPDATE, and the claim that finds nothing left.
    assert len(queries) == 3 + 2 * 3 + 1, queries
    assert report.delivered == 5 and report.requests == 3
    assert len({request["client_port"] for request in lrs_server.requests}) == 1  # kept alive


def test_it_fans_a_statement_out_to_every_lrs_in_one_insert(learner, course, lrs, lrs_server, body):
    body.courses.add(course)
    others = [
        LearningRecordStore.objects.create(name="tweede", endpoint=lrs.endpoint),
        LearningRecordStore.objects.create(name="abc1", endpoint=lrs.endpoint, body=body),
    ]
    elsewhere = factories.make_course(slug="elders")  # not accredited by the body
    make_statements(learner, course, fan_out=False)
    services.enroll_learner(learner, elsewhere)
    lrs_ids, queries = statements_run(records_services.fan_out_statements)
    # No learning event to build; claim, one INSERT for every LRS, mark; then the claim that
    # finds nothing left.
    assert len(queries) == 5, queries
    assert lrs_ids == {lrs.pk, *(o.pk for o in others)}
    assert StatementOutbox.objects.filter(lrs=lrs).count() == 6
    assert StatementOutbox.objects.filter(lrs=others[0]).count() == 6
    assert StatementOutbox.objects.filter(lrs=others[1]).count() == 5  # its course only
    assert not XapiStatement.objects.filter(fanned_out=False).exists()
    assert statements_run(records_services.fan_out_statements) == (set(), queries[:2])


def test_it_sends_nothing_twice(learner, course, lrs, lrs_server):
    make_statements(learner, course)
    deliver_statements(lrs.pk)
    again = deliver_statements(lrs.pk)
    assert again.requests == 0
    assert len(lrs_server.requests) == 1


def test_it_marks_only_the_refused_statement_failed_and_delivers_the_rest(
    learner, course, lrs, lrs_server
):
    rows = make_statements(learner, course)
    poison = rows[2]
    lrs_server.refuse_ids = {str(poison.statement_id)}

    report = deliver_statements(lrs.pk)

    assert report.delivered == 4 and report.failed == 1
    poison.refresh_from_db()
    assert poison.status == Status.FAILED
    assert poison.last_status_code == 400
    assert f"invalid statement {poison.statement_id}" in poison.last_response
    assert set(lrs_server.stored) == {str(r.statement_id) for r in rows if r != poison}
    assert StatementOutbox.objects.filter(status=Status.DELIVERED).count() == 4


def test_it_treats_a_conflict_for_an_already_stored_statement_as_delivered(
    learner, course, lrs, lrs_server
):
    rows = make_statements(learner, course)
    # The LRS stored this one earlier, but its answer never reached us.
    lrs_server.stored[str(rows[0].statement_id)] = rows[0].payload

    report = deliver_statements(lrs.pk)

    assert report.delivered == 5 and report.failed == 0
    assert set(lrs_server.stored) == {str(r.statement_id) for r in rows}
    rows[0].refresh_from_db()
    assert rows[0].status == Status.DELIVERED and rows[0].last_status_code == 409
    assert (
        StatementOutbox.objects.filter(status=Status.DELIVERED, last_status_code=200).count() == 4
    )


def test_it_resends_statements_the_lrs_already_holds_with_one_request_each_at_most(
    learner, course, lrs, lrs_server
):
    rows = make_statements(learner, course)
    for row in rows:  # all stored before, every answer lost
        lrs_server.stored[str(row.statement_id)] = row.payload

    report = deliver_statements(lrs.pk, batch_size=len(rows))

    assert report.delivered == len(rows) and report.failed == 0
    # One batch, then one request per statement (bisecting cost 2N - 2 = 8 after the batch).
    assert report.requests == len(lrs_server.requests) == len(rows) + 1


def test_it_retries_a_server_error_with_backoff(learner, course, lrs, lrs_server, settings):
    settings.LRS_RETRY_BASE_SECONDS = 30
    make_statements(learner, course)
    lrs_server.script.append(500)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = deliver_statements(lrs.pk)
        assert first.retrying == 5 and first.delivered == 0
        row = StatementOutbox.objects.first()
        assert row.status == Status.PENDING and row.attempts == 1 and row.last_status_code == 500
        assert row.next_attempt_at == timezone.now() + timedelta(seconds=30)
        assert "scripted 500" in row.last_response

        assert deliver_statements(lrs.pk).requests == 0  # still backing off
        clock.shift(timedelta(seconds=31))
        second = deliver_statements(lrs.pk)

    assert second.delivered == 5
    assert len(lrs_server.requests) == 2
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert set(StatementOutbox.objects.values_list("attempts", flat=True)) == {2}


def test_it_backs_off_exponentially_up_to_a_cap(settings):
    settings.LRS_RETRY_BASE_SECONDS = 30
    assert [records_services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert records_services.backoff(40) == timedelta(hours=6)


def test_it_retries_after_a_timeout(learner, course, lrs, lrs_server, settings):
    settings.LRS_TIMEOUT_SECONDS = 1
    make_statements(learner, course)
    lrs_server.hang = True

    report = deliver_statements(lrs.pk)

    assert report.retrying == 5 and report.requests == 1
    row = StatementOutbox.objects.first()
    assert row.status == Status.PENDING and row.attempts == 1
    assert row.last_status_code is None
    assert "timed out" in row.last_response


def test_it_retries_when_the_lrs_is_down_and_gives_up_after_max_attempts(
    learner, course, closed_port_endpoint, settings
):
    settings.LRS_MAX_ATTEMPTS = 2
    down = LearningRecordStore.objects.create(name="weg", endpoint=closed_port_endpoint)
    make_statements(learner, course)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = deliver_statements(down.pk)
        row = StatementOutbox.objects.first()
        assert first.retrying == 5
        assert row.status == Status.PENDING and "ConnectionRefusedError" in row.last_response
        clock.shift(timedelta(hours=1))
        second = deliver_statements(down.pk)

    assert second.failed == 5
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {Status.FAILED}


def test_it_delivers_to_the_lrs_that_is_up_and_retries_the_one_that_is_down(
    learner,
    course,
    lrs,
    lrs_server,
    closed_port_endpoint,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.LRS_RETRY_BASE_SECONDS = 30
    down = LearningRecordStore.objects.create(
        name="weg", endpoint=closed_port_endpoint, username=LRS_USER, password=LRS_PASSWORD
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            # The real path: after commit a delivery task per LRS; the first one fans out.
            make_statements(learner, course, fan_out=False)
        ids = {str(i) for i in XapiStatement.objects.values_list("statement_id", flat=True)}
        assert len(ids) == 5  # one outbox row per statement, not one per LRS
        assert set(lrs_server.stored) == ids
        waiting = StatementOutbox.objects.filter(lrs=down)
        assert waiting.count() == 5
        assert {(r.status, r.attempts) for r in waiting} == {(Status.PENDING, 1)}
        assert "ConnectionRefusedError" in waiting.first().last_response
        assert set(StatementOutbox.objects.filter(lrs=lrs).values_list("status", flat=True)) == {
            Status.DELIVERED
        }

        # The LRS comes back (on another port); the sweep sends it what it missed, only that.
        back = LRSServer().start()
        try:
            LearningRecordStore.objects.filter(pk=down.pk).update(endpoint=back.endpoint)
            clock.shift(timedelta(seconds=31))
            sweep_statements_task()
            assert set(back.stored) == ids
            for server in (lrs_server, back):
                sent = [s["id"] for batch in server.batches() for s in batch]
                assert sorted(sent) == sorted(ids)  # each statement once
        finally:
            back.stop()
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert XapiStatement.objects.count() == 5


def test_it_lets_staff_see_and_retry_failed_statements(
    admin_client, learner, course, lrs, lrs_server
):
    make_statements(learner, course)
    lrs_server.refuse_ids = {str(r.statement_id) for r in StatementOutbox.objects.all()}
    deliver_statements(lrs.pk)
    assert StatementOutbox.objects.filter(status=Status.FAILED).count() == 5

    page = admin_client.get(
        reverse("admin:records_statementoutbox_changelist"), {"status__exact": "failed"}
    )
    assert page.status_code == 200
    assert "invalid statement" in page.content.decode()
    row = StatementOutbox.objects.first()
    detail = admin_client.get(reverse("admin:records_statementoutbox_change", args=[row.pk]))
    assert str(row.statement_id) in detail.content.decode()

    lrs_server.refuse_ids = set()
    response = admin_client.post(
        reverse("admin:records_statementoutbox_changelist"),
        {
            "action": "retry",
            "_selected_action": list(StatementOutbox.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "5 statements staan weer klaar" in response.content.decode()
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {Status.PENDING}
    deliver_statements(lrs.pk)
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {Status.DELIVERED}


def test_it_drains_the_outbox_from_the_command_line(learner, course, lrs, lrs_server):
    make_statements(learner, course)
    out = StringIO()
    call_command("deliver_statements", stdout=out, stderr=StringIO())
    assert "Test-LRS: 5 delivered, 0 failed, 0 to retry (1 requests)" in out.getvalue()
    assert len(lrs_server.stored) == 5


def test_it_sweeps_only_stores_with_due_statements(
    learner, course, lrs, lrs_server, closed_port_endpoint
):
    make_statements(learner, course)
    idle = LearningRecordStore.objects.create(name="leeg", endpoint=closed_port_endpoint)
    assert sweep_statements_task() == [lrs.pk]  # eager: the delivery ran too
    assert idle.pk not in records_services.due_store_ids()
    assert len(lrs_server.stored) == 5


def test_it_mirrors_the_lrs_from_the_environment(settings, lrs_server, learner, course, body):
    body.courses.add(course)
    settings.LRS_STORES = [
        {
            "name": "default",
            "endpoint": lrs_server.endpoint,
            "username": LRS_USER,
            "password": LRS_PASSWORD,
            "body": "",
        },
        {
            "name": "abc1",
            "endpoint": lrs_server.endpoint,
            "username": LRS_USER,
            "password": LRS_PASSWORD,
            "body": "abc1",
        },
        {
            "name": "onbekend",
            "endpoint": lrs_server.endpoint,
            "username": "",
            "password": "",
            "body": "bestaat-niet",
        },
    ]
    services.enroll_learner(learner, course)
    stores = {s.settings_key: s for s in LearningRecordStore.objects.all()}
    assert stores["default"].enabled and stores["default"].body is None
    assert stores["abc1"].body == body
    assert not stores["onbekend"].enabled  # never sent everything for lack of its body
    records_services.fan_out_statements()
    assert StatementOutbox.objects.filter(lrs__settings_key__in=["default", "abc1"]).count() == 2

    settings.LRS_STORES = settings.LRS_STORES[:1]
    call_command("deliver_statements", stdout=StringIO(), stderr=StringIO())
    assert not LearningRecordStore.objects.get(settings_key="abc1").enabled
    assert len(lrs_server.stored) == 1


def test_it_refuses_bad_lrs_settings(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from lms.settings import env_lrs_list

    monkeypatch.setenv("LRS_ENDPOINT", "ftp://lrs.example.org")
    with pytest.raises(ImproperlyConfigured, match="must start with http"):
        env_lrs_list()
    monkeypatch.setenv("LRS_ENDPOINT", "https://lrs.example.org/xapi/")
    monkeypatch.setenv("LRS_ENDPOINTS", "[{'name': 'x'}]")
    with pytest.raises(ImproperlyConfigured, match="JSON list"):
        env_lrs_list()
    monkeypatch.setenv(
        "LRS_ENDPOINTS", '[{"name": "b", "endpoint": "https://b.example.org/", "body": "abc1"}]'
    )
    assert [s["name"] for s in env_lrs_list()] == ["default", "b"]


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_two_workers_claim_the_same_rows(lrs, lrs_server):
    learner = factories.make_user()
    course = factories.make_course()
    make_statements(learner, course)
    # Committing the events already delivered them (eager Celery): queue them again.
    StatementOutbox.objects.update(status=Status.PENDING, delivered_at=None)
    lrs_server.requests.clear()
    lrs_server.stored.clear()
    locked_ids = []
    claimed = threading.Event()
    done = threading.Event()

    def other_worker():
        # A second worker that has claimed the two oldest rows and is still sending them.
        with transaction.atomic():
            rows = list(StatementOutbox.objects.due(lrs.pk).select_for_update(skip_locked=True)[:2])
            locked_ids.extend(r.pk for r in rows)
            claimed.set()
            done.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert claimed.wait(10)
        report = deliver_statements(lrs.pk)
    finally:
        done.set()
        thread.join()

    assert report.delivered == 3
    sent = {s["id"] for batch in lrs_server.batches() for s in batch}
    assert not sent & {
        str(i)
        for i in StatementOutbox.objects.filter(pk__in=locked_ids).values_list(
            "statement_id", flat=True
        )
    }
    assert StatementOutbox.objects.filter(pk__in=locked_ids, status=Status.PENDING).count() == 2


def test_it_never_shows_an_lrs_password_in_the_admin(admin_client, lrs):
    page = admin_client.get(reverse("admin:records_learningrecordstore_change", args=[lrs.pk]))
    assert page.status_code == 200
    assert LRS_PASSWORD not in page.content.decode()
    data = {
        "name": "Test-LRS",
        "endpoint": lrs.endpoint,
        "username": LRS_USER,
        "password": "",
        "enabled": "on",
    }
    response = admin_client.post(
        reverse("admin:records_learningrecordstore_change", args=[lrs.pk]), data
    )
    assert response.status_code == 302
    lrs.refresh_from_db()
    assert lrs.password == LRS_PASSWORD  # an empty field keeps the stored password
    data["endpoint"] = "ftp://lrs.example.org/"
    refused = admin_client.post(
        reverse("admin:records_learningrecordstore_change", args=[lrs.pk]), data
    )
    assert refused.status_code == 200
    lrs.refresh_from_db()
    assert lrs.endpoint.startswith("http://127.0.0.1")


def test_it_schedules_the_sweep_with_celery_beat(settings):
    from lms.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-xapi-statements"]
    assert entry["task"] in app.tasks
    assert entry["task"] == sweep_statements_task.name
    assert entry["schedule"] == float(settings.XAPI_SWEEP_SECONDS)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("XAPI_ACTIVITY_BASE", "urn:spreekkamer", "XAPI_ACTIVITY_BASE must be an http(s) IRI"),
        ("LRS_BATCH_SIZE", "0", "LRS_BATCH_SIZE must be at least 1"),
        ("LRS_TIMEOUT_SECONDS", "tien", "LRS_TIMEOUT_SECONDS must be an integer"),
        ("LRS_ENDPOINTS", '[{"endpoint": "https://x.example.org/"}]', "needs a name"),
    ],
)
def test_it_stops_at_start_up_on_bad_xapi_settings(variable, value, message):
    import os
    import subprocess
    import sys

    env = dict(os.environ, **{variable: value})
    proc = subprocess.run(
        [sys.executable, "-c", "import lms.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "ImproperlyConfigured" in proc.stderr and message in proc.stderr


def test_it_keeps_environment_stores_read_only_in_the_admin(admin_client, settings, lrs_server):
    settings.LRS_STORES = [
        {
            "name": "default",
            "endpoint": lrs_server.endpoint,
            "username": "u",
            "password": "geheim-env",
            "body": "",
        }
    ]
    records_services.sync_stores_from_settings()
    store = LearningRecordStore.objects.get(settings_key="default")
    page = admin_client.get(reverse("admin:records_learningrecordstore_change", args=[store.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="endpoint"' not in html and "geheim-env" not in html
