"""The e-mails a learner gets about their own courses: enrolled, completed, and a reminder after
COURSE_REMINDER_DAYS without progress (sent by `courses.tasks` after the transaction that caused
them commits)."""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .models import Enrollment

ENROLLED, COMPLETED, REMINDER = "enrolled", "completed", "reminder"

# Simulated learners (seed_activity, the demo learner) get no mail.
_quiet = contextvars.ContextVar("learner_mail_quiet", default=False)


@contextlib.contextmanager
def no_learner_mail():
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def mail_wanted() -> bool:
    return not _quiet.get()


def send_learner_mail(enrollment_id: int, kind: str) -> bool:
    """Send one mail about `kind` to the enrolment's learner; False when there is nothing to say
    (the enrolment is gone, not completed for a completion mail, or completed or no longer
    wanted for a reminder)."""
    enrollment = (
        Enrollment.objects.select_related("user", "course", "version", "completion")
        .filter(pk=enrollment_id)
        .first()
    )
    if enrollment is None:
        return False
    title = enrollment.version.title
    headers = {}
    course_url = settings.SITE_URL + enrollment.course.get_absolute_url()
    with translation.override(settings.LANGUAGE_CODE):
        greeting = _("Beste %(name)s,") % {"name": enrollment.user.first_name or ""}
        if kind == ENROLLED:
            subject = _("Ingeschreven: %(title)s") % {"title": title}
            body = _(
                "Je bent ingeschreven voor de e-learning “%(title)s”. Je kunt meteen beginnen en "
                "stoppen wanneer het je uitkomt: we onthouden waar je was.\n\n%(url)s"
            ) % {"title": title, "url": course_url}
        elif kind == COMPLETED:
            completion = getattr(enrollment, "completion", None)
            if completion is None:
                return False
            date = formats.date_format(timezone.localtime(completion.completed_at), "j F Y")
            subject = _("Afgerond: %(title)s – je certificaat") % {"title": title}
            body = _(
                "Gefeliciteerd! Je hebt “%(title)s” op %(date)s afgerond.\n\n"
                "Je certificaat (pdf): %(pdf)s\n"
                "Controlelink voor anderen: %(verify)s"
            ) % {
                "title": title,
                "date": date,
                "pdf": settings.SITE_URL
                + reverse("courses:certificate_pdf", args=[enrollment.course.slug]),
                "verify": completion.verification_url,
            }
        elif kind == REMINDER:
            user = enrollment.user
            if enrollment.is_completed or not (user.course_reminders and user.is_active):
                return False
            last = enrollment.last_activity_at or enrollment.enrolled_at
            off_url = settings.SITE_URL + reverse(
                "reminders_off", args=[user.reminders_off_token()]
            )
            # RFC 2369 and RFC 8058: mail programs offer a one-click "unsubscribe" (a POST).
            headers = {
                "List-Unsubscribe": f"<{off_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
            subject = _("Ga verder met %(title)s") % {"title": title}
            body = _(
                "Sinds %(date)s ben je niet verder gegaan met de e-learning “%(title)s”. Je hebt "
                "de cursus nog niet afgerond; je gaat verder waar je was:\n\n%(url)s\n\n"
                "Je krijgt deze herinnering één keer. Wil je geen herinneringen meer? Zet ze uit "
                "met deze link (inloggen is niet nodig) of in je profiel:\n%(off)s"
            ) % {
                "date": formats.date_format(timezone.localtime(last), "j F Y"),
                "title": title,
                "url": course_url,
                "off": off_url,
            }
        else:
            raise ValueError(f"unknown learner mail {kind!r}")
        body = f"{greeting}\n\n{body}\n\n" + _("Met vriendelijke groet,\nSpreekkamer")
    EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [enrollment.user.email], headers=headers
    ).send()
    return True
