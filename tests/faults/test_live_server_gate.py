"""The live server's gate (tests/live_server_support.py): a test's teardown waits for the
requests still inside the application before the database is flushed, and a request that
arrives after the test ended never reaches the application."""

import threading
import urllib.error
import urllib.request

import pytest
from django.core.signals import request_started

pytestmark = pytest.mark.django_db(transaction=True)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_it_waits_for_a_running_request_and_refuses_new_ones_until_opened(live_server):
    gate = live_server.thread.httpd
    url = f"{live_server.url}/accounts/login/"
    entered, release = threading.Event(), threading.Event()
    entries = []

    def hold(**kwargs):
        entries.append(kwargs["environ"]["PATH_INFO"])
        entered.set()
        release.wait(30)

    request_started.connect(hold, dispatch_uid="gate-hold")
    statuses = []
    slow = threading.Thread(target=lambda: statuses.append(get(url)))
    try:
        slow.start()
        assert entered.wait(30)

        # A request is inside: the gate closes but the drain does not finish.
        with pytest.raises(TimeoutError, match="1 live-server request"):
            gate.close_and_drain(timeout=0.2)
        # Closed: a new request is answered without reaching Django.
        assert get(url) == 503
        assert entries == ["/accounts/login/"]

        release.set()
        gate.close_and_drain(timeout=30)
        slow.join(30)
        assert statuses == [200]

        gate.open()
        assert get(url) == 200
        assert len(entries) == 2
    finally:
        release.set()
        request_started.disconnect(dispatch_uid="gate-hold")
        slow.join(30)
        gate.open()
