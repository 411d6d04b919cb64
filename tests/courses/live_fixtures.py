"""Masterclass editions for the live-session tests."""

from datetime import timedelta

from django.utils import timezone

from courses.models import LiveSessionEdition, LiveSessionType


def make_edition(capacity=2, starts_in=timedelta(days=7), slug="masterclass-bias", **fields):
    session_type, _ = LiveSessionType.objects.get_or_create(
        slug=slug, defaults={"title": "Masterclass bias", "study_load_hours": 2}
    )
    starts_at = timezone.now() + starts_in
    fields.setdefault("location", "Utrecht")
    return LiveSessionEdition.objects.create(
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=capacity,
        registration_deadline=starts_at - timedelta(days=1)
        if starts_in > timedelta(days=1)
        else starts_at,
        **fields,
    )
