"""PackageExport: a request to build a SCORM 1.2, SCORM 2004 or cmi5 package of a course version."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def export_upload_to(instance, filename: str) -> str:
    # An unguessable folder: where media is served directly, a package of a draft must not be found
    # by guessing its course slug. Downloads go through the authorised view anyway.
    return f"package_exports/{uuid.uuid4().hex}/{filename}"


class PackageExportQuerySet(models.QuerySet):
    def for_status_page(self):
        """Exports with their version and course, for the author's status page (one query)."""
        return self.select_related("version__course", "requested_by")


class PackageExport(models.Model):
    class Standard(models.TextChoices):
        SCORM12 = "scorm12", "SCORM 1.2"
        SCORM2004 = "scorm2004", _("SCORM 2004 (4e editie)")
        CMI5 = "cmi5", "cmi5"

    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("klaar")
        FAILED = "failed", _("mislukt")

    version = models.ForeignKey(
        "courses.CourseVersion", on_delete=models.CASCADE, related_name="package_exports"
    )
    standard = models.CharField(_("standaard"), max_length=16, choices=Standard.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    file = models.FileField(upload_to=export_upload_to, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PackageExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pakketexport")
        verbose_name_plural = _("pakketexports")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="scorm_export_packageexport_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(standard__in=["scorm12", "scorm2004", "cmi5"]),
                name="scorm_export_packageexport_known_standard",
            ),
        ]

    def __str__(self):
        return f"{self.get_standard_display()} – {self.version}"

    def get_absolute_url(self):
        return reverse("scorm_export:package_status", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def download_name(self) -> str:
        return f"{self.version.course.slug}-v{self.version.number}-{self.standard}.zip"
