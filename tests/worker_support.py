"""Helpers for tests that run a real Celery worker process against Redis and the test database."""

import os
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

REDIS_DATABASES = 16


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
