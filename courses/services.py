"""Learning workflows. Each is one transaction; views, commands and seed_activity call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals
from .models import (
    Answer,
    Course,
    CourseCompletion,
    Enrollment,
    Lesson,
    LessonProgress,
    Option,
    Question,
    Quiz,
    QuizAttempt,
    Reflection,
    ReflectionBlock,
    ScenarioChoice,
    ScenarioDecision,
)

# A heartbeat gap longer than this means the learner was away: it is not counted.
HEARTBEAT_MAX_GAP_SECONDS = 90


def enroll_learner(user, course: Course) -> Enrollment:
    """Return the learner's enrolment in `course`, creating it on the published version.

    Writes an Enrollment and sends `enrollment_created` the first time only.
    """
    if course.published_version_id is None:
        raise ValidationError(_("Deze cursus is nog niet gepubliceerd."))
    existing = Enrollment.objects.filter(user=user, course=course).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                user=user, course=course, version_id=course.published_version_id
            )
            signals.enrollment_created.send(sender=Enrollment, enrollment=enrollment)
    except IntegrityError:
        # A concurrent request enrolled the learner first.
        return Enrollment.objects.get(user=user, course=course)
    return enrollment


@transaction.atomic
def start_lesson(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Mark `lesson` as the learner's resume point; create its progress row on first visit.

    Sends `lesson_started` with the new row the first time only.
    """
    progress, created = LessonProgress.objects.get_or_create(
        enrollment=enrollment, lesson_key=lesson.key
    )
    note_resume_point(enrollment, lesson.key)
    if created:
        signals.lesson_started.send(
            sender=Enrollment, enrollment=enrollment, lesson=lesson, progress=progress
        )
    return progress


def note_resume_point(enrollment: Enrollment, lesson_key: str, now: datetime | None = None) -> bool:
    """Record `lesson_key` as where the learner left off; returns whether a row was written.

    Writes (one UPDATE) only when the lesson changed or the learner was away longer than a
    heartbeat gap: reopening the same lesson within a gap writes nothing, and the next
    heartbeat counts that time as usual (`record_time`).
    """
    now = now or timezone.now()
    recent = (
        enrollment.last_activity_at is not None
        and 0 <= (now - enrollment.last_activity_at).total_seconds() <= HEARTBEAT_MAX_GAP_SECONDS
    )
    if enrollment.last_lesson_key == lesson_key and recent:
        return False
    Enrollment.objects.filter(pk=enrollment.pk).update(
        last_lesson_key=lesson_key, last_activity_at=now
    )
    enrollment.last_lesson_key = lesson_key
    enrollment.last_activity_at = now
    return True


@transaction.atomic
def record_time(enrollment: Enrollment, lesson_key: str, now: datetime | None = None) -> int:
    """Add the time since the learner's previous heartbeat to the lesson; return seconds added.

    The clock is per enrolment, not per tab: two open tabs share one `last_activity_at`,
    so time is never counted twice.
    """
    now = now or timezone.now()
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    added = 0
    if locked.last_activity_at is not None:
        gap = (now - locked.last_activity_at).total_seconds()
        if 0 < gap <= HEARTBEAT_MAX_GAP_SECONDS:
            added = int(gap)
    if now > (locked.last_activity_at or now.replace(year=1970)):
        locked.last_activity_at = now
        locked.save(update_fields=["last_activity_at"])
    if added:
        progress, _created = LessonProgress.objects.get_or_create(
            enrollment=locked, lesson_key=lesson_key
        )
        LessonProgress.objects.filter(pk=progress.pk).update(
            seconds_spent=progress.seconds_spent + added
        )
    return added


def required_lesson_keys(version) -> set[str]:
    return set(
        Lesson.objects.filter(module__version=version, required=True).values_list("key", flat=True)
    )


@transaction.atomic
def complete_lesson(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed (idempotent) and complete the course when all is done."""
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        enrollment=enrollment, lesson_key=lesson.key
    )
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
        signals.lesson_completed.send(
            sender=Enrollment, enrollment=enrollment, lesson=lesson, progress=progress
        )
        maybe_complete_course(enrollment)
    return progress


@transaction.atomic
def record_scenario_choice(enrollment: Enrollment, choice: ScenarioChoice) -> ScenarioDecision:
    return ScenarioDecision.objects.create(enrollment=enrollment, choice=choice)


def save_reflection(user, block: ReflectionBlock, text: str) -> Reflection:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Schrijf eerst je reflectie."))
    if len(text) > 10000:
        raise ValidationError(_("Je reflectie is te lang (maximaal 10.000 tekens)."))
    reflection, _created = Reflection.objects.update_or_create(
        user=user, block=block, defaults={"text": text}
    )
    return reflection


def attempts_left(enrollment: Enrollment, quiz: Quiz) -> int | None:
    if quiz.max_attempts is None:
        return None
    used = QuizAttempt.objects.filter(
        enrollment=enrollment, quiz=quiz, submitted_at__isnull=False
    ).count()
    return max(0, quiz.max_attempts - used)


def start_attempt(enrollment: Enrollment, quiz: Quiz, phase: str = "") -> QuizAttempt:
    """Return the open attempt for this quiz (and phase), or start a new one.

    Raises PermissionDenied when no attempts are left or the final test is already passed.
    """
    open_attempt = QuizAttempt.objects.filter(
        enrollment=enrollment, quiz=quiz, phase=phase, submitted_at__isnull=True
    ).first()
    if open_attempt:
        return open_attempt
    left = attempts_left(enrollment, quiz)
    if left is not None and left <= 0:
        raise PermissionDenied(_("Je hebt geen pogingen meer voor deze toets."))
    if (
        quiz.kind == Quiz.Kind.FINAL
        and QuizAttempt.objects.filter(enrollment=enrollment, quiz=quiz, passed=True).exists()
    ):
        raise PermissionDenied(_("Je hebt de eindtoets al gehaald."))
    for _retry in range(3):
        number = QuizAttempt.objects.filter(enrollment=enrollment, quiz=quiz).count() + 1
        try:
            with transaction.atomic():
                return QuizAttempt.objects.create(
                    enrollment=enrollment, quiz=quiz, number=number, phase=phase
                )
        except IntegrityError:
            open_attempt = QuizAttempt.objects.filter(
                enrollment=enrollment, quiz=quiz, phase=phase, submitted_at__isnull=True
            ).first()
            if open_attempt:
                return open_attempt
    raise PermissionDenied(_("De toets kon niet worden gestart. Probeer het opnieuw."))


def questions_for_grading(quiz_id: int):
    """All questions of a quiz with their options, resolved: 1 + one query per question type + 1."""
    return list(
        Question.objects.filter(quiz_id=quiz_id)
        .order_by("position")
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position")))
    )


@dataclass
class SubmitResult:
    attempt: QuizAttempt
    answers: list[Answer]
    newly_submitted: bool


def submit_attempt(attempt_id: int, data, user) -> SubmitResult:
    """Grade and store an attempt in one transaction; a second submit returns the first result.

    Writes one Answer per question, the attempt's score and pass/fail, sends `attempt_submitted`,
    and completes the course when this passes the final test.
    """
    with transaction.atomic():
        attempt = (
            QuizAttempt.objects.select_for_update()
            .select_related("quiz", "enrollment")
            .get(pk=attempt_id)
        )
        if attempt.enrollment.user_id != user.pk:
            raise PermissionDenied
        if attempt.submitted_at is not None:
            answers = list(attempt.answers.select_related("question"))
            return SubmitResult(attempt, answers, newly_submitted=False)
        questions = questions_for_grading(attempt.quiz_id)
        answers = []
        earned = Decimal(0)
        possible = Decimal(0)
        for question in questions:
            response = question.parse_response(data)
            grade = question.grade(response)
            answer = Answer(
                attempt=attempt,
                question=question,
                response=response,
                fraction=Decimal(str(round(grade.fraction, 4))),
                is_correct=grade.is_correct,
            )
            answer.feedback = grade.feedback
            answers.append(answer)
            if question.scored:
                possible += question.points
                earned += Decimal(question.points) * answer.fraction
        Answer.objects.bulk_create(answers)
        attempt.submitted_at = timezone.now()
        if possible:
            attempt.score = (earned / possible).quantize(Decimal("0.0001"))
        if attempt.quiz.is_scored:
            attempt.passed = (
                attempt.score is not None and attempt.score * 100 >= attempt.quiz.pass_mark
            )
        attempt.save(update_fields=["submitted_at", "score", "passed"])
        signals.attempt_submitted.send(sender=QuizAttempt, attempt=attempt, answers=answers)
        if attempt.quiz.kind == Quiz.Kind.FINAL and attempt.passed:
            maybe_complete_course(attempt.enrollment)
        return SubmitResult(attempt, answers, newly_submitted=True)


def maybe_complete_course(enrollment: Enrollment) -> CourseCompletion | None:
    """Complete the course when every required lesson is done and the final test is passed.

    Must run inside a transaction. Writes a CourseCompletion and sends `course_completed` once.
    """
    if hasattr(enrollment, "completion"):
        return enrollment.completion
    required = required_lesson_keys(enrollment.version)
    done = set(
        LessonProgress.objects.filter(
            enrollment=enrollment, completed_at__isnull=False
        ).values_list("lesson_key", flat=True)
    )
    if not required <= done:
        return None
    final = enrollment.version.quizzes.filter(kind=Quiz.Kind.FINAL).first()
    best = None
    if final is not None:
        # A pass on an earlier version's final test (same key) still counts: learners keep
        # their progress when a new version is published (courses/publishing.py).
        best = (
            QuizAttempt.objects.filter(
                enrollment=enrollment, quiz__kind=Quiz.Kind.FINAL, quiz__key=final.key, passed=True
            )
            .order_by("-score")
            .first()
        )
        if best is None:
            return None
    now = timezone.now()
    completion, created = CourseCompletion.objects.get_or_create(
        enrollment=enrollment,
        defaults={
            "version": enrollment.version,
            "completed_at": now,
            "score": best.score if best else None,
            "passed": True,
        },
    )
    if created:
        Enrollment.objects.filter(pk=enrollment.pk).update(completed_at=now)
        enrollment.completed_at = now
        signals.course_completed.send(sender=CourseCompletion, completion=completion)
    return completion
