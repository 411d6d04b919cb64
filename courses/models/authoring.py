"""The authoring side: an audit log of every change, and reviewers' comments and approvals.

Reviewers (CourseRole.Role.REVIEWER, e.g. the experts by experience who co-create the seed
courses) read drafts, comment per lesson and approve a draft. When a course has reviewers,
publishing needs an approval that is newer than the draft's last change (see
`courses.publishing.publish_blockers`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .content import Course, CourseVersion


class ChangeRecordQuerySet(models.QuerySet):
    def for_course_log(self, course):
        """The course's audit log, newest first, with the user and version joined (one query)."""
        return (
            self.filter(course=course)
            .select_related("user", "version")
            .order_by("-created_at", "-pk")
        )


class ChangeRecord(models.Model):
    """Who changed what in a course, and when. Written by the authoring services, never edited."""

    class Action(models.TextChoices):
        CREATE = "create", _("toegevoegd")
        UPDATE = "update", _("gewijzigd")
        DELETE = "delete", _("verwijderd")
        MOVE = "move", _("verplaatst")
        DRAFT = "draft", _("concept gemaakt")
        PUBLISH = "publish", _("gepubliceerd")
        ROLE = "role", _("rol gewijzigd")
        COMMENT = "comment", _("opmerking geplaatst")
        APPROVE = "approve", _("goedgekeurd")

    # Empty for changes outside one course: personas, which every course shares.
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.CASCADE, related_name="change_records"
    )
    version = models.ForeignKey(
        CourseVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_records",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_key = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    # {"field": [old, new]} for updates; counts or keys for other actions. Values are shortened.
    changes = models.JSONField(default=dict, blank=True)

    objects = ChangeRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("wijziging")
        verbose_name_plural = _("wijzigingen")
        indexes = [
            # The audit log page lists a course's changes newest first.
            models.Index(fields=["course", "-created_at"], name="courses_change_course_idx"),
            # Publishing compares a draft's last change with its approvals.
            models.Index(fields=["version", "-created_at"], name="courses_change_version_idx"),
        ]

    def __str__(self):
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.user} {self.action} {self.object_type} {self.object_key}"


class ReviewComment(models.Model):
    """A reviewer's (or author's) comment on a draft, on one lesson or on the whole course."""

    version = models.ForeignKey(
        CourseVersion, on_delete=models.CASCADE, related_name="review_comments"
    )
    lesson_key = models.SlugField(_("les"), max_length=64, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("opmerking"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("reviewopmerking")
        verbose_name_plural = _("reviewopmerkingen")
        indexes = [
            # The course overview and lesson editor list a version's comments.
            models.Index(fields=["version", "lesson_key"], name="courses_reviewcomment_idx"),
        ]

    def __str__(self):
        return f"{self.author}: {self.text[:40]}"


class ReviewApproval(models.Model):
    """A reviewer's approval of a draft version, as it was at `approved_at`."""

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="approvals")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    approved_at = models.DateTimeField()
    note = models.CharField(pgettext_lazy("approval", "toelichting"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("goedkeuring")
        verbose_name_plural = _("goedkeuringen")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reviewer"], name="courses_reviewapproval_unique"
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} approved {self.version}"
