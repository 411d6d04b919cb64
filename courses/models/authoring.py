"""The authoring side: an audit log of every change, and reviewers' comments and approvals.

Reviewers (CourseRole.Role.REVIEWER, e.g. the experts by experience who co-create the seed
courses) read drafts, comment per lesson and approve a draft. When a course has reviewers,
publishing needs an approval that is newer than the draft's last change (see
`courses.publishing.publish_blockers`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .content import Block, Course, CourseVersion

# What the change log calls each `ChangeRecord.object_type` (content, the rest); a block kind is
# called by its class's `change_label` (`object_label()`).
OBJECT_LABELS = {
    "course": _("de cursus"),
    "version": _("de cursusgegevens"),
    "module": _("module"),
    "lesson": _("les"),
    "quiz": _("quiz"),
    "question": _("vraag"),
    "option": _("antwoordoptie"),
    "scenario_step": _("scenariostap"),
    "persona": _("persona"),
    "comment": _("opmerking"),
    "role": _("rol"),
}


def object_label(object_type: str):
    """What the change log calls an object type: its label, a block kind's `change_label`, or
    the type itself."""
    if object_type in OBJECT_LABELS:
        return OBJECT_LABELS[object_type]
    block = Block.kinds().get(object_type)
    return block.change_label if block is not None else object_type


ROLE_LABELS = {"author": _("auteur"), "reviewer": _("reviewer")}
FIELD_LABELS = {
    "title": _("titel"),
    "summary": _("samenvatting"),
    "html": _("tekst"),
    "prompt": _("vraag"),
    "explanation": _("uitleg"),
    "required": _("verplicht"),
    "module": _("module"),
    "position": _("plaats"),
    "children": _("onderdelen"),
    "caption": _("bijschrift"),
    "alt": _("alternatieve tekst"),
    "transcript": _("transcript"),
    "pass_mark": _("slaaggrens"),
}


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
        REVIEW = "review", _("review aangevraagd")

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

    def sentence(self) -> str:
        """The change as one sentence for the change log, in the active language (Dutch by
        default): "Versie 2 gepubliceerd door Anna Auteur." rather than the raw fields."""
        who = str(self.user) if self.user_id else gettext("onbekend")
        what = object_label(self.object_type)
        name = self.summary
        values = {"who": who, "what": what, "name": name, "key": self.object_key}
        action = self.action
        if action == self.Action.PUBLISH:
            text = gettext("Versie %(n)s gepubliceerd door %(who)s.") % {
                "n": self.object_key,
                **values,
            }
            # "to_move" since learners move after publication; older records say "moved".
            moved = self.changes.get("to_move", self.changes.get("moved_enrollments"))
            if moved:
                text += " " + ngettext(
                    "%(n)s deelnemer ging mee naar deze versie.",
                    "%(n)s deelnemers gingen mee naar deze versie.",
                    moved,
                ) % {"n": moved}
            return text
        if action == self.Action.DRAFT:
            source = self.changes.get("from_version")
            if source:
                return gettext(
                    "Concept van versie %(n)s gemaakt door %(who)s, op basis van versie %(old)s."
                ) % {
                    "n": self.version.number if self.version else self.object_key,
                    "old": source,
                    **values,
                }
            return gettext("%(who)s heeft een concept gemaakt: %(name)s.") % values
        if action == self.Action.ROLE:
            role = ROLE_LABELS.get(self.object_key, self.object_key)
            target = self.changes.get("user") or name
            if self.changes.get("removed"):
                return gettext("%(who)s heeft de rol %(role)s van %(target)s verwijderd.") % {
                    "role": role,
                    "target": target,
                    **values,
                }
            return gettext("%(who)s heeft %(target)s de rol %(role)s gegeven.") % {
                "role": role,
                "target": target,
                **values,
            }
        if action == self.Action.APPROVE:
            return gettext("%(who)s heeft het concept goedgekeurd: %(name)s") % values
        if action == self.Action.REVIEW:
            return gettext("%(who)s heeft om een review gevraagd.") % values
        if action == self.Action.COMMENT:
            return gettext("%(who)s schreef een opmerking: %(name)s") % values
        templates = {
            self.Action.CREATE: gettext("%(who)s heeft %(what)s ‘%(name)s’ toegevoegd."),
            self.Action.UPDATE: gettext("%(who)s heeft %(what)s ‘%(name)s’ gewijzigd."),
            self.Action.DELETE: gettext("%(who)s heeft %(what)s ‘%(name)s’ verwijderd."),
            self.Action.MOVE: gettext("%(who)s heeft %(what)s ‘%(name)s’ verplaatst."),
        }
        template = templates.get(self.Action(action), gettext("%(who)s: %(what)s ‘%(name)s’."))
        return template % values

    def field_changes(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) of an update, for the change log's details; empty otherwise."""
        if self.action != self.Action.UPDATE:
            return []
        rows = []
        for field, value in self.changes.items():
            if not isinstance(value, list) or len(value) != 2:
                continue
            old, new = ("—" if v in (None, "") else str(v) for v in value)
            rows.append((str(FIELD_LABELS.get(field, field)), old, new))
        return rows


class ReviewComment(models.Model):
    """A reviewer's (or author's) comment on a draft: on the whole course, one lesson, one block
    of a lesson, one quiz or one question of a quiz (by key, so it survives edits)."""

    version = models.ForeignKey(
        CourseVersion, on_delete=models.CASCADE, related_name="review_comments"
    )
    lesson_key = models.SlugField(_("les"), max_length=64, blank=True)
    block_key = models.SlugField(_("blok"), max_length=64, blank=True)
    quiz_key = models.SlugField(_("quiz"), max_length=64, blank=True)
    question_key = models.SlugField(_("vraag"), max_length=64, blank=True)
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


class ReviewRequestQuerySet(models.QuerySet):
    def waiting_for(self, user):
        """Review requests of current drafts on courses `user` reviews, newest first (one query).

        Whether the user already approved the draft since is for the caller to mark."""
        return (
            self.filter(
                version__status=CourseVersion.Status.DRAFT,
                version__course__roles__user=user,
                version__course__roles__role="reviewer",
            )
            .select_related("version__course", "requested_by")
            .order_by("-requested_at", "-pk")
        )


class ReviewRequest(models.Model):
    """An author's "Vraag review aan" on a draft; the course's reviewers are e-mailed."""

    version = models.ForeignKey(
        CourseVersion, on_delete=models.CASCADE, related_name="review_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(
        pgettext_lazy("review request", "toelichting"), max_length=500, blank=True
    )

    objects = ReviewRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("reviewaanvraag")
        verbose_name_plural = _("reviewaanvragen")
        indexes = [
            # The reviewer's queue lists requests of drafts, newest first.
            models.Index(fields=["version", "-requested_at"], name="courses_reviewrequest_idx"),
        ]

    def __str__(self):
        return f"{self.requested_by} requested review of {self.version}"


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


def course_import_upload_to(instance, filename: str) -> str:
    return f"course-imports/{uuid.uuid4().hex}.zip"


class CourseImport(models.Model):
    """An uploaded zip of course files, imported by a Celery task while the author watches its
    progress. The zip is deleted once the import has finished, whatever the outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("geïmporteerd")
        FAILED = "failed", _("niet geïmporteerd")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    archive = models.FileField(upload_to=course_import_upload_to, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # What the author reads when it has finished: one summary per imported file, or the problems.
    messages = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cursusimport")
        verbose_name_plural = _("cursusimports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=100),
                name="courses_courseimport_progress_range",
            ),
        ]

    def __str__(self):
        return f"import {self.pk} by {self.uploaded_by_id} ({self.status})"

    def get_absolute_url(self):
        return reverse("authoring:course_import_status", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
