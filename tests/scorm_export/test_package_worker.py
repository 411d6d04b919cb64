"""The export task through a real broker and a real Celery worker process (needs Redis)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from lms.celery import app
from scorm_export import services
from scorm_export.models import PackageExport
from tests import factories
from tests.worker_support import worker_broker_url

BROKER = worker_broker_url()
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="CELERY_TEST_BROKER_URL is not set"),
]


def reset_producer():
    # Celery caches the queues, router and connection pool it built from the configuration in use
    # then (the eager tests before this one); drop them so the changed configuration takes effect.
    app.__dict__.pop("amqp", None)
    app._pool = None


@pytest.fixture
def worker(tmp_path):
    """A Celery worker in its own process, on the test database and a private queue."""
    queue = f"spk-test-{os.getpid()}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = (tmp_path / "worker.log").open(
        "w"
    )  # a file, not a pipe: a full pipe would block the worker
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=BROKER, task_always_eager=False, task_default_queue=queue)
    reset_producer()
    try:
        yield tmp_path / "worker.log"
    finally:
        app.conf.update(old)
        reset_producer()
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_a_real_worker_builds_the_package(worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = factories.make_course(slug="werker")
    author = factories.make_author(course)
    export = services.request_package_export(author, course.published_version, "scorm2004")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.is_finished:
            break
        time.sleep(0.5)
    assert export.status == PackageExport.Status.DONE, worker.read_text() + export.error
    assert export.progress == 100
    with export.file.open("rb") as fh:
        assert fh.read(2) == b"PK"
