"""The e-mails a learner gets about their own courses: enrolled, completed (sent by
`courses.tasks` after the transaction that caused them commits)."""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .models import Enrollment

ENROLLED, COMPLETED = "enrolled", "completed"

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
    (the enrolment is gone, or not completed for a completion mail)."""
    enrollment = (
        Enrollment.objects.select_related("user", "course", "version", "completion")
        .filter(pk=enrollment_id)
        .first()
    )
    if enrollment is None:
        return False
    title = enrollment.version.title
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
        else:
            raise ValueError(f"unknown learner mail {kind!r}")
        body = f"{greeting}\n\n{body}\n\n" + _("Met vriendelijke groet,\nSpreekkamer")
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [enrollment.user.email]).send()
    return True
