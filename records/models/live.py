"""Accreditation of masterclass editions (live sessions) by the quality registers.

Attendance of an edition is accredited like a course completion, per register, but always as a
PE-online course with editions: each row carries the edition's PEEditionID. The reportability
rules that apply to a presence (profession, register number) are those of
`records.registers`; the files are written by `records.attendance` (see docs/registers.md).
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import RegisterNumber
from accounts.registers import register_info
from courses.models import LiveSessionEdition, LiveSessionRegistration

from .accreditation import CourseAccreditation, _pe_id


class EditionAccreditation(models.Model):
    """One register's accreditation of one masterclass edition."""

    Register = RegisterNumber.Register
    # Read by records.attendance.pe_online_xml_chunks: an edition row, never an e-learning row.
    pe_course_type = CourseAccreditation.PeCourseType.EDITIONS
    pe_module_id = ""

    edition = models.ForeignKey(
        LiveSessionEdition, on_delete=models.PROTECT, related_name="accreditations"
    )
    register = models.CharField(_("register"), max_length=16, choices=Register.choices)
    register_name = models.CharField(_("naam van het register"), max_length=100, blank=True)
    pe_org_id = models.PositiveIntegerField(
        _("PE-online organisatie-ID (orgID)"), null=True, blank=True
    )
    pe_course_id = models.CharField(_("PE-online cursus-ID"), max_length=20, validators=[_pe_id])
    pe_edition_id = models.CharField(
        _("PE-online uitvoering-ID (PEEditionID)"), max_length=20, validators=[_pe_id]
    )
    points = models.DecimalField(
        _("accreditatiepunten"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("accreditatie van een uitvoering")
        verbose_name_plural = _("accreditaties van uitvoeringen")
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "register", "register_name"],
                name="records_editionaccreditation_unique_register",
            ),
            models.CheckConstraint(
                condition=~Q(pe_edition_id=""), name="records_editionaccreditation_has_edition"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="records_editionaccreditation_points_positive"
            ),
        ]

    def __str__(self):
        return f"{self.edition} – {self.register_label} ({self.pe_course_id}/{self.pe_edition_id})"

    @property
    def register_label(self) -> str:
        if self.register == self.Register.OTHER:
            return self.register_name
        return str(self.get_register_display())

    @property
    def effective_pe_org_id(self) -> int | None:
        if self.pe_org_id is not None:
            return self.pe_org_id
        return register_info(self.register).pe_org_id


class EditionAttendanceReport(models.Model):
    """The fact that a presence was reported under an edition's accreditation, and in which file."""

    registration = models.ForeignKey(
        LiveSessionRegistration, on_delete=models.PROTECT, related_name="attendance_reports"
    )
    accreditation = models.ForeignKey(
        EditionAccreditation, on_delete=models.PROTECT, related_name="attendance_reports"
    )
    reported_at = models.DateTimeField()
    file_name = models.CharField(_("bestandsnaam"), max_length=255)
    submission_row = models.OneToOneField(
        "PeOnlineSubmissionRow",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="edition_report",
        help_text=_("De door PE-online geaccepteerde regel, als het via PE-online ging."),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            # A presence earns points once per accreditation; also the "already reported?" lookup.
            models.UniqueConstraint(
                fields=["accreditation", "registration"],
                name="records_editionattendancereport_unique",
            ),
        ]

    def __str__(self):
        return f"{self.registration_id} → {self.accreditation_id}"
