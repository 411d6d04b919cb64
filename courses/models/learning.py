"""The learner side: enrolments, progress, attempts, answers, reflections, completions."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .content import Course, CourseVersion, Lesson, Question, Quiz, ReflectionBlock, ScenarioChoice

# The publish rule's "left behind" test in SQL, for the pages that read a learner's rows in hand-
# written statements (an `enrollment` joined to its `course`): unfinished, and on another version
# than the published one (publishing.keep_on_published_version moves such an enrolment).
ENROLLMENT_BEHIND_SQL = (
    "CASE WHEN enrollment.completed_at IS NULL"
    " AND course.published_version_id <> enrollment.version_id THEN 1 ELSE 0 END"
)


class EnrollmentQuerySet(models.QuerySet):
    def for_dashboard(self, user):
        return self.filter(user=user).select_related("course", "version").order_by("-enrolled_at")

    def with_progress(self):
        """Annotate `lessons_required` and `lessons_done` (required lessons completed) in one query.

        Progress is by stable lesson key, so lessons completed in an earlier version still count
        when the same lesson exists in the version the learner is on now.
        """
        required = Lesson.objects.filter(module__version=OuterRef("version"), required=True)
        required_count = (
            required.order_by().values("module__version").annotate(n=Count("pk")).values("n")
        )
        done = LessonProgress.objects.filter(
            enrollment=OuterRef("pk"),
            completed_at__isnull=False,
            lesson_key__in=Lesson.objects.filter(
                module__version=OuterRef(OuterRef("version")), required=True
            ).values("key"),
        )
        done_count = done.order_by().values("enrollment").annotate(n=Count("pk")).values("n")
        return self.annotate(
            lessons_required=Coalesce(Subquery(required_count), 0),
            lessons_done=Coalesce(Subquery(done_count), 0),
        )


class Enrollment(models.Model):
    """A learner taking a course. `version` is the version they are on (moved on by publishing)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    version = models.ForeignKey(CourseVersion, on_delete=models.PROTECT, related_name="enrollments")
    # The xAPI registration: one per enrolment, stable.
    registration = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    # Not indexed: no query looks enrolments up by it, and without an index the resume point
    # written on every lesson visit (and publishing's move of 100k enrolments) touches fewer
    # index entries.
    last_lesson_key = models.SlugField(max_length=64, blank=True, db_index=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The last inactivity reminder; a new one only after activity since (one per idle period).
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Set when every requirement but the time on task of an accredited course was met (and
    # cleared by the completion): the heartbeat then completes the course once time is reached.
    time_pending_since = models.DateTimeField(null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="courses_enrollment_unique_user_course"
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.course}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def progress_percent(self) -> int:
        """Share of required lessons done, 0..100; needs `with_progress()` (or the two counts)."""
        if self.completed_at is not None:
            return 100
        required = getattr(self, "lessons_required", 0)
        if not required:
            return 0
        return min(100, round(100 * getattr(self, "lessons_done", 0) / required))


class LessonProgress(models.Model):
    """Progress in one lesson, keyed by the lesson's stable key so it survives new versions."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson_key = models.SlugField(max_length=64)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson_key"], name="courses_lessonprogress_unique_lesson"
            ),
        ]

    def __str__(self):
        return f"{self.enrollment} – {self.lesson_key}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class ScenarioDecision(models.Model):
    """A choice a learner made in a branching scenario (for resume and for authors' reports)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="scenario_decisions"
    )
    choice = models.ForeignKey(ScenarioChoice, on_delete=models.CASCADE, related_name="decisions")
    decided_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.enrollment} chose {self.choice_id}"


class Reflection(models.Model):
    """A learner's private reflection. Never exported, never sent, never shown to anyone else."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections"
    )
    block = models.ForeignKey(ReflectionBlock, on_delete=models.CASCADE, related_name="reflections")
    text = models.TextField(_("jouw reflectie"), max_length=10000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "block"], name="courses_reflection_unique_user_block"
            ),
        ]

    def __str__(self):
        return f"reflection {self.pk}"


class QuizAttempt(models.Model):
    class Phase(models.TextChoices):
        NONE = "", _("—")
        PRE = "pre", _("voormeting")
        POST = "post", _("nameting")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(default=1)
    phase = models.CharField(max_length=4, choices=Phase.choices, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    passed = models.BooleanField(null=True)
    # Drawn when the attempt starts and kept for resume and the result page:
    # {"questions": [question ids in order], "options": {question id: [option ids in order]}}.
    layout = models.JSONField(default=dict, blank=True)
    # Answers saved as the learner goes (form field name -> list of values), until submit.
    draft = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "quiz", "number"], name="courses_quizattempt_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=1)),
                name="courses_quizattempt_score_0_1",
            ),
            # The self-assessment is taken once before and once after: one attempt per phase.
            models.UniqueConstraint(
                fields=["enrollment", "quiz", "phase"],
                condition=~Q(phase=""),
                name="courses_quizattempt_one_per_phase",
            ),
        ]

    def __str__(self):
        return f"{self.enrollment} – {self.quiz} #{self.number}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def score_percent(self) -> int | None:
        """The score as a whole percentage, never rounded up across the pass mark of a failed
        test (16 of 23 is 69%, not 70%)."""
        if self.score is None:
            return None
        percent = round(float(self.score) * 100)
        if self.passed is False and percent >= self.quiz.pass_mark:
            percent = self.quiz.pass_mark - 1
        return percent


class Answer(models.Model):
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    response = models.JSONField(default=dict)
    fraction = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    is_correct = models.BooleanField(default=False)

    # Not stored: the grading sets it for the result page and the xAPI statement of a submit.
    feedback: str = ""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="courses_answer_unique_question"
            ),
        ]

    def __str__(self):
        return f"answer {self.pk}"


def new_verification_code() -> str:
    return secrets.token_urlsafe(12)


class CourseCompletion(models.Model):
    """A completed course: the accreditation record. Says which version was completed."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="completion"
    )
    version = models.ForeignKey(CourseVersion, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField()
    score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    passed = models.BooleanField(default=True)
    verification_code = models.CharField(max_length=32, unique=True, default=new_verification_code)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Completion exports filter by course version and completion date.
            models.Index(fields=["version", "completed_at"], name="courses_completion_export_idx"),
            # Staff lists of an accreditation's learners walk completions newest first
            # (records.registers.verdict_page).
            models.Index(fields=["completed_at", "id"], name="courses_completion_recent_idx"),
        ]

    def __str__(self):
        return f"{self.enrollment} completed {self.completed_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("courses:verify_certificate", args=[self.verification_code])

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def verification_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()


class CourseEvaluation(models.Model):
    """A participant's evaluation of a completed course, required before the certificate.

    What accreditation committees ask for: relevance for practice, quality, independence from
    commercial interests (1–5), the time actually spent, and optional free text. The free text is
    only ever shown without a name (aggregates per course and version).
    """

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, related_name="evaluation"
    )
    version = models.ForeignKey(CourseVersion, on_delete=models.PROTECT, related_name="evaluations")
    relevance = models.PositiveSmallIntegerField(_("relevantie voor de praktijk"))
    quality = models.PositiveSmallIntegerField(_("kwaliteit"))
    independence = models.PositiveSmallIntegerField(_("onafhankelijk van commerciële belangen"))
    minutes_spent = models.PositiveIntegerField(_("werkelijk bestede tijd (minuten)"))
    comment = models.TextField(_("opmerkingen"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evaluatie")
        verbose_name_plural = _("evaluaties")
        constraints = [
            models.CheckConstraint(
                condition=Q(relevance__gte=1, relevance__lte=5)
                & Q(quality__gte=1, quality__lte=5)
                & Q(independence__gte=1, independence__lte=5),
                name="courses_evaluation_scores_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(minutes_spent__gte=1, minutes_spent__lte=6000),
                name="courses_evaluation_minutes_range",
            ),
        ]
        indexes = [
            # Aggregates per course version for authors and the accreditation file.
            models.Index(fields=["version"], name="courses_evaluation_version"),
        ]

    def __str__(self):
        return f"{self.version} – {self.pk}"


class CourseReportSnapshot(models.Model):
    """A course's author report as last computed (`courses.reports.course_report`), so the report
    page and its CSVs read it in one query whatever the number of learners. Refreshed by a
    debounced task after learning events (`courses.reports.queue_report_refresh`). Figures
    about groups only: no learner is named and no reflection is read."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="report_snapshot")
    # When the computation started: the report shows everything committed before it.
    computed_at = models.DateTimeField()
    data = models.JSONField()

    def __str__(self):
        return f"{self.course} report {self.computed_at:%Y-%m-%d %H:%M}"
