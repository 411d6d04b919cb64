"""The conversation tool 'Wat vind jij?': statement sets (content) and anonymous group sessions.

Nothing personal is stored: a group session keeps, per statement shown, only how many answers
each choice got (`AnswerTally`). Which participant answered what is never written anywhere; the
"has answered" marker lives only in the participant's own signed cookie (`conversations.views`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_PARTICIPANTS = 10
SESSION_LIFETIME = dt.timedelta(hours=24)
# No 0/O, 1/I/L: the code is read aloud and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


class Answer(models.TextChoices):
    STRONGLY_AGREE = "helemaal-eens", _("Helemaal eens")
    AGREE = "eens", _("Eens")
    NEUTRAL = "neutraal", _("Neutraal")
    DISAGREE = "oneens", _("Oneens")
    STRONGLY_DISAGREE = "helemaal-oneens", _("Helemaal oneens")
    RECOGNISE = "herken-ik", _("Herken ik")
    NOT_RECOGNISE = "herken-ik-niet", _("Herken ik niet")


AGREE_SCALE = [
    Answer.STRONGLY_AGREE,
    Answer.AGREE,
    Answer.NEUTRAL,
    Answer.DISAGREE,
    Answer.STRONGLY_DISAGREE,
]
RECOGNITION = [Answer.RECOGNISE, Answer.NOT_RECOGNISE]


class StatementSet(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(_("beschrijving"), blank=True)
    audience = models.CharField(_("doelgroep"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("stellingenset")
        verbose_name_plural = _("stellingensets")

    def __str__(self):
        return self.title


class Statement(models.Model):
    class Kind(models.TextChoices):
        EXPERIENCE = "experience", _("Ervaringsvraag")
        DISCUSSION = "discussion", _("Discussievraag")

    class Theme(models.TextChoices):
        BIAS = "bias", _("Bias")
        TREATMENT = "bejegening", _("Bejegening")
        REGISTRATION = "registratie", _("Registratie")
        PATIENT_JOURNEY = "patientreis", _("De reis van de patiënt")
        MINORITY_STRESS = "minderheidsstress", _("Minderheidsstress")
        COMING_OUT = "coming-out", _("Coming-out en coming-in")

    class JourneyStage(models.TextChoices):
        FIRST_CONTACT = "eerste-contact", _("Eerste contact (telefoon, balie, inschrijving)")
        WAITING_ROOM = "wachtkamer", _("Wachtkamer")
        CONSULTATION = "consult", _("Consult")
        EXAMINATION = "onderzoek", _("Lichamelijk onderzoek")
        REFERRAL = "verwijzing", _("Verwijzing")
        FOLLOW_UP = "vervolg", _("Vervolg en nazorg")

    statement_set = models.ForeignKey(
        StatementSet, on_delete=models.CASCADE, related_name="statements"
    )
    key = models.SlugField(_("sleutel"), max_length=80)
    position = models.PositiveIntegerField(_("positie"))
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    theme = models.CharField(_("thema"), max_length=30, choices=Theme.choices)
    journey_stage = models.CharField(
        _("fase in de reis van de patiënt"), max_length=30, choices=JourneyStage.choices, blank=True
    )
    text = models.TextField(_("stelling"))
    background = models.TextField(_("achtergrond voor de gespreksleider"), blank=True)
    # [{"title": ..., "url": ..., "publisher": ...}]: where the background's facts come from.
    sources = models.JSONField(_("bronnen"), default=list, blank=True)

    class Meta:
        ordering = ["statement_set", "position"]
        verbose_name = _("stelling")
        verbose_name_plural = _("stellingen")
        constraints = [
            models.UniqueConstraint(
                fields=["statement_set", "key"], name="conversations_statement_unique_key"
            ),
            models.UniqueConstraint(
                fields=["statement_set", "position"],
                name="conversations_statement_unique_position",
            ),
        ]

    def __str__(self):
        return self.text[:80]

    def answer_choices(self) -> list[Answer]:
        """The answers a participant can give: recognition for an experience question, the
        agree–disagree scale for a discussion question."""
        return RECOGNITION if self.kind == self.Kind.EXPERIENCE else AGREE_SCALE


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class GroupSessionQuerySet(models.QuerySet):
    def live(self):
        return self.filter(expires_at__gt=timezone.now())

    def for_state(self):
        """What the polling state endpoint reads: the session with its current statement."""
        return self.select_related("current__statement")


class GroupSession(models.Model):
    """One intervision meeting. Expires 24 hours after it starts and is then deleted."""

    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_sessions"
    )
    statement_set = models.ForeignKey(
        StatementSet, on_delete=models.PROTECT, related_name="group_sessions"
    )
    code = models.CharField(_("deelnamecode"), max_length=12, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    participant_count = models.PositiveSmallIntegerField(default=0)
    current = models.ForeignKey(
        "SessionStatement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Bumped on every change participants should see; a poll with the same version gets 204.
    version = models.PositiveIntegerField(default=0)
    notes = models.TextField(_("aantekeningen van de gespreksleider"), blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = GroupSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("groepssessie")
        verbose_name_plural = _("groepssessies")
        constraints = [
            models.CheckConstraint(
                condition=Q(participant_count__lte=MAX_PARTICIPANTS),
                name="conversations_groupsession_participants_max",
            ),
        ]
        indexes = [
            # delete_expired_sessions(): WHERE expires_at <= now
            models.Index(fields=["expires_at"], name="conv_session_expires_idx"),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            self.expires_at = self.created_at + SESSION_LIFETIME
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("conversations:facilitate", args=[self.code])

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.ended_at is None and not self.is_expired


class SessionStatement(models.Model):
    """A statement as it was put to the group in one session, with its answer counts."""

    class Outcome(models.TextChoices):
        DISCUSSED = "discussed", _("Besproken")
        SKIPPED = "skipped", _("Overgeslagen")

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="shown")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.DISCUSSED)
    revealed = models.BooleanField(default=False)
    answer_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "statement"], name="conversations_shown_unique_statement"
            ),
            models.UniqueConstraint(
                fields=["session", "position"], name="conversations_shown_unique_position"
            ),
        ]

    def __str__(self):
        return f"{self.session.code} #{self.position}"


class AnswerTally(models.Model):
    """How many participants chose `answer` for one statement in one session. Counts only."""

    shown = models.ForeignKey(SessionStatement, on_delete=models.CASCADE, related_name="tallies")
    answer = models.CharField(max_length=20, choices=Answer.choices)
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["shown", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shown", "answer"], name="conversations_tally_unique_answer"
            ),
            models.CheckConstraint(
                condition=Q(count__lte=MAX_PARTICIPANTS), name="conversations_tally_count_max"
            ),
        ]

    def __str__(self):
        return f"{self.answer}: {self.count}"
