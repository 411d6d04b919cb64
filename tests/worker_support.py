"""Helpers for tests that run a real Celery worker process against Redis and the test database."""

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

REDIS_DATABASES = 16
ROOT = Path(__file__).resolve().parents[1]


def worker_broker_url(default: str = "") -> str:
    """CELERY_TEST_BROKER_URL, with a Redis database of its own for each pytest-xdist worker.

    Under `pytest -n N` worker gwK uses the configured database + K (modulo Redis's 16), so two
    workers never share a broker database even if a test forgets its private queue. Returns
    `default` when the variable is not set.
    """
    url = os.environ.get("CELERY_TEST_BROKER_URL") or default
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = (base + int(worker[2:])) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{db}"))


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def database_url() -> str:
    """The URL of the pytest test database, so a worker process sees the rows a test commits."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def celery_worker(log_path: Path, broker: str, **env: str) -> Iterator[Path]:
    """A Celery worker process on the test database and a private queue, writing its output
    (the console e-mail backend's too) to `log_path`; this process queues to it while inside."""
    from lms.celery import app

    queue = f"spk-test-{uuid.uuid4().hex[:12]}"
    log = log_path.open("w")  # a file, not a pipe: a full pipe would block the worker
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "--pool=solo", "-Q", queue]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "CELERY_BROKER_URL": broker,
            "DATABASE_URL": database_url(),
            "PYTHONPATH": str(ROOT),
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    # Celery caches the routing and producer pool it built for earlier (eager) tests.
    app.__dict__.pop("amqp", None)
    app._pool = None
    app.conf.update(broker_url=broker, task_always_eager=False, task_default_queue=queue)
    try:
        yield log_path
    finally:
        app.conf.update(old)
        app.__dict__.pop("amqp", None)
        app._pool = None
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
