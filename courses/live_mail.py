"""The e-mails about a place in a live session (sent by `courses.tasks`)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .ical import edition_ics
from .models import LiveSessionRegistration


def send_registration_mail(registration_id: int, kind: str) -> bool:
    """Send one mail; returns False when there is nothing (left) to tell."""
    registration = (
        LiveSessionRegistration.objects.select_related("edition__session_type", "user")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or registration.status == LiveSessionRegistration.Status.CANCELLED:
        return False
    edition = registration.edition
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(edition.starts_at), "l j F Y, H:i")
        place = edition.location or edition.online_url
        title = edition.session_type.title
        if registration.status == LiveSessionRegistration.Status.WAITLISTED:
            subject = _("Wachtlijst: %(title)s") % {"title": title}
            body = _(
                "Je staat op de wachtlijst voor %(title)s op %(when)s. Komt er een plaats vrij, "
                "dan krijg je die automatisch en hoor je het per e-mail."
            ) % {"title": title, "when": when}
        elif kind == "reminder":
            subject = _("Herinnering: %(title)s") % {"title": title}
            body = _("Tot binnenkort bij %(title)s op %(when)s, %(place)s.") % {
                "title": title,
                "when": when,
                "place": place,
            }
        elif kind == "promoted":
            subject = _("Er is een plaats vrij: %(title)s") % {"title": title}
            body = _(
                "Goed nieuws: je hebt een plaats bij %(title)s op %(when)s, %(place)s. "
                "Kun je toch niet, meld je dan af zodat een ander kan komen."
            ) % {"title": title, "when": when, "place": place}
        else:
            subject = _("Ingeschreven: %(title)s") % {"title": title}
            body = _(
                "Je bent ingeschreven voor %(title)s op %(when)s, %(place)s. "
                "Het agenda-bestand zit in de bijlage."
            ) % {"title": title, "when": when, "place": place}
        body += "\n\n" + settings.SITE_URL + edition.session_type.get_absolute_url()
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [registration.user.email])
    if registration.status == LiveSessionRegistration.Status.REGISTERED:
        message.attach(f"{edition.session_type.slug}.ics", edition_ics(edition), "text/calendar")
    message.send()
    return True
