"""Delivery through a real Celery worker (a subprocess) over Redis, into the real loopback LRS."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from courses import services
from lms.celery import app as celery_app
from records.models import StatementOutbox, XapiStatement
from tests.worker_support import database_url, redis_reachable, worker_broker_url

ROOT = Path(__file__).resolve().parents[2]
BROKER = worker_broker_url("redis://127.0.0.1:6379/5")

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_queue():
    if not redis_reachable(BROKER):
        pytest.skip(f"Redis is not reachable at {BROKER}: the real-worker test needs a broker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database over the network: PostgreSQL only")
    # A queue of our own: a stale message from another run can never reach this worker.
    queue = f"spk-test-{uuid.uuid4().hex[:12]}"
    env = dict(
        os.environ,
        CELERY_BROKER_URL=BROKER,
        DATABASE_URL=database_url(),
        LRS_ENDPOINT="",
        LRS_ENDPOINTS="",
        PYTHONPATH=str(ROOT),
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    saved = {
        k: celery_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")
    }
    # Earlier eager tasks cached the app's routing (its default queue); give this test fresh ones.
    saved_amqp, saved_pool = celery_app.__dict__.pop("amqp", None), celery_app._pool
    celery_app._pool = None
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False, task_default_queue=queue)
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        celery_app.conf.update(saved)
        celery_app.__dict__.pop("amqp", None)
        if saved_amqp is not None:
            celery_app.__dict__["amqp"] = saved_amqp
        celery_app._pool = saved_pool
        print(output)


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_it_delivers_through_a_real_celery_worker(worker_queue, learner, course, lrs, lrs_server):
    enrollment = services.enroll_learner(
        learner, course
    )  # commits: on_commit queues the task on Redis
    # One outbox row, written in the enrolment's transaction; the worker fans it out (one
    # delivery row for the LRS) and delivers it.
    row = XapiStatement.objects.get()

    assert wait_for(lambda: StatementOutbox.objects.filter(status="delivered").exists()), (
        "the worker did not deliver the statement"
    )
    assert worker_queue.poll() is None
    assert StatementOutbox.objects.get().xapi_statement == row
    assert list(lrs_server.stored) == [str(row.statement_id)]
    assert lrs_server.stored[str(row.statement_id)]["context"]["registration"] == str(
        enrollment.registration
    )
