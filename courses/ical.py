"""Calendar files (.ics, RFC 5545) for a live-session edition."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from .models import LiveSessionEdition


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded with CRLF + space (RFC 5545 §3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode("utf-8")) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def edition_ics(edition: LiveSessionEdition) -> str:
    """One VEVENT for the edition; the UID is stable, so a re-download updates the event."""
    session_type = edition.session_type
    host = settings.SITE_URL.split("://", 1)[-1]
    location = edition.location or edition.online_url
    description = strip_tags(session_type.description).strip()
    if edition.online_url:
        description = f"{description}\n\n{edition.online_url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Spreekkamer//Masterclasses//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:edition-{edition.pk}@{host}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(edition.starts_at)}",
        f"DTEND:{_utc(edition.ends_at)}",
        f"SUMMARY:{_escape(session_type.title)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{settings.SITE_URL}{session_type.get_absolute_url()}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
