"""Accreditation records: who receives learning records, and the xAPI outbox that carries them."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import RegisterNumber
from courses.models import Course
from lms.encryption import EncryptedTextField

API_TOKEN_PREFIX_LENGTH = 8


def hash_api_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class AccreditationBodyQuerySet(models.QuerySet):
    def for_token(self, token: str):
        """The body owning this API token (by hash), or none."""
        if not token:
            return self.none()
        return self.filter(api_token_hash=hash_api_token(token))


class AccreditationBody(models.Model):
    """An accreditation body (e.g. ABC1 or KABIZ): receives records of the courses it accredits."""

    class ActorMode(models.TextChoices):
        ACCOUNT = "account", _("anoniem account (standaard)")
        EMAIL = "email", _("e-mailadres")
        BIG = "big", _("BIG-nummer")

    name = models.CharField(_("naam"), max_length=200)
    slug = models.SlugField(unique=True)
    courses = models.ManyToManyField(
        Course,
        blank=True,
        related_name="accreditation_bodies",
        verbose_name=_("geaccrediteerde cursussen"),
    )
    actor_mode = models.CharField(
        _("leerling identificeren met"),
        max_length=16,
        choices=ActorMode.choices,
        default=ActorMode.ACCOUNT,
        help_text=_(
            "Alleen wat de accreditatie vereist: e-mail of BIG-nummer alleen als het register "
            "erom vraagt."
        ),
    )
    register = models.CharField(
        _("register"),
        max_length=16,
        choices=RegisterNumber.Register.choices,
        blank=True,
        help_text=_(
            "Het register van deze instantie: zij krijgt alleen nummers uit dit register. Leeg: "
            "geen registratienummers behalve het BIG-nummer in de modus BIG-nummer."
        ),
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="accreditation_bodies",
        verbose_name=_("gebruikers"),
        help_text=_(
            "Medewerkers van de instantie: zij zien na inloggen alleen de afrondingen en "
            "presentie van de cursussen die deze instantie accrediteert."
        ),
    )
    api_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    api_token_prefix = models.CharField(
        _("begin van de API-sleutel"), max_length=16, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccreditationBodyQuerySet.as_manager()

    class Meta:
        verbose_name = _("accreditatie-instantie")
        verbose_name_plural = _("accreditatie-instanties")
        # Names and BIG numbers leave the system only through someone holding this permission
        # (attendance lists, PE-online XML, completion exports); authors see aggregates.
        permissions = [
            (
                "manage_accreditation",
                _("Accreditatiebeheerder: mag namen en BIG-nummers downloaden"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["api_token_hash"],
                condition=~Q(api_token_hash=""),
                name="records_body_unique_token",
            ),
        ]

    def __str__(self):
        return self.name

    def issue_api_token(self) -> str:
        """Replace the API token; return the new one (shown once, stored only as a hash)."""
        token = secrets.token_urlsafe(32)
        self.api_token_hash = hash_api_token(token)
        self.api_token_prefix = token[:API_TOKEN_PREFIX_LENGTH]
        self.save(update_fields=["api_token_hash", "api_token_prefix"])
        return token


class LearningRecordStoreQuerySet(models.QuerySet):
    def for_course(self, course_id: int):
        """Enabled LRSs receiving statements about this course: general ones and its bodies'."""
        return (
            self.filter(enabled=True)
            .filter(Q(body__isnull=True) | Q(body__courses=course_id))
            .select_related("body")
            .distinct()
        )


class LearningRecordStore(models.Model):
    """An LRS that receives xAPI statements.

    Rows with a `settings_key` mirror LRS_ENDPOINT / LRS_ENDPOINTS from the environment; they are
    synced (created, updated, disabled) by `sync_stores_from_settings()` and edited there, not here.
    """

    name = models.CharField(_("naam"), max_length=100)
    endpoint = models.URLField(
        _("endpoint"),
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("De xAPI-basis-URL; statements gaan naar <endpoint>/statements."),
    )
    username = models.CharField(_("gebruikersnaam"), max_length=200, blank=True)
    # Encrypted at rest with FIELD_ENCRYPTION_KEY; read and written in plain here.
    password = EncryptedTextField(_("wachtwoord"), blank=True)
    enabled = models.BooleanField(_("actief"), default=True)
    body = models.ForeignKey(
        AccreditationBody,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="record_stores",
        verbose_name=_("accreditatie-instantie"),
        help_text=_("Leeg: ontvangt statements van alle cursussen."),
    )
    settings_key = models.CharField(max_length=100, blank=True, editable=False)

    objects = LearningRecordStoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("learning record store")
        verbose_name_plural = _("learning record stores")
        constraints = [
            models.UniqueConstraint(
                fields=["settings_key"],
                condition=~Q(settings_key=""),
                name="records_lrs_unique_settings_key",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"

    @property
    def actor_mode(self) -> str:
        if self.body is None:
            return AccreditationBody.ActorMode.ACCOUNT
        return self.body.actor_mode


class XapiStatement(models.Model):
    """One xAPI statement, written in the transaction of the event it describes (the outbox).

    One row per statement however many LRSs receive it: the per-LRS delivery rows
    (`StatementOutbox`) are created from it at delivery time by `fan_out_statements()`, for the
    enabled LRSs that receive `course_id` in `actor_mode` (the actor is part of the statement and of
    its id, so each identification mode is a statement of its own).
    """

    statement_id = models.UUIDField(_("statement-id"), unique=True)
    verb = models.CharField(_("werkwoord"), max_length=40, blank=True)
    payload = models.JSONField()
    # Which LRSs receive it (decided at fan-out); no foreign key: it describes what happened.
    course_id = models.PositiveIntegerField()
    actor_mode = models.CharField(max_length=16)
    fanned_out = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    class Meta:
        verbose_name = _("xAPI-statement")
        verbose_name_plural = _("xAPI-statements (outbox)")
        indexes = [
            # The fan-out query: statements not yet given their delivery rows, oldest first.
            models.Index(
                fields=["id"], condition=Q(fanned_out=False), name="records_statement_fanout_idx"
            ),
        ]

    def __str__(self):
        return f"{self.verb} {self.statement_id}"


class StatementOutboxQuerySet(models.QuerySet):
    def due(self, lrs_id: int, now=None):
        """Pending rows of one LRS whose backoff has elapsed, oldest first (sweep and delivery)."""
        return self.filter(
            lrs_id=lrs_id,
            status=StatementOutbox.Status.PENDING,
            next_attempt_at__lte=now or timezone.now(),
        ).order_by("next_attempt_at", "id")


class StatementOutbox(models.Model):
    """The delivery of one xAPI statement to one LRS: status, attempts, backoff, the LRS's answer.

    Created at delivery time from the statement's `XapiStatement` row (fan-out), not in the
    event's transaction.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("wachtend")
        DELIVERED = "delivered", _("afgeleverd")
        FAILED = "failed", _("mislukt")

    xapi_statement = models.ForeignKey(
        XapiStatement, on_delete=models.CASCADE, related_name="deliveries"
    )
    statement_id = models.UUIDField(_("statement-id"))
    lrs = models.ForeignKey(
        LearningRecordStore, on_delete=models.CASCADE, related_name="outbox", verbose_name="LRS"
    )
    verb = models.CharField(_("werkwoord"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("pogingen"), default=0)
    next_attempt_at = models.DateTimeField(_("volgende poging"), default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(
        _("laatste HTTP-status"), null=True, blank=True
    )
    last_response = models.TextField(_("laatste antwoord van de LRS"), blank=True)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("afgeleverd op"), null=True, blank=True)

    objects = StatementOutboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("xAPI-statement")
        verbose_name_plural = _("xAPI-statements (outbox)")
        constraints = [
            models.UniqueConstraint(
                fields=["lrs", "statement_id"], name="records_outbox_unique_statement"
            ),
        ]
        indexes = [
            # The sweep/delivery query: pending rows of one LRS that are due, oldest first.
            models.Index(
                fields=["lrs", "next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="records_outbox_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.verb} {self.statement_id} → {self.lrs_id}"

    @property
    def payload(self) -> dict:
        return self.xapi_statement.payload


class XapiEvent(models.Model):
    """A learning event whose xAPI statements are still to be built (the domain-event outbox).

    Written in the event's transaction instead of the statements themselves: a kind and the ids
    of what happened, plus what the statements read that may change later (the learner's e-mail
    address, BIG number and profession, the actor modes of the receiving LRSs). The delivery task
    (and the sweep, for a lost task) turns it into `XapiStatement` rows and deletes it in one
    transaction: attempts and answers do not change once submitted, so building later gives the
    same statements.
    """

    class Kind(models.TextChoices):
        ATTEMPT = "attempt", "attempt submitted"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    # For the deletion of a learner's pending events (no foreign key: it describes what happened).
    enrollment_id = models.BigIntegerField(db_index=True)
    learner = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.kind} {self.object_id}"
