"""Password login, limited per e-mail address and per client address, on every login page.

Both the site login and the Django admin login call `authenticate()`, so both go through this
backend. django-axes keeps the failure counters (`axes.models.AccessAttempt`, one row per
address, client address and browser, incremented with a row lock and an `F()` expression) and
clears them after a successful login (`AXES_RESET_ON_SUCCESS`).

axes itself checks the lock before the password hash and counts the failure after it, so
parallel guesses all pass the check before any of them is counted. Here every attempt is counted
*before* the hash instead (a reservation), and only an attempt whose own count is within the
limit gets its password checked: N parallel guesses with a limit of L cost at most L hashes.
A successful login deletes the reservations with the rest of the failures.
"""

from datetime import timedelta

from axes.backends import AxesBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from lms.lib.ratelimit import client_address


def login_address(request) -> str | None:
    """The client address that login failures are counted against (None when unknown)."""
    address = client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXY_COUNT,
    )
    return None if address == "unknown" else address


def login_username(request, credentials) -> str:
    """The e-mail address as typed, case-folded: `Sam@X.nl` and `sam@x.nl` share one counter."""
    username = (credentials or {}).get("username") or ""
    return username.strip().lower()


def login_failure_limit(request=None, credentials=None) -> int:
    return settings.LOGIN_RATE_LIMIT_ATTEMPTS


def login_cool_off(request=None) -> timedelta:
    return timedelta(seconds=settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS)


def _wait(attempts, limit: int, now) -> float:
    """Seconds until `attempts` (within the window) drop below `limit`; 0 when not locked.

    Never more than the window: a parallel request may have stamped its attempt a moment after
    `now` was read, and "wait 16 minutes" for a 15-minute lock would be wrong.
    """
    totals = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (totals["failures"] or 0) < limit:
        return 0.0
    window = login_cool_off()
    return min(window, max(timedelta(0), totals["last"] + window - now)).total_seconds()


def login_retry_after(username: str, address: str | None, *, extra: int = 0) -> float:
    """Seconds until this e-mail address and client address may try a password again.

    `extra` lowers both limits, for counts that include the caller's own reservation.
    """
    now = timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gt=now - login_cool_off())
    waits = [
        _wait(recent.filter(username=username), settings.LOGIN_RATE_LIMIT_ATTEMPTS + extra, now)
    ]
    if address:
        waits.append(
            _wait(
                recent.filter(ip_address=address),
                settings.LOGIN_RATE_LIMIT_IP_ATTEMPTS + extra,
                now,
            )
        )
    return max(waits)


def reserve_login_attempt(request, username: str, address: str | None) -> None:
    """Count one attempt for this e-mail address, client address and browser (row-locked)."""
    now = timezone.now()
    with transaction.atomic():
        AccessAttempt.objects.filter(attempt_time__lte=now - login_cool_off()).delete()
        attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
            username=username,
            ip_address=address,
            user_agent=request.META.get("HTTP_USER_AGENT", "<unknown>")[:255],
            defaults={
                "get_data": "",
                "post_data": "",
                "http_accept": request.META.get("HTTP_ACCEPT", "<unknown>")[:1025],
                "path_info": request.META.get("PATH_INFO", "<unknown>")[:255],
                "failures_since_start": 1,
                "attempt_time": now,
            },
        )
        if not created:
            AccessAttempt.objects.filter(pk=attempt.pk).update(
                failures_since_start=F("failures_since_start") + 1, attempt_time=now
            )


class LoginLimitBackend(AxesBackend):
    """Django's ModelBackend behind a per-address and per-client-address attempt limit.

    While locked, even the right password is refused (otherwise the lock would tell an attacker
    which guess was right), and the attempt is not counted, so trying again does not prolong it.
    On refusal `request.login_retry_after` holds the seconds to wait, for the login forms.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None or password is None:
            return None
        key, address = login_username(request, {"username": username}), login_address(request)
        # Counted here, so the axes handler must not count the failure once more.
        request.login_attempt_counted = True
        wait = login_retry_after(key, address)
        if not wait:
            reserve_login_attempt(request, key, address)
            # Our own reservation is in the count now: over the limit only if it exceeds it.
            wait = login_retry_after(key, address, extra=1)
        if wait:
            request.login_retry_after = wait
            raise PermissionDenied("too many login attempts")
        # ModelBackend: the password hash, and no other backend runs after a refusal.
        user = ModelBackend.authenticate(
            self, request, username=username, password=password, **kwargs
        )
        if user is None:
            raise PermissionDenied("wrong e-mail address or password")
        return user


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler, minus the failure count `LoginLimitBackend` already made."""

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if getattr(request, "login_attempt_counted", False):
            return
        super().user_login_failed(sender, credentials, request=request, **kwargs)
