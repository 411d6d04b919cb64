"""Learning workflows. Each is one transaction; views, commands and seed_activity call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
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


def lock_enrollment(enrollment: Enrollment) -> Enrollment:
    """Return a fresh copy of `enrollment`, row-locked until the transaction ends.

    Every learner workflow that decides a completion or a limit takes this lock first, so two
    requests of one learner (a submit and a "Les afronden", forty "start" clicks) run one after
    the other and each sees what the other wrote.
    """
    return Enrollment.objects.select_for_update().select_related("version").get(pk=enrollment.pk)


@transaction.atomic
def complete_lesson(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed (idempotent) and complete the course when all is done."""
    locked = lock_enrollment(enrollment)
    progress = _complete_lesson_locked(locked, lesson)
    maybe_complete_course(locked)
    _copy_completion(locked, enrollment)
    return progress


def _complete_lesson_locked(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    progress, _created = LessonProgress.objects.get_or_create(
        enrollment=enrollment, lesson_key=lesson.key
    )
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
        signals.lesson_completed.send(
            sender=Enrollment, enrollment=enrollment, lesson=lesson, progress=progress
        )
    return progress


def _copy_completion(locked: Enrollment, enrollment: Enrollment) -> None:
    """Let the caller's instance see a completion written under the lock."""
    enrollment.completed_at = locked.completed_at


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


def check_attempt_allowed(enrollment: Enrollment, quiz: Quiz, phase: str = "") -> None:
    """Raise PermissionDenied when the learner may not start (or hand in) another attempt.

    Call it with the enrolment locked (`lock_enrollment`): the counts it reads decide a limit.
    One query.
    """
    submitted = Q(submitted_at__isnull=False)
    counts = QuizAttempt.objects.filter(enrollment=enrollment, quiz=quiz).aggregate(
        used=Count("pk", filter=submitted),
        passed=Count("pk", filter=Q(passed=True)),
        phase_done=Count("pk", filter=submitted & Q(phase=phase) & ~Q(phase="")),
    )
    if quiz.max_attempts is not None and counts["used"] >= quiz.max_attempts:
        raise PermissionDenied(_("Je hebt geen pogingen meer voor deze toets."))
    if quiz.kind == Quiz.Kind.FINAL and counts["passed"]:
        raise PermissionDenied(_("Je hebt de eindtoets al gehaald."))
    if counts["phase_done"]:
        raise PermissionDenied(_("Je hebt deze zelfevaluatie al ingevuld."))


@transaction.atomic
def start_attempt(enrollment: Enrollment, quiz: Quiz, phase: str = "") -> QuizAttempt:
    """Return the open attempt for this quiz (and phase), or start a new one.

    Raises PermissionDenied when no attempts are left, the final test is already passed or the
    self-assessment of this phase was already handed in. The enrolment is locked while deciding,
    so simultaneous starts create one attempt at most.
    """
    locked = lock_enrollment(enrollment)
    open_attempt = QuizAttempt.objects.filter(
        enrollment=locked, quiz=quiz, phase=phase, submitted_at__isnull=True
    ).first()
    if open_attempt:
        return open_attempt
    check_attempt_allowed(locked, quiz, phase)
    number = QuizAttempt.objects.filter(enrollment=locked, quiz=quiz).count() + 1
    return QuizAttempt.objects.create(enrollment=locked, quiz=quiz, number=number, phase=phase)


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


def submit_attempt(attempt_id: int, data, user, questions=None) -> SubmitResult:
    """Grade and store an attempt in one transaction; a second submit returns the first result.

    `questions` may be the quiz's `questions_for_grading()` a caller already read (published
    content does not change); without it they are read here.

    Writes one Answer per question, the attempt's score and pass/fail, sends `attempt_submitted`,
    and completes the course when this passes the final test.
    """
    with transaction.atomic():
        # The attempt and its enrolment locked in one query (not the quiz: learners share it).
        attempt = (
            QuizAttempt.objects.select_for_update(of=("self", "enrollment"))
            .select_related("quiz", "enrollment")
            .get(pk=attempt_id)
        )
        enrollment = attempt.enrollment
        if enrollment.user_id != user.pk:
            raise PermissionDenied
        if attempt.submitted_at is not None:
            answers = list(attempt.answers.select_related("question"))
            return SubmitResult(attempt, answers, newly_submitted=False)
        # The limit again: attempts started before another one was handed in stay open.
        check_attempt_allowed(enrollment, attempt.quiz, attempt.phase)
        if questions is None:
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
            complete_final_test_lessons(enrollment, attempt.quiz)
            maybe_complete_course(enrollment)
        return SubmitResult(attempt, answers, newly_submitted=True)


def complete_final_test_lessons(enrollment: Enrollment, quiz: Quiz) -> None:
    """Complete the lessons that show the (passed) final test: passing is what they ask.

    Needs the enrolment locked. Lessons are matched by the quiz's key in the learner's version.
    """
    lessons = Lesson.objects.filter(
        module__version_id=enrollment.version_id,
        blocks__quizblock__quiz__key=quiz.key,
        blocks__quizblock__quiz__kind=Quiz.Kind.FINAL,
    ).distinct()
    for lesson in lessons:
        _complete_lesson_locked(enrollment, lesson)


@transaction.atomic
def repair_completion(enrollment: Enrollment) -> CourseCompletion | None:
    """Give a learner who met every requirement the completion a past fault left out.

    Completes the lessons of a passed final test, then the course when all is done. Returns the
    completion (new or existing) or None when requirements are still open. Idempotent.
    """
    locked = lock_enrollment(enrollment)
    final = locked.version.quizzes.filter(kind=Quiz.Kind.FINAL).first()
    if (
        final is not None
        and QuizAttempt.objects.filter(
            enrollment=locked, quiz__kind=Quiz.Kind.FINAL, quiz__key=final.key, passed=True
        ).exists()
    ):
        complete_final_test_lessons(locked, final)
    completion = maybe_complete_course(locked)
    _copy_completion(locked, enrollment)
    return completion


def maybe_complete_course(enrollment: Enrollment) -> CourseCompletion | None:
    """Complete the course when every required lesson is done and the final test is passed.

    Must run inside a transaction with the enrolment locked (`lock_enrollment`). Writes a
    CourseCompletion and sends `course_completed` once.
    """
    existing = CourseCompletion.objects.filter(enrollment=enrollment).first()
    if existing:
        return existing
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
