"""Live sessions in a leerlijn: masterclasses with dated editions, registrations and attendance.

The source documents describe two masterclasses (bias; bejegening) as the live deepening of the
basics e-learning. A `LiveSessionType` is such a masterclass; it can be a step of a track beside
courses (`TrackLiveSession`, with advisory prerequisites like `TrackCourse`). Each type has
editions with a date, a place or an online link, trainers, a capacity and a registration
deadline. Registrations beyond the capacity wait in line; `courses.services` keeps the count
within the capacity under concurrency by locking the edition row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import SanitisedHTMLField
from .content import Course, LearningTrack
from .learning import new_verification_code

# The room's QR code works from this long before the start until the end.
CHECK_IN_EARLY = dt.timedelta(minutes=30)


class LiveSessionType(models.Model):
    """A kind of live session, e.g. 'Masterclass bias'. Editions give it dates."""

    slug = models.SlugField(unique=True)
    title = models.CharField(_("titel"), max_length=200)
    description = SanitisedHTMLField(_("beschrijving"), blank=True)
    study_load_hours = models.DecimalField(
        _("studiebelasting (uren)"), max_digits=4, decimal_places=2, default=0
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("masterclass")
        verbose_name_plural = _("masterclasses")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:live_session", args=[self.slug])


class TrackLiveSession(models.Model):
    """A live session type as a step of a track, ordered among the track's courses."""

    track = models.ForeignKey(LearningTrack, on_delete=models.CASCADE, related_name="live_entries")
    session_type = models.ForeignKey(
        LiveSessionType, on_delete=models.CASCADE, related_name="track_entries"
    )
    position = models.PositiveIntegerField(default=0)
    prerequisites = models.ManyToManyField(Course, blank=True, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "session_type"], name="courses_tracklivesession_unique_type"
            ),
        ]

    def __str__(self):
        return f"{self.track}: {self.session_type}"


class LiveSessionEditionQuerySet(models.QuerySet):
    def upcoming(self):
        return self.filter(ends_at__gt=timezone.now(), cancelled_at__isnull=True)

    def with_counts(self):
        """Annotates `registered_count` and `waitlist_count` (the edition page and dashboard)."""
        return self.annotate(
            registered_count=models.Count(
                "registrations", filter=Q(registrations__status="registered")
            ),
            waitlist_count=models.Count(
                "registrations", filter=Q(registrations__status="waitlisted")
            ),
        )


class LiveSessionEdition(models.Model):
    session_type = models.ForeignKey(
        LiveSessionType, on_delete=models.PROTECT, related_name="editions"
    )
    starts_at = models.DateTimeField(_("begint om"))
    ends_at = models.DateTimeField(_("eindigt om"))
    location = models.CharField(_("plaats"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="trained_editions"
    )
    capacity = models.PositiveIntegerField(_("aantal plaatsen"))
    registration_deadline = models.DateTimeField(_("inschrijven kan tot"))
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Demo editions come only from create_demo_accounts; the source documents give no dates.
    is_demo = models.BooleanField(_("demo"), default=False)

    objects = LiveSessionEditionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("uitvoering")
        verbose_name_plural = _("uitvoeringen")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="courses_edition_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(registration_deadline__lte=models.F("starts_at")),
                name="courses_edition_deadline_before_start",
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="courses_edition_capacity"),
            models.CheckConstraint(
                condition=~Q(location="") | ~Q(online_url=""),
                name="courses_edition_place_or_link",
            ),
        ]
        indexes = [
            # Editions of a type from now on: the masterclass page and the reminder sweep.
            models.Index(fields=["session_type", "starts_at"], name="courses_edition_type_start"),
        ]

    def __str__(self):
        return f"{self.session_type} – {timezone.localtime(self.starts_at):%d-%m-%Y %H:%M}"

    def get_absolute_url(self):
        url = reverse("courses:live_session", args=[self.session_type.slug])
        return f"{url}#uitvoering-{self.pk}"

    @property
    def registration_open(self) -> bool:
        return self.cancelled_at is None and timezone.now() <= self.registration_deadline

    def is_running(self, moment=None) -> bool:
        """True from 30 minutes before the start until the end: when the room's QR code works."""
        moment = moment or timezone.now()
        return self.starts_at - CHECK_IN_EARLY <= moment <= self.ends_at


class LiveSessionRegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=["registered", "waitlisted"])


class LiveSessionRegistration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Ingeschreven")
        WAITLISTED = "waitlisted", _("Op de wachtlijst")
        CANCELLED = "cancelled", _("Afgemeld")

    edition = models.ForeignKey(
        LiveSessionEdition, on_delete=models.PROTECT, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_registrations"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    # The waiting list is served in order of this moment (re-set on every (re-)registration).
    queued_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # The public verification code of the attendance certificate (valid once attended_at is set).
    certificate_code = models.CharField(max_length=32, unique=True, default=new_verification_code)

    objects = LiveSessionRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["queued_at", "pk"]
        verbose_name = _("inschrijving")
        verbose_name_plural = _("inschrijvingen")
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "user"], name="courses_liveregistration_unique_user"
            ),
            models.CheckConstraint(
                condition=Q(attended_at__isnull=True) | Q(status="registered"),
                name="courses_liveregistration_attended_registered",
            ),
        ]
        indexes = [
            # The waiting list of an edition in order (promotion on cancel).
            models.Index(fields=["edition", "status", "queued_at"], name="courses_livereg_queue"),
        ]

    def __str__(self):
        return f"{self.user} – {self.edition} ({self.status})"

    @property
    def verification_url(self) -> str:
        """The public page that confirms the attendance certificate."""
        return settings.SITE_URL + reverse(
            "courses:verify_certificate", args=[self.certificate_code]
        )
