"""Accreditation of a course by a Dutch quality register, and what was reported to it.

Accredited points reach a professional through the registers (BIG/GAIA, V&VN, KABIZ,
POH-GGZ), which read attendance from PE-online by register number. A course may be
accredited by several registers, each with its own points and PE-online ids; every
completion is then reportable, or blocked for a reason, per accreditation.
See docs/registers.md.
"""

from functools import partial

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import RegisterNumber
from accounts.registers import register_info, register_name_key
from courses.models import Course, CourseCompletion, LiveSessionRegistration

# PE-online's attendance XML types PECourseID, PEEditionID and PEModuleID as xs:integer.
_pe_id = RegexValidator(r"^\d+$", _("Een PE-online-ID bestaat alleen uit cijfers."))


class BlockReason(models.TextChoices):
    """Why a completion cannot be reported to a register (shown to staff, counted per register)."""

    REVOKED = "revoked", _("Certificaat ingetrokken")
    ACCOUNT_DELETED = "account_deleted", _("Account verwijderd door de deelnemer")
    PROFESSION_NOT_ELIGIBLE = "profession_not_eligible", _("Beroep hoort niet bij dit register")
    NO_NUMBER = "no_number", _("Geen registratienummer voor dit register")
    INVALID_NUMBER = "invalid_number", _("Ongeldig registratienummer")
    UNCONFIRMED_NUMBER = (
        "unconfirmed_number",
        _("Registratienummer nog niet bevestigd door de deelnemer"),
    )
    OUTSIDE_VALIDITY = "outside_validity", _("Afgerond buiten de accreditatieperiode")
    SCORE_TOO_LOW = "score_too_low", _("Score lager dan de minimumscore")
    NOT_FIRST_ATTEMPT = "not_first_attempt", _("Eindtoets niet gehaald bij de eerste poging")
    REJECTED_BY_PE_ONLINE = (
        "rejected_by_pe_online",
        _("Geweigerd door PE-online; corrigeer het nummer of bied opnieuw aan"),
    )


class CourseAccreditationQuerySet(models.QuerySet):
    def for_course(self, course):
        """The course's accreditations in a stable order (register, then edition)."""
        return self.filter(course=course).order_by(
            "register", "register_name", "pe_edition_id", "pk"
        )


class CourseAccreditation(models.Model):
    """One register's accreditation of a course: its PE-online ids, points and rules."""

    Register = RegisterNumber.Register

    class PeCourseType(models.TextChoices):
        # PE-online rejects an edition on an e-learning row and an endDate on a row of a course
        # with editions (error list of the webservice documentation), so the type decides which
        # of the two each <Attendance> carries.
        ELEARNING = "elearning", _("E-learning (PE-online type 2): einddatum per deelnemer")
        EDITIONS = "editions", _("Cursus met uitvoeringen (PE-online type 1/4): uitvoering-ID")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="accreditations")
    register = models.CharField(_("register"), max_length=16, choices=Register.choices)
    register_name = models.CharField(
        _("naam van het register"),
        max_length=100,
        blank=True,
        help_text=_("Alleen bij 'ander register'."),
    )
    pe_org_id = models.PositiveIntegerField(
        _("PE-online organisatie-ID (orgID)"),
        null=True,
        blank=True,
        help_text=_(
            "Leeg: de orgID van het register in PE-online's organisatielijst (KNMG/GAIA 19, "
            "V&V 52, NVVPO 26, LV POH-GGZ 68, KABIZ 22). Eén bestand per organisatie."
        ),
    )
    pe_course_type = models.CharField(
        _("soort cursus in PE-online"),
        max_length=16,
        choices=PeCourseType.choices,
        default=PeCourseType.ELEARNING,
    )
    pe_course_id = models.CharField(_("PE-online cursus-ID"), max_length=20, validators=[_pe_id])
    pe_edition_id = models.CharField(
        _("PE-online uitvoering-ID"),
        max_length=20,
        blank=True,
        validators=[_pe_id],
        help_text=_("Alleen bij een cursus met uitvoeringen; leeg bij e-learning."),
    )
    pe_module_id = models.CharField(
        _("PE-online module-ID"),
        max_length=20,
        blank=True,
        validators=[_pe_id],
        help_text=_("Alleen als de e-learning in PE-online uit meerdere modules bestaat."),
    )
    points = models.DecimalField(
        _("accreditatiepunten"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    study_load_hours = models.DecimalField(
        _("studiebelasting (uren)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    valid_from = models.DateField(_("geldig vanaf"))
    valid_until = models.DateField(_("geldig tot en met"), null=True, blank=True)
    min_score = models.PositiveSmallIntegerField(
        _("minimumscore (%)"), default=70, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    first_attempt_only = models.BooleanField(_("alleen de eerste poging telt"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # `verdict_rules_key()` of the rules the stored verdicts (CompletionVerdict) were last
    # rebuilt under: the store is current only while it equals the rules' key now.
    verdicts_built_for = models.CharField(max_length=255, blank=True, default="", editable=False)

    objects = CourseAccreditationQuerySet.as_manager()

    class Meta:
        verbose_name = _("accreditatie")
        verbose_name_plural = _("accreditaties")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "register", "register_name", "pe_edition_id"],
                name="records_accreditation_unique_edition",
            ),
            models.CheckConstraint(
                condition=Q(min_score__gte=0) & Q(min_score__lte=100),
                name="records_accreditation_min_score_range",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(study_load_hours__gte=0),
                name="records_accreditation_points_positive",
            ),
            models.CheckConstraint(
                condition=(Q(pe_course_type="elearning") & Q(pe_edition_id=""))
                | (Q(pe_course_type="editions") & ~Q(pe_edition_id="")),
                name="records_accreditation_edition_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="records_accreditation_valid_period",
            ),
        ]

    def __str__(self):
        edition = f" / {self.pe_edition_id}" if self.pe_edition_id else ""
        return f"{self.course.slug} – {self.register_label} ({self.pe_course_id}{edition})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not self.verdicts_current:
            # A new accreditation, or new rules: every completion of the course is decided
            # again, too many for the edit's request (seconds at 1M); until the task is done the
            # staff overview counts live (records.registers.accreditation_overview).
            from records.registers import queue_verdict_rebuild

            transaction.on_commit(partial(queue_verdict_rebuild, self.pk))

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.register == self.Register.OTHER and not self.register_name.strip():
            raise ValidationError({"register_name": _("Geef de naam van het register op.")})
        if self.register != self.Register.OTHER:
            self.register_name = ""
        if self.pe_org_id is None and self.register:
            self.pe_org_id = register_info(self.register).pe_org_id
        errors = {}
        if self.pe_course_type == self.PeCourseType.EDITIONS:
            if not self.pe_edition_id:
                errors["pe_edition_id"] = _(
                    "Een cursus met uitvoeringen heeft een uitvoering-ID nodig."
                )
            if self.pe_module_id:
                errors["pe_module_id"] = _("Modules horen alleen bij e-learning.")
        elif self.pe_edition_id:
            errors["pe_edition_id"] = _("PE-online weigert een uitvoering bij e-learning.")
        if errors:
            raise ValidationError(errors)

    @property
    def register_label(self) -> str:
        if self.register == self.Register.OTHER:
            return self.register_name
        return str(self.get_register_display())

    @property
    def effective_pe_org_id(self) -> int | None:
        """The orgID sent to PE-online: as set, else the register's from accounts.registers."""
        if self.pe_org_id is not None:
            return self.pe_org_id
        return register_info(self.register).pe_org_id

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def verdict_rules_key(self) -> str:
        """What a completion's verdict under this accreditation depends on, of the
        accreditation itself (records.registers.reportability_expression)."""
        return "|".join(
            str(value)
            for value in (
                self.course_id,
                self.register,
                register_name_key(self.register_name),
                self.valid_from,
                self.valid_until,
                self.min_score,
                self.first_attempt_only,
            )
        )

    @property
    def verdicts_current(self) -> bool:
        """True when the stored verdicts (CompletionVerdict) follow the rules as they are."""
        return self.verdicts_built_for == self.verdict_rules_key()


class CompletionVerdict(models.Model):
    """A completion's state under one accreditation of its course, as the staff overview counts
    it: REPORTED once reported, REPORTABLE, or the BlockReason value of the first rule that
    blocks it (`records.registers._state()`).

    Written by records.registers in the transaction of every change it depends on (the
    completion, the learner's account and numbers, PE-online's verdicts, reports) and rebuilt
    for all the course's completions when the accreditation's rules change
    (`CourseAccreditation.verdicts_built_for`), so the overview reads counts instead of
    deciding a million verdicts.
    """

    REPORTABLE = ""
    REPORTED = "reported"

    # Both served by the named indexes below.
    accreditation = models.ForeignKey(
        CourseAccreditation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    completion = models.ForeignKey(
        CourseCompletion, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    state = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            # One verdict per completion and accreditation; the upserts' ON CONFLICT target.
            models.UniqueConstraint(
                fields=["accreditation", "completion"], name="records_verdict_unique"
            ),
        ]
        indexes = [
            # The overview's count per accreditation and state: an index-only scan.
            models.Index(fields=["accreditation", "state"], name="records_verdict_state"),
            # A completion's verdicts deleted with it (the foreign key's cascade).
            models.Index(fields=["completion"], name="records_verdict_completion"),
        ]

    def __str__(self):
        return f"{self.completion_id} → {self.accreditation_id}: {self.state or 'reportable'}"


class AttendanceReport(models.Model):
    """The fact that a completion was reported under an accreditation, and in which file."""

    completion = models.ForeignKey(
        CourseCompletion, on_delete=models.PROTECT, related_name="attendance_reports"
    )
    accreditation = models.ForeignKey(
        CourseAccreditation, on_delete=models.PROTECT, related_name="attendance_reports"
    )
    reported_at = models.DateTimeField()
    file_name = models.CharField(_("bestandsnaam"), max_length=255)
    submission_row = models.OneToOneField(
        "PeOnlineSubmissionRow",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report",
        help_text=_("De door PE-online geaccepteerde regel, als het via PE-online ging."),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("gerapporteerde presentie")
        verbose_name_plural = _("gerapporteerde presenties")
        constraints = [
            # A completion earns points once per accreditation; the index also serves the
            # "already reported?" lookup of the export and the staff overview.
            models.UniqueConstraint(
                fields=["accreditation", "completion"], name="records_attendancereport_unique"
            ),
        ]

    def __str__(self):
        return f"{self.completion_id} → {self.accreditation_id} ({self.file_name})"


class PeOnlineSubmission(models.Model):
    """One call to PE-online's ProcessXML: up to 100 attendances of one accreditation, either a
    course's (completions) or a masterclass edition's (presences): exactly one of the two is set.

    Written before anything is sent (the outbox row); sent by a Celery task when the web service
    is configured, or downloaded by staff who upload PE-online's reply. Only rows PE-online
    accepted become AttendanceReports. See docs/registers.md, "Reconciliation".
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Klaar om te versturen")
        ANSWERED = "answered", _("Antwoord van PE-online verwerkt")
        FAILED = "failed", _("Mislukt")

    accreditation = models.ForeignKey(
        CourseAccreditation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pe_online_submissions",
    )
    edition_accreditation = models.ForeignKey(
        "EditionAccreditation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pe_online_submissions",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(_("pogingen"), default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(_("antwoord van PE-online"), blank=True)
    error = models.TextField(_("foutmelding"), blank=True)
    accepted_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("PE-online-aanlevering")
        verbose_name_plural = _("PE-online-aanleveringen")
        indexes = [
            # The staff overview lists an accreditation's submissions, newest first.
            models.Index(
                fields=["accreditation", "-created_at"], name="records_pesub_accr_created"
            ),
            # The same for an edition's presence page.
            models.Index(
                fields=["edition_accreditation", "-created_at"], name="records_pesub_edacc_created"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(accreditation__isnull=True) ^ Q(edition_accreditation__isnull=True),
                name="records_pesub_one_accreditation",
            ),
        ]

    def __str__(self):
        return f"PE-online #{self.pk} ({self.get_status_display()})"

    @property
    def target(self):
        """The accreditation reported: a CourseAccreditation or an EditionAccreditation."""
        return self.accreditation if self.accreditation_id else self.edition_accreditation

    @property
    def target_id(self) -> int:
        return self.accreditation_id or self.edition_accreditation_id  # type: ignore[return-value]

    @property
    def file_name(self) -> str:
        accreditation = self.accreditation
        if accreditation is not None:
            return f"pe-online-{accreditation.course.slug}-{accreditation.register}-{self.pk}.xml"
        edition_accreditation = self.edition_accreditation
        assert edition_accreditation is not None  # records_pesub_one_accreditation
        slug = edition_accreditation.edition.session_type.slug
        return (
            f"pe-online-{slug}-{edition_accreditation.register}-"
            f"{edition_accreditation.pe_edition_id}-{self.pk}.xml"
        )


class PeOnlineSubmissionRow(models.Model):
    """One <Attendance> in a submission, what was sent, and PE-online's verdict on it.

    The row reports a course completion or a masterclass presence (registration), as its
    submission's accreditation. Rows are never rewritten by a later submission: together they
    are the row's history.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Wacht op antwoord")
        ACCEPTED = "accepted", _("Geaccepteerd door PE-online")
        REJECTED = "rejected", _("Geweigerd door PE-online")
        NOT_PROCESSED = "not_processed", _("Niet verwerkt (aanlevering mislukt)")

    submission = models.ForeignKey(
        PeOnlineSubmission, on_delete=models.CASCADE, related_name="rows"
    )
    completion = models.ForeignKey(
        CourseCompletion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pe_online_rows",
    )
    registration = models.ForeignKey(
        LiveSessionRegistration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pe_online_rows",
    )
    line = models.PositiveSmallIntegerField(_("regel"))  # 1-based position in the call
    register_number = models.CharField(_("registratienummer"), max_length=32)
    end_date = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    error_text = models.TextField(_("reden van PE-online"), blank=True)
    released_at = models.DateTimeField(
        _("opnieuw aangeboden"),
        null=True,
        blank=True,
        help_text=_("Een geweigerde regel die staf zonder wijziging opnieuw laat versturen."),
    )

    class Meta:
        verbose_name = _("PE-online-regel")
        verbose_name_plural = _("PE-online-regels")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "line"], name="records_pesubrow_unique_line"
            ),
            models.UniqueConstraint(
                fields=["submission", "completion"], name="records_pesubrow_unique_completion"
            ),
            models.UniqueConstraint(
                fields=["submission", "registration"], name="records_pesubrow_unique_registration"
            ),
            models.CheckConstraint(
                condition=Q(completion__isnull=True) ^ Q(registration__isnull=True),
                name="records_pesubrow_one_subject",
            ),
        ]
        indexes = [
            # "Latest verdict for this completion under this accreditation" (export, overview).
            models.Index(fields=["completion", "-id"], name="records_pesubrow_completion"),
            # The same for a masterclass presence.
            models.Index(fields=["registration", "-id"], name="records_pesubrow_registration"),
        ]

    def __str__(self):
        return f"{self.submission_id}/{self.line}: {self.get_status_display()}"

    @property
    def explanation(self) -> str:
        """PE-online's reason in words staff can act on, in the active language ("" if the
        message is not one PE-online documents)."""
        from records.pe_online import explain_errors

        return explain_errors(self.error_text)

    @property
    def subject_id(self) -> int:
        """The completion's or the registration's id (what the row reports)."""
        return self.completion_id or self.registration_id  # type: ignore[return-value]
