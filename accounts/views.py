"""The learner's own account: sign up, log in (rate-limited), profile and register numbers,
password change, and the privacy page (download all data, delete the account)."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lms.lib.ratelimit import minutes_until

from . import services as privacy
from .forms import (
    DeleteAccountForm,
    ProfileForm,
    RateLimitedAuthenticationForm,
    RegisterNumberFormSet,
    SignUpForm,
    TwoFactorTokenForm,
    address_limiter,
    request_address,
)
from .models import User
from .tasks import send_password_reset_task, send_signup_notice_task

login_view = auth_views.LoginView.as_view(
    authentication_form=RateLimitedAuthenticationForm,
    template_name="registration/login.html",
    redirect_authenticated_user=True,
)
logout_view = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="registration/password_change_form.html",
    success_url=reverse_lazy("password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html",
)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset in Dutch, limited per client address because it sends e-mail.

    Whatever the address, the next page says the same ("if an account belongs to it"), so the
    form tells nobody who has an account. The link in the e-mail is built on SITE_URL.
    """

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        limiter, address = address_limiter("password-reset"), request_address(self.request)
        wait = limiter.retry_after(address)
        if wait:
            message = _(
                "Te veel aanvragen vanaf dit adres. Probeer het over %(minutes)s minuten opnieuw."
            )
            form.add_error(None, message % {"minutes": minutes_until(wait)})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        limiter.record_failure(address)
        # The same answer, in the same time, whether or not the address has an account: the
        # look-up and the mail happen in a Celery task after the response.
        email = form.cleaned_data["email"]
        transaction.on_commit(lambda: send_password_reset_task.delay(email))
        return redirect(self.get_success_url())


password_reset = PasswordResetView.as_view()


@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        limiter, address = address_limiter("signup"), request_address(request)
        wait = limiter.retry_after(address)
        if wait:
            # Not validated: while locked, nobody learns whether an address has an account.
            form = SignUpForm(initial={k: request.POST.get(k, "") for k in SignUpForm.Meta.fields})
            message = _(
                "Te veel aanmeldingen vanaf dit adres. "
                "Probeer het over %(minutes)s minuten opnieuw."
            )
            context = {"form": form, "rate_limited": message % {"minutes": minutes_until(wait)}}
            return render(request, "accounts/signup.html", context, status=429)
        limiter.record_failure(address)  # every attempt counts, successful or not
    if request.method == "POST" and form.is_valid():
        # New address or taken, the answer is the same redirect to the same page, with no login
        # and nothing else in the session; the mail (a confirmation link, or "you already have
        # an account") goes out after the response, so its timing says nothing either.
        email = form.cleaned_data["email"]
        if form.address_taken:
            make_password(form.cleaned_data["password1"])  # the work a new account costs
        else:
            privacy.create_unconfirmed_account(form)
        transaction.on_commit(lambda: send_signup_notice_task.delay(email))
        return redirect("signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


@never_cache
def signup_sent(request):
    return render(request, "accounts/signup_sent.html")


@never_cache
def signup_confirm(request, uidb64, token):
    """The link in the sign-up mail: a button (mail scanners follow links, not buttons) that
    activates the account and logs its owner in."""
    user = privacy.signup_confirmation_user(uidb64, token)
    if user is None:
        return render(request, "accounts/signup_confirm.html", {"validlink": False}, status=400)
    if request.method == "POST":
        privacy.confirm_signup(user)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(
            request,
            _("Welkom, %(name)s. Vul je registratienummers in om accreditatiepunten te krijgen.")
            % {"name": user.first_name},
        )
        return redirect("profile")
    return render(request, "accounts/signup_confirm.html", {"validlink": True, "user": user})


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, instance=user, prefix="profile")
    formset = RegisterNumberFormSet(request.POST or None, instance=user, prefix="registers")
    if request.method == "POST":
        # Validate both before saving either, so a bad register number saves nothing.
        form_ok = form.is_valid()
        formset_ok = formset.is_valid()
        if form_ok and formset_ok:
            with transaction.atomic():
                form.save()
                formset.save()
            messages.success(request, _("Je gegevens zijn opgeslagen."))
            return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "formset": formset,
            "register_numbers": user.register_numbers.order_by("register"),
        },
    )


@never_cache
@login_required
def two_factor(request):
    """Set up TOTP (QR code, then the first code), or enter the code for this session.

    Staff, superusers and accreditation managers are sent here until their session is verified
    (accounts/middleware.py); learners come here to turn it on.
    """
    from django.utils.http import url_has_allowed_host_and_scheme
    from django_otp import login as otp_login

    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    device = privacy.two_factor_device(request.user)
    setting_up = device is None
    if setting_up:
        device = privacy.start_two_factor_setup(request.user)
    form = TwoFactorTokenForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if setting_up:
            privacy.confirm_two_factor_device(device)
            messages.success(request, _("Tweestapsverificatie staat aan."))
        otp_login(request, device)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    context = {
        "form": form,
        "next": next_url,
        "setting_up": setting_up,
        "verified": request.user.is_verified(),
    }
    if setting_up:
        context["qr_svg"] = privacy.two_factor_qr_svg(device)
        context["secret"] = privacy.two_factor_secret(device)
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)


def _privacy_context(user, form) -> dict:
    # records owns accreditation; its service says which points deletion would lose.
    from records.registers import unreported_points, unreported_presences

    return {
        "delete_form": form,
        "unreported": unreported_points(user),
        "unreported_presences": unreported_presences(user),
    }


@login_required
def privacy_page(request):
    return render(
        request,
        "accounts/privacy.html",
        _privacy_context(request.user, DeleteAccountForm(request.user)),
    )


@login_required
@require_POST
def privacy_report_first(request):
    """Before deleting: hand the learner's unreported points to PE-online first."""
    from records.registers import report_before_deletion

    report_before_deletion(request.user)
    messages.success(
        request,
        _(
            "Je punten worden aan PE-online doorgegeven. Je registratienummers gaan mee, ook als "
            "je daarna je account verwijdert."
        ),
    )
    return redirect(reverse("privacy") + "#verwijderen")


@login_required
@never_cache
def privacy_download(request):
    data = privacy.export_learner_data(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"spreekkamer-mijn-gegevens-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def privacy_delete(request):
    form = DeleteAccountForm(request.user, request.POST)
    if not form.is_valid():
        return render(
            request, "accounts/privacy.html", _privacy_context(request.user, form), status=400
        )
    privacy.delete_learner_account(request.user)
    logout(request)
    return redirect("account_deleted")


@never_cache
@csrf_exempt  # the signed token is the authority; RFC 8058 one-click POSTs carry no CSRF token
@require_http_methods(["GET", "POST"])
def reminders_off(request, token):
    """Switch course reminders off from the link in a reminder, without logging in. GET only asks
    (a mail scanner that follows links switches nothing off); POST, from the page's button or a
    mail program's one-click unsubscribe (RFC 8058), switches them off."""
    try:
        user = User.for_reminders_off_token(token)
    except signing.SignatureExpired:
        return render(request, "accounts/reminders_off.html", {"state": "expired"}, status=400)
    except signing.BadSignature:
        return render(request, "accounts/reminders_off.html", {"state": "invalid"}, status=400)
    if request.method == "POST":
        if user.course_reminders:
            user.course_reminders = False
            user.save(update_fields=["course_reminders"])
    state = "done" if request.method == "POST" else "ask"
    return render(request, "accounts/reminders_off.html", {"state": state, "email": user.email})


def account_deleted(request):
    return render(request, "accounts/deleted.html")


@login_required
@require_POST
def session_ping(request):
    """The learner is still here (typing, or chose to stay): IdleTimeoutMiddleware has noted it."""
    return HttpResponse(status=204)
