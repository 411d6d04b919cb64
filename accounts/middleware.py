"""Two-factor authentication: required for everyone who can see other people's data, and asked
for at login from every learner who turned it on."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .services import needs_two_factor, two_factor_device

SESSION_KEY = "two_factor"  # "required" or "optional", decided once per session


def remember_two_factor_state(request, user) -> str:
    """Whether this session must be verified with a code; stored so later requests cost nothing."""
    required = needs_two_factor(user) or two_factor_device(user) is not None
    state = "required" if required else "optional"
    request.session[SESSION_KEY] = state
    return state


def on_user_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_two_factor_state(request, user)
        request.session[IDLE_KEY] = int(time.time())  # the idle clock starts at login


class TwoFactorRequiredMiddleware:
    """Sends a logged-in user whose session still needs a TOTP code to the two-factor page (to
    set it up or to enter the code), from every page including the admin. Logging out, the
    two-factor page itself and static files stay open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.TWO_FACTOR_REQUIRED
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
        ):
            state = request.session.get(SESSION_KEY) or remember_two_factor_state(request, user)
            open_paths = (reverse("two_factor"), reverse("logout"), settings.STATIC_URL, "/i18n/")
            if state == "required" and not request.path.startswith(open_paths):
                return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)


IDLE_KEY = "last_activity"  # epoch seconds of the user's last own request
IDLE_WRITE_EVERY = 30  # store the time at most every half minute: sessions live in the cache


class IdleTimeoutMiddleware:
    """Ends a logged-in session after SESSION_IDLE_TIMEOUT_SECONDS without a request of the user's
    own (a shared practice PC). The lesson page's time heartbeat does not count as activity: a
    lesson left open on screen must still time out. site.js warns a minute before and keeps the
    session alive while the learner types."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.SESSION_IDLE_TIMEOUT_SECONDS
        if timeout and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(IDLE_KEY)
            if last is not None and now - last > timeout:
                logout(request)
                messages.info(request, _("Je was een tijd niet actief en bent daarom uitgelogd."))
                return redirect_to_login(request.get_full_path())
            if not request.path.endswith("/tijd/") and (
                last is None or now - last >= IDLE_WRITE_EVERY
            ):
                request.session[IDLE_KEY] = now
        return self.get_response(request)
