"""A learner's rights over their own data: a full export, and deletion that keeps accreditation.

The rule (docs/privacy.md): deleting an account removes everything that says who the person is
or what they wrote, and keeps only the completion records that accreditation and certificate
verification depend on, tied to a nameless, inactive user row.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F, Prefetch, Value
from django.db.models.functions import Right
from django.db.models.lookups import Exact
from django.utils import timezone

from courses import signals
from courses.models import (
    Answer,
    CourseCompletion,
    CourseRole,
    Enrollment,
    LiveSessionRegistration,
    QuizAttempt,
    Reflection,
    ScenarioDecision,
)
from courses.services import release_live_registrations

from .models import RegisterNumber, User

EXPORT_FORMAT = "spreekkamer-learner-export/1"
DELETED_EMAIL_DOMAIN = "verwijderd.invalid"  # .invalid never resolves (RFC 2606)


def _iso(value):
    return value.isoformat() if value is not None else None


def _decimal(value):
    return None if value is None else float(value)


def export_learner_data(user: User) -> dict:
    """Return everything Spreekkamer holds about `user`, as JSON-ready data. Writes nothing.

    Reflections are included here, in the learner's own download, and nowhere else.
    """
    enrollments = (
        Enrollment.objects.filter(user=user)
        .select_related("course", "version")
        .prefetch_related(
            "lesson_progress",
            Prefetch(
                "scenario_decisions",
                queryset=ScenarioDecision.objects.select_related("choice__step__scenario").order_by(
                    "decided_at"
                ),
            ),
            Prefetch(
                "attempts",
                queryset=QuizAttempt.objects.select_related("quiz").order_by(
                    "quiz_id", "phase", "number"
                ),
            ),
            Prefetch(
                "attempts__answers",
                queryset=Answer.objects.select_related("question").order_by("question__position"),
            ),
        )
        .order_by("enrolled_at")
    )
    completions = {
        c.enrollment_id: c for c in CourseCompletion.objects.filter(enrollment__user=user)
    }
    reflections = Reflection.objects.filter(user=user).select_related(
        "block__lesson__module__version__course"
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "initials": user.initials,
            "surname_prefix": user.surname_prefix,
            "last_name": user.last_name,
            "profession": user.profession,
            "preferred_language": user.preferred_language,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "register_numbers": [
            {
                "register": rn.register,
                "register_name": rn.register_name,
                "number": rn.number,
                "created_at": _iso(rn.created_at),
            }
            for rn in RegisterNumber.objects.filter(user=user).order_by("created_at")
        ],
        "enrollments": [_export_enrollment(e, completions.get(e.pk)) for e in enrollments],
        "reflections": [
            {
                "course": r.block.lesson.module.version.course.slug,
                "lesson_key": r.block.lesson.key,
                "block_key": r.block.key,
                "prompt": r.block.prompt,
                "text": r.text,
                "updated_at": _iso(r.updated_at),
            }
            for r in reflections.order_by("updated_at")
        ],
        "masterclass_registrations": [
            {
                "masterclass": r.edition.session_type.slug,
                "starts_at": _iso(r.edition.starts_at),
                "status": r.status,
                "registered_at": _iso(r.queued_at),
                "cancelled_at": _iso(r.cancelled_at),
                "attended_at": _iso(r.attended_at),
            }
            for r in LiveSessionRegistration.objects.filter(user=user)
            .select_related("edition__session_type")
            .order_by("edition__starts_at")
        ],
    }


def _export_enrollment(enrollment: Enrollment, completion: CourseCompletion | None) -> dict:
    return {
        "course": enrollment.course.slug,
        "course_title": enrollment.version.title,
        "version": enrollment.version.number,
        "registration": str(enrollment.registration),
        "enrolled_at": _iso(enrollment.enrolled_at),
        "last_lesson_key": enrollment.last_lesson_key,
        "last_activity_at": _iso(enrollment.last_activity_at),
        "completed_at": _iso(enrollment.completed_at),
        "lesson_progress": [
            {
                "lesson_key": p.lesson_key,
                "started_at": _iso(p.started_at),
                "completed_at": _iso(p.completed_at),
                "seconds_spent": p.seconds_spent,
            }
            for p in sorted(enrollment.lesson_progress.all(), key=lambda p: p.started_at)
        ],
        "scenario_decisions": [
            {
                "scenario_key": d.choice.step.scenario.key,
                "step_key": d.choice.step.key,
                "choice": d.choice.text,
                "decided_at": _iso(d.decided_at),
            }
            for d in enrollment.scenario_decisions.all()
        ],
        "attempts": [
            {
                "quiz_key": a.quiz.key,
                "quiz_title": a.quiz.title,
                "quiz_kind": a.quiz.kind,
                "phase": a.phase,
                "number": a.number,
                "started_at": _iso(a.started_at),
                "submitted_at": _iso(a.submitted_at),
                "score": _decimal(a.score),
                "passed": a.passed,
                "answers": [
                    {
                        "question_key": ans.question.key,
                        "response": ans.response,
                        "fraction": _decimal(ans.fraction),
                        "is_correct": ans.is_correct,
                    }
                    for ans in a.answers.all()
                ],
            }
            for a in enrollment.attempts.all()
        ],
        "completion": None
        if completion is None
        else {
            "completed_at": _iso(completion.completed_at),
            "score": _decimal(completion.score),
            "passed": completion.passed,
            "verification_code": completion.verification_code,
            "verification_url": completion.verification_url,
            "revoked_at": _iso(completion.revoked_at),
        },
    }


@transaction.atomic
def delete_learner_account(user: User) -> User:
    """Delete the learner's personal data and pseudonymise what accreditation must keep.

    Sends `account_deleting` first so other apps remove their own data about the user. Deletes
    register numbers, reflections, course roles, and every enrolment without a completion
    (with its progress, decisions, attempts and answers). For completed enrolments it deletes
    progress, decisions, attempts and answers but keeps the Enrollment and CourseCompletion rows.
    The user row stays (completions point at it) with a random e-mail, no name, no profession,
    no usable password, inactive. Returns the pseudonymised user. All or nothing.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    signals.account_deleting.send(sender=User, user=user)
    # Masterclass places: an upcoming place goes to the waiting list; only attended editions
    # stay (accreditation keeps them, as completions).
    release_live_registrations(user)
    RegisterNumber.objects.filter(user=user).delete()
    Reflection.objects.filter(user=user).delete()
    CourseRole.objects.filter(user=user).delete()

    completed = Enrollment.objects.filter(user=user, completion__isnull=False)
    Answer.objects.filter(attempt__enrollment__user=user).delete()
    QuizAttempt.objects.filter(enrollment__user=user).delete()
    ScenarioDecision.objects.filter(enrollment__user=user).delete()
    Enrollment.objects.filter(user=user, completion__isnull=True).delete()
    for enrollment in completed:
        enrollment.lesson_progress.all().delete()
    # What is left of an enrolment says only "this pseudonym took this course": no resume point.
    completed.update(last_lesson_key="", last_activity_at=None)

    pseudonym = f"verwijderd-{uuid.uuid4().hex}@{DELETED_EMAIL_DOMAIN}"
    user.email = pseudonym
    user.username = pseudonym
    user.first_name = user.last_name = user.initials = user.surname_prefix = ""
    user.profession = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return user


def is_deleted_account(user: User) -> bool:
    return user.email.endswith("@" + DELETED_EMAIL_DOMAIN)


def deleted_account_condition(user_path: str = "") -> Exact:
    """`is_deleted_account()` in SQL, for the user at `user_path` (e.g. "enrollment__user").

    An exact comparison of the address's end: LIKE would ignore case on SQLite."""
    suffix = "@" + DELETED_EMAIL_DOMAIN
    email = F(f"{user_path}__email" if user_path else "email")
    return Exact(Right(email, len(suffix)), Value(suffix))


def send_password_reset_mail(email: str) -> int:
    """Mail a password-reset link to every active account with this address; return how many.

    Runs in a Celery task after the reset page has answered, so the page takes the same time
    whether or not the address has an account.
    """
    from django.conf import settings
    from django.contrib.auth.forms import PasswordResetForm

    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    users = list(form.get_users(email))
    form.save(
        domain_override=settings.SITE_URL.split("://", 1)[1],
        use_https=settings.SITE_URL.startswith("https://"),
        subject_template_name="registration/password_reset_subject.txt",
        email_template_name="registration/password_reset_email.txt",
        extra_email_context={"site_url": settings.SITE_URL},
    )
    return len(users)


def create_unconfirmed_account(form) -> User:
    """Save a sign-up form's new account, inactive until its owner follows the mailed link.

    Sign-up never logs anyone in: the page after it must look the same whether or not the
    address already had an account, so the new account waits for the link in its mailbox.
    """
    user = form.save(commit=False)
    user.is_active = False
    user.awaiting_confirmation = True
    user.save()
    return user


def _signup_confirm_url(user: User) -> str:
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("signup_confirm", args=[uidb64, token])


def awaits_confirmation(user: User) -> bool:
    """A signed-up account whose owner has not followed the mailed link yet."""
    return user.awaiting_confirmation and not user.is_active and not is_deleted_account(user)


def signup_confirmation_user(uidb64: str, token: str) -> User | None:
    """The unconfirmed account a sign-up link names, or None when the link is wrong or used.

    Confirming clears `awaiting_confirmation` (and logging in sets `last_login`, which the token
    covers): a link works once.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None or not awaits_confirmation(user):
        return None
    return user if default_token_generator.check_token(user, token) else None


def confirm_signup(user: User) -> None:
    """Activate an account whose owner followed the sign-up link."""
    user.is_active = True
    user.awaiting_confirmation = False
    user.save(update_fields=["is_active", "awaiting_confirmation"])


def send_signup_notice_mail(email: str) -> bool:
    """Mail the address a sign-up used; False when no account has it.

    A new account gets its confirmation link. An existing account's owner learns that someone
    tried to sign up with it, with the links to log in or choose a new password; an account
    still waiting for confirmation gets its link again. The sign-up page says the same in every
    case.
    """
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    user = User.objects.filter(email__iexact=email).first()
    if user is None or not (user.is_active or awaits_confirmation(user)):
        return False
    if user.is_active:
        context = {
            "user": user,
            "login_url": settings.SITE_URL + reverse("login"),
            "reset_url": settings.SITE_URL + reverse("password_reset"),
        }
        template = "accounts/signup_notice"
    else:
        context = {"user": user, "confirm_url": _signup_confirm_url(user)}
        template = "accounts/signup_confirm"
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}_email.txt", context)
    send_mail(subject, body, None, [user.email])
    return True


def needs_two_factor(user) -> bool:
    """Whether `user` must log in with a TOTP code: staff, superusers and accreditation managers
    see other people's names (and BIG numbers); learners may choose it."""
    return user.is_staff or user.is_superuser or user.has_perm("records.manage_accreditation")


def two_factor_device(user: User, *, confirmed: bool = True):
    """The user's TOTP device (confirmed, or the one being set up), or None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def start_two_factor_setup(user: User):
    """The TOTP device waiting for its first code, made on first call (a new secret each time
    setup starts over, none while a confirmed one exists)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        device = two_factor_device(user, confirmed=False)
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Spreekkamer", confirmed=False)
        return device


def confirm_two_factor_device(device) -> None:
    """Mark `device` confirmed (its first code has just been verified) and remove any other
    unconfirmed device of the same user."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        type(device).objects.filter(user=device.user, confirmed=False).delete()


def two_factor_qr_svg(device) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn here (nothing external)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def two_factor_secret(device) -> str:
    """The secret in base32, grouped by four, for typing into an app without a camera."""
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
