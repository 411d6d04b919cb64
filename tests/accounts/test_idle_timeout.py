"""A session on a shared practice PC ends after the idle time; the lesson heartbeat is not
activity, the learner's own requests (and the page's keep-alive ping) are."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from courses import services
from tests import factories

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_it_logs_out_after_the_idle_time_but_not_before(client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
    course = factories.make_course(slug="stil")
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    heartbeat = reverse("courses:heartbeat", args=[course.slug, "les-1"])
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(learner)
        assert client.get("/dashboard/").status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.post(reverse("session_ping")).status_code == 204  # "Ingelogd blijven"
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/dashboard/").status_code == 200
        for _minute in range(31):  # a lesson left open on screen keeps beating
            clock.shift(dt.timedelta(minutes=1))
            client.post(heartbeat)
        response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/dashboard/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "niet actief en bent daarom uitgelogd" in page


def test_it_warns_on_every_page_of_a_logged_in_user(client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    client.force_login(factories.make_user())
    page = client.get("/dashboard/").content.decode()
    assert 'data-idle-seconds="600"' in page and 'role="alertdialog"' in page
    client.logout()
    assert "data-idle-seconds" not in client.get("/").content.decode()
