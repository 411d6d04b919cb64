"""The login attempt limit on both login pages (the site's and the admin's), with real threads
against a live server on PostgreSQL and Django's real PBKDF2 hasher."""

import re
import threading
from datetime import timedelta

import pytest
import requests
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse
from django.utils import timezone

from accounts.backends import login_retry_after
from lms.lib.ratelimit import minutes_until
from tests import factories

LOCK_MESSAGE = "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw."


class CountingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 hasher at full cost, counting how many passwords it checked."""

    checked = 0
    lock = threading.Lock()

    def verify(self, password, encoded):
        with self.lock:
            type(self).checked += 1
        return super().verify(password, encoded)


def guess(base_url, path, email, password, barrier, results):
    session = requests.Session()
    page = session.get(base_url + path, timeout=60).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    barrier.wait()
    response = session.post(
        base_url + path,
        {"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": base_url + path},
        allow_redirects=False,
        timeout=120,
    )
    results.append(response)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_it_checks_at_most_the_limit_of_passwords_for_parallel_guesses(
    path, live_server, transactional_db, settings
):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingPBKDF2PasswordHasher"]
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 3
    factories.make_user(email="beheer@example.org", is_staff=True, is_superuser=True)
    CountingPBKDF2PasswordHasher.checked = 0
    guesses = 12
    barrier, results = threading.Barrier(guesses), []
    threads = [
        threading.Thread(
            target=guess,
            args=(live_server.url, path, "beheer@example.org", f"gok-{i}", barrier, results),
        )
        for i in range(guesses)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Nobody got in (a login redirects), and at most the limit of passwords was hashed.
    assert len(results) == guesses and all(r.status_code == 200 for r in results)
    assert CountingPBKDF2PasswordHasher.checked <= 3
    # Every guess whose password was not checked was refused by the limit, and says so: wait
    # the whole window (parallel attempts stamped after a refusal read the clock once made it
    # "16 minutes" for some of them).
    told_to_wait = sum(LOCK_MESSAGE in r.text for r in results)
    assert told_to_wait == guesses - CountingPBKDF2PasswordHasher.checked, [
        r.text[:200] for r in results if LOCK_MESSAGE not in r.text
    ]


@pytest.mark.django_db
def test_it_never_asks_to_wait_longer_than_the_window(settings):
    """A parallel attempt stamped just after this request read the clock keeps the wait at
    the window's 15 minutes."""
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 2
    settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS = 900
    with time_machine.travel("2026-03-02 10:00:00+00:00", tick=False):
        for agent in ("a", "b"):
            AccessAttempt.objects.create(
                username="beheer@example.org",
                ip_address="198.51.100.1",
                user_agent=agent,
                failures_since_start=1,
                get_data="",
                post_data="",
            )
        # attempt_time is stamped on creation; the parallel request's clock was 5 ms ahead.
        AccessAttempt.objects.update(attempt_time=timezone.now() + timedelta(milliseconds=5))
        wait = login_retry_after("beheer@example.org", "198.51.100.1")
    assert wait == 900 and minutes_until(wait) == 15


@pytest.mark.django_db
def test_it_locks_the_admin_login_even_for_the_right_password(client, settings):
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 3
    factories.make_user(email="beheer@example.org", is_staff=True, is_superuser=True)
    for _ in range(3):
        client.post(reverse("admin:login"), {"username": "beheer@example.org", "password": "fout"})
    response = client.post(
        reverse("admin:login"), {"username": "beheer@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 200 and LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_counts_admin_failures_toward_the_site_login(client, learner, settings):
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 2
    for ip in ("198.51.100.1", "198.51.100.2"):
        client.post(
            reverse("admin:login"),
            {"username": "Learner@example.org", "password": "fout"},
            REMOTE_ADDR=ip,
        )
    response = client.post(
        reverse("login"),
        {"username": "learner@example.org", "password": factories.PASSWORD},
        REMOTE_ADDR="198.51.100.3",
    )
    assert LOCK_MESSAGE in response.content.decode()
