"""Faults in xAPI delivery against real services: an LRS that is down for a while, and a Celery
worker SIGKILLed while it holds a claimed batch. Real PostgreSQL, Redis, worker processes and a
real loopback LRS (tests/lrs_support.py); no mocks.

What must hold afterwards: every outbox row delivered, the LRS holds each statement id exactly
once (nothing lost, nothing stored twice), and draining again sends nothing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Lesson, LessonProgress
from lms.celery import app as celery_app
from records.models import LearningRecordStore, StatementOutbox
from records.services import fan_out_statements
from records.tasks import deliver_statements_task, sweep_statements_task
from tests.lrs_support import LRS_PASSWORD, LRS_USER, LRSServer
from tests.worker_support import database_url, redis_reachable, worker_broker_url

ROOT = Path(__file__).resolve().parents[2]
BROKER = worker_broker_url("redis://127.0.0.1:6379/5")
DEADLINE = 60

Status = StatementOutbox.Status

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


# --- Helpers -------------------------------------------------------------------------------------


class CountingStore(dict):
    """The LRS's statement store, counting how often each id is written (a duplicate shows as 2)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writes: Counter[str] = Counter()

    def __setitem__(self, key, value):
        self.writes[key] += 1
        super().__setitem__(key, value)


def lrs_on_port(port: int, previous: LRSServer | None = None) -> LRSServer:
    """The loopback LRS listening on a given port; `previous` hands over what an earlier run of
    "the same" LRS stored and received (a real LRS keeps its statements across a restart)."""
    server = LRSServer()
    if port:
        handler = server.httpd.RequestHandlerClass
        server.httpd.server_close()
        server.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        server.httpd.daemon_threads = True
        server.httpd.block_on_close = False
        server.thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    server.stored = previous.stored if previous is not None else CountingStore()
    if previous is not None:
        server.requests = previous.requests
    return server


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def posted_ids(requests) -> Counter[str]:
    return Counter(s["id"] for r in requests for s in json.loads(r["body"]))


def outbox_ids() -> set[str]:
    return {str(i) for i in StatementOutbox.objects.values_list("statement_id", flat=True)}


def wait_for(condition, seconds=DEADLINE, interval=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def drain(*args) -> str:
    out = StringIO()
    call_command("deliver_statements", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def assert_exactly_once(store: CountingStore, expected_count: int):
    ids = outbox_ids()
    assert len(ids) == StatementOutbox.objects.count() == expected_count
    assert set(store) == ids, "lost or foreign statements at the LRS"
    assert [i for i, n in store.writes.items() if n != 1] == [], "a statement was stored twice"
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert not StatementOutbox.objects.filter(delivered_at__isnull=True).exists()


@contextmanager
def eager_celery():
    """Tasks run in-process on commit (the laptop setup), whatever the environment says."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = saved


@contextmanager
def publishing_to(queue: str):
    """This process publishes tasks to Redis on `queue` instead of running them eagerly."""
    saved = {
        k: celery_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")
    }
    saved_amqp, saved_pool = celery_app.__dict__.pop("amqp", None), celery_app._pool
    celery_app._pool = None
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False, task_default_queue=queue)
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        celery_app.__dict__.pop("amqp", None)
        if saved_amqp is not None:
            celery_app.__dict__["amqp"] = saved_amqp
        celery_app._pool = saved_pool


# The worker: `celery -A lms worker`, with optional Redis transport options. A short visibility
# timeout lets a worker hand out again a message whose worker died before acknowledging it
# (task_acks_late), within the test instead of after the default hour.
WORKER_CODE = """
import json, sys
from lms.celery import app
options = json.loads(sys.argv[1])
if options:
    app.conf.broker_transport_options = options
app.worker_main(["worker", "--pool=solo", "-Q", sys.argv[2], "--without-heartbeat",
                 "--without-gossip", "--without-mingle", "-l", "info"])
"""


class Worker:
    def __init__(self, queue: str, log_dir: str, name: str, transport_options: dict | None = None):
        self.log_path = Path(log_dir) / f"{name}.log"
        self.log = self.log_path.open("w")
        env = dict(
            os.environ,
            CELERY_BROKER_URL=BROKER,
            DATABASE_URL=database_url(),
            LRS_ENDPOINT="",
            LRS_ENDPOINTS="",
            # Longer than the test waits: the worker must be stuck in the POST, not time out.
            LRS_TIMEOUT_SECONDS="120",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE, json.dumps(transport_options or {}), queue],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture
def worker_services(tmp_path):
    """A queue of this test's own on Redis, its workers, and cleanup (workers never outlive it)."""
    if not redis_reachable(BROKER):
        pytest.skip(f"Redis is not reachable at {BROKER}: the worker-kill test needs a broker")
    if connection.vendor != "postgresql":
        pytest.skip("workers share the test database over the network: PostgreSQL only")
    queue = f"spk-faults-{uuid.uuid4().hex[:12]}"
    workers: list[Worker] = []

    def start(name, transport_options=None):
        worker = Worker(queue, str(tmp_path), name, transport_options)
        workers.append(worker)
        return worker

    try:
        with publishing_to(queue):
            yield start
    finally:
        for worker in workers:
            worker.stop()
            print(f"--- {worker.log_path.name} ---\n{worker.output()}")


def make_events(learner, course):
    """Enrol, open and complete both lessons: 5 statements (registered, 2 × launched/completed)."""
    enrollment = services.enroll_learner(learner, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version).order_by("position"):
        services.start_lesson(enrollment, lesson)
        services.complete_lesson(enrollment, lesson)
    return enrollment


# --- 1. The LRS is down for a while --------------------------------------------------------------


def test_it_keeps_statements_while_the_lrs_is_down_and_delivers_each_once_when_it_is_back(
    client, learner, course, settings
):
    settings.LRS_RETRY_BASE_SECONDS = 30
    first = lrs_on_port(0).start()
    port = first.httpd.server_address[1]
    later = None
    lrs = LearningRecordStore.objects.create(
        name="Test-LRS", endpoint=first.endpoint, username=LRS_USER, password=LRS_PASSWORD
    )
    try:
        with eager_celery():
            # Up: the enrolment's statement goes out right after commit.
            enrollment = services.enroll_learner(learner, course)
            assert list(first.stored) == list(outbox_ids())
            assert StatementOutbox.objects.get().status == Status.DELIVERED

            # Down: nothing listens on the LRS's port any more.
            first.stop()
            assert refuses_connections(port)

            # The site keeps accepting learning events, through its pages.
            client.force_login(learner)
            lessons = list(
                Lesson.objects.filter(module__version=enrollment.version).order_by("position")
            )
            for lesson in lessons:
                page = client.get(reverse("courses:lesson", args=[course.slug, lesson.key]))
                assert page.status_code == 200
                done = client.post(
                    reverse("courses:complete_lesson", args=[course.slug, lesson.key])
                )
                assert done.status_code == 302
            assert LessonProgress.objects.filter(
                enrollment=enrollment, completed_at__isnull=False
            ).count() == len(lessons)
            quiz = enrollment.version.final_test
            services.submit_attempt(services.start_attempt(enrollment, quiz).pk, {}, learner)

        waiting = StatementOutbox.objects.exclude(status=Status.DELIVERED)
        # 2 × launched, 2 × completed, 3 × answered + failed (the final test).
        assert waiting.count() == 2 * len(lessons) + quiz.questions.count() + 1
        pending_ids = {str(r.statement_id) for r in waiting}
        # Each commit tried the LRS once (eagerly) and scheduled a retry.
        now = timezone.now()
        for row in waiting:
            assert row.status == Status.PENDING
            assert row.attempts == 1
            assert row.last_status_code is None
            assert "ConnectionRefused" in row.last_response
            assert row.next_attempt_at > now
        # The sweep respects the backoff: nothing is due, nothing is sent.
        assert sweep_statements_task.apply().get() == []

        # Draining by hand while it is still down: more attempts, a later retry, nothing lost.
        history = {r.pk: (r.attempts, r.next_attempt_at) for r in waiting}
        for _ in range(2):
            report = drain("--ignore-backoff")
            assert f"0 delivered, 0 failed, {len(pending_ids)} to retry (1 requests)" in report
            for row in StatementOutbox.objects.filter(pk__in=history):
                attempts, next_at = history[row.pk]
                assert row.status == Status.PENDING
                assert row.attempts == attempts + 1
                assert row.next_attempt_at > next_at  # the backoff grows
                assert row.next_attempt_at > timezone.now()
                history[row.pk] = (row.attempts, row.next_attempt_at)
        assert {a for a, _ in history.values()} == {3}

        # Back, on the same address, with what it stored before.
        later = lrs_on_port(port, previous=first).start()
        assert later.endpoint == lrs.endpoint
        requests_before = len(later.requests)
        report = drain("--ignore-backoff", "--batch-size", "3")
        assert f"{len(pending_ids)} delivered, 0 failed, 0 to retry" in report

        assert_exactly_once(later.stored, 1 + len(pending_ids))
        # Only what was waiting was sent, each statement once.
        assert posted_ids(later.requests[requests_before:]) == Counter({i: 1 for i in pending_ids})
        assert set(StatementOutbox.objects.values_list("last_status_code", flat=True)) == {200}

        # A second drain (and a sweep) send nothing.
        requests_after = len(later.requests)
        assert "0 delivered, 0 failed, 0 to retry (0 requests)" in drain("--ignore-backoff")
        assert sweep_statements_task.apply().get() == []
        assert len(later.requests) == requests_after
    finally:
        first.stop()
        if later is not None:
            later.stop()


# --- 2. A worker is killed in the middle of a batch ----------------------------------------------


def claimable(lrs) -> list[int]:
    """Rows another worker could claim right now (SKIP LOCKED passes over rows a worker holds)."""
    with transaction.atomic():
        return [
            r.pk
            for r in StatementOutbox.objects.due(lrs.pk, timezone.now()).select_for_update(
                skip_locked=True
            )
        ]


def locked_elsewhere(lrs) -> int:
    """How many of the LRS's rows (whatever their status) another session holds locked."""
    rows = StatementOutbox.objects.filter(lrs=lrs)
    with transaction.atomic():
        free = len(rows.select_for_update(skip_locked=True))
    return rows.count() - free


@pytest.mark.parametrize(
    "lrs_kept_the_batch",
    [False, True],
    ids=["lrs-stored-nothing", "lrs-stored-the-batch-but-the-answer-was-lost"],
)
def test_it_delivers_each_statement_once_after_a_worker_is_killed_mid_batch(
    worker_services, learner, course, lrs_kept_the_batch
):
    lrs_server = lrs_on_port(0).start()
    try:
        lrs_server.hang = True  # hold every POST unanswered (before storing) until released
        lrs = LearningRecordStore.objects.create(
            name="Test-LRS", endpoint=lrs_server.endpoint, username=LRS_USER, password=LRS_PASSWORD
        )
        # Every commit publishes a delivery task to Redis; no worker runs yet, so they wait.
        make_events(learner, course)
        fan_out_statements()  # what the first delivery task would do first (delivery rows)
        rows = list(StatementOutbox.objects.order_by("id"))
        assert len(rows) == 5 and {r.status for r in rows} == {Status.PENDING}
        all_ids = outbox_ids()

        doomed = worker_services("worker-1")
        assert wait_for(lambda: len(lrs_server.requests) >= 1), (
            "worker-1 never POSTed:\n" + doomed.output()
        )
        # The worker is inside the POST with the whole batch claimed (its rows are locked).
        assert set(posted_ids(lrs_server.requests)) == all_ids
        assert claimable(lrs) == []
        assert doomed.process.poll() is None
        match = re.search(r"records\.deliver_statements\[([0-9a-f-]+)\] received", doomed.output())
        assert match, doomed.output()
        hung_task_id = match.group(1)

        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(timeout=20)
        assert doomed.process.returncode == -signal.SIGKILL

        # PostgreSQL rolls the dead worker's transaction back: its rows are free, untouched.
        assert wait_for(lambda: locked_elsewhere(lrs) == 0), "the killed worker's locks stay"
        assert sorted(claimable(lrs)) == [r.pk for r in rows]
        for row in StatementOutbox.objects.all():
            assert (row.status, row.delivered_at) == (Status.PENDING, None), (
                "the killed worker left a row marked although the LRS stored nothing"
            )
        assert lrs_server.stored == {}  # it hung before storing anything

        if lrs_kept_the_batch:
            # The other case: the LRS had stored the batch, only its answer never arrived.
            for statement in next(iter(lrs_server.batches())):
                lrs_server.stored[statement["id"]] = statement
        lrs_server.hang = False
        lrs_server.release.set()

        # A new worker, which also hands out again messages whose worker died unacknowledged.
        survivor = worker_services(
            "worker-2",
            {"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1},
        )
        sweep_statements_task.delay()  # what beat does every XAPI_SWEEP_SECONDS
        assert wait_for(
            lambda: not StatementOutbox.objects.exclude(status=Status.DELIVERED).exists()
        ), "not delivered after the kill:\n" + survivor.output()
        # The killed worker's message comes back (acks_late) and finds nothing left to send.
        assert wait_for(
            lambda: re.search(rf"deliver_statements\[{hung_task_id}\] succeeded", survivor.output())
        ), "the killed worker's message was not redelivered:\n" + survivor.output()

        requests_done = len(lrs_server.requests)
        assert_exactly_once(lrs_server.stored, len(rows))
        if lrs_kept_the_batch:
            # Everything was answered 409 "already stored" and counted as delivered, not re-stored.
            assert set(StatementOutbox.objects.values_list("last_status_code", flat=True)) == {409}
        else:
            assert set(StatementOutbox.objects.values_list("last_status_code", flat=True)) == {200}
            # The hung batch, then one successful send of each statement.
            assert posted_ids(lrs_server.requests) == Counter({i: 2 for i in all_ids})

        # Another redelivery, run here, and a drain: nothing more goes out.
        assert deliver_statements_task.apply(args=[lrs.pk]).get()["requests"] == 0
        assert "(0 requests)" in drain("--ignore-backoff")
        assert len(lrs_server.requests) == requests_done
        assert survivor.process.poll() is None
    finally:
        lrs_server.stop()
