"""The inactivity reminder through a real Celery worker process over Redis: the sweep (the
management command, as cron or beat runs it) queues the mail, the worker sends it with the
console backend."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from courses import services
from courses.models import Enrollment
from tests import factories
from tests.worker_support import celery_worker, redis_reachable, worker_broker_url

BROKER = worker_broker_url("redis://127.0.0.1:6379/5")
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for_text(path, text, seconds=60):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in path.read_text():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_sends_the_reminder_with_its_switch_off_link(tmp_path):
    if not redis_reachable(BROKER):
        pytest.skip(f"Redis is not reachable at {BROKER}: the real-worker test needs a broker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database over the network: PostgreSQL only")
    course = factories.make_course(slug="werker-herinnering", title="Cursus op afstand")
    learner = factories.make_user(email="werker@example.org", first_name="Jesse")
    enrollment = services.enroll_learner(learner, course)  # eager here: before the worker runs
    Enrollment.objects.filter(pk=enrollment.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=15)
    )
    env = {"EMAIL_HOST": "", "SITE_URL": "http://127.0.0.1:8010"}
    with celery_worker(tmp_path / "worker.log", BROKER, **env) as log:
        call_command("send_course_reminders", stdout=None)
        enrollment.refresh_from_db()
        assert enrollment.reminded_at is not None
        assert wait_for_text(log, "List-Unsubscribe-Post: List-Unsubscribe=One-Click"), (
            log.read_text()
        )
        call_command("send_course_reminders", stdout=None)  # nothing due any more
    output = re.sub(r" *\n[ \t]+", " ", log.read_text())  # unfold long header lines
    assert output.count("To: werker@example.org") == 1
    assert "Subject: Ga verder met Cursus op afstand" in output
    assert "List-Unsubscribe: <http://127.0.0.1:8010/accounts/herinneringen-uit/" in output
    assert "http://127.0.0.1:8010/cursus/werker-herinnering/" in output
