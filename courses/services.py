"""Learning workflows. Each is one transaction; views, commands and seed_activity call these."""

from __future__ import annotations

import math
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import learner_mail, signals
from .models import (
    Answer,
    Course,
    CourseCompletion,
    Enrollment,
    LearningTrack,
    Lesson,
    LessonProgress,
    LiveSessionEdition,
    LiveSessionRegistration,
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
            mail_learner(enrollment.pk, learner_mail.ENROLLED)
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
def record_time(
    enrollment: Enrollment, lesson_key: str, now: datetime | None = None, *, credit: bool = True
) -> int:
    """Credit the time since the learner's previous heartbeat to the lesson; return seconds added.

    At most one heartbeat interval (`PLAYER_HEARTBEAT_SECONDS`) is credited per heartbeat and
    nothing after a gap longer than HEARTBEAT_MAX_GAP_SECONDS (the page was hidden or closed).
    The clock is per enrolment, not per tab: two open tabs share `last_activity_at`, so time is
    never counted twice, and the enrolment is locked while the clock is read and moved, so
    simultaneous heartbeats credit the time between them once. `credit=False` (the page just
    became visible again) only restarts the clock.

    When a completion waits for time on task (`time_pending_since`), completes the course once
    the time is reached. Queries: 3 (lock, clock, the lesson's time); more only while a
    completion waits.
    """
    now = now or timezone.now()
    locked = lock_enrollment(enrollment)
    last = locked.last_activity_at
    added = 0
    clock = now
    if credit and last is not None:
        gap = (now - last).total_seconds()
        added = heartbeat_credit(gap)
        if 0 < gap <= HEARTBEAT_MAX_GAP_SECONDS and gap - added < 1:
            # Whole seconds are credited; the clock keeps the fraction for the next beat
            # (anything beyond one interval is dropped: the clock moves to now).
            clock = last + timedelta(seconds=added)
    if last is None or clock > last:
        Enrollment.objects.filter(pk=locked.pk).update(last_activity_at=clock)
    if added:
        credited = LessonProgress.objects.filter(enrollment=locked, lesson_key=lesson_key).update(
            seconds_spent=F("seconds_spent") + added
        )
        if not credited:
            LessonProgress.objects.create(
                enrollment=locked, lesson_key=lesson_key, seconds_spent=added
            )
        if locked.time_pending_since is not None and locked.completed_at is None:
            maybe_complete_course(locked)
    return added


def heartbeat_credit(gap: float) -> int:
    """Whole seconds a heartbeat `gap` seconds after the previous one credits (`record_time`)."""
    if 0 < gap <= HEARTBEAT_MAX_GAP_SECONDS:
        return min(int(gap), settings.PLAYER_HEARTBEAT_SECONDS)
    return 0


def required_seconds(enrollment: Enrollment) -> int:
    """Time on task (seconds) the completion needs: for an accredited course the configured share
    (COMPLETION_MIN_TIME_PERCENT) of the version's stated study load, else 0. One query."""
    needed = study_load_share_seconds(enrollment.version)
    if not needed:
        return 0
    from .publishing import course_is_accredited  # publishing imports this module

    return needed if course_is_accredited(Course(pk=enrollment.course_id)) else 0


def study_load_share_seconds(version) -> int:
    """COMPLETION_MIN_TIME_PERCENT of the version's study load, in whole seconds."""
    share = version.study_load_hours * 3600 * settings.COMPLETION_MIN_TIME_PERCENT / 100
    return math.ceil(share)


def time_on_task(enrollment: Enrollment) -> int:
    """Seconds credited to the learner's lessons (`record_time`) in any version. One query."""
    total = LessonProgress.objects.filter(enrollment=enrollment).aggregate(s=Sum("seconds_spent"))
    return total["s"] or 0


def time_still_expected(enrollment: Enrollment) -> int:
    """Whole minutes of time on task a waiting completion still needs (0: nothing waits)."""
    if enrollment.time_pending_since is None or enrollment.completed_at is not None:
        return 0
    missing = required_seconds(enrollment) - time_on_task(enrollment)
    return max(0, math.ceil(missing / 60))


def enrollments_awaiting_time(course: Course) -> list:
    """Learners of `course` who met every requirement but the time on task, longest waiting
    first, each with `spent_minutes` (time on task so far, rounded down) and `needed_minutes`.
    One query."""
    waiting = list(
        Enrollment.objects.filter(
            course=course, time_pending_since__isnull=False, completed_at__isnull=True
        )
        .select_related("user", "version")
        .annotate(seconds=Coalesce(Sum("lesson_progress__seconds_spent"), 0))
        .order_by("time_pending_since", "pk")
    )
    for enrollment in waiting:
        enrollment.spent_minutes = enrollment.seconds // 60  # type: ignore[attr-defined]
        needed = study_load_share_seconds(enrollment.version)
        enrollment.needed_minutes = math.ceil(needed / 60)  # type: ignore[attr-defined]
    return waiting


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
    # Only the enrolment's row: the version is shared by every learner of the course.
    locked = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("version", "course")
        .get(pk=enrollment.pk)
    )
    if locked.completed_at is None and locked.course.published_version_id not in (
        None,
        locked.version_id,
    ):
        # Publishing left it behind and its sweep has not reached it yet: the publish rule moves
        # it first, under this lock, so what is decided next is decided on the published version.
        from .publishing import keep_on_published_version  # publishing imports models, tasks

        locked = keep_on_published_version(locked)
    return locked


@transaction.atomic
def complete_lesson(
    enrollment: Enrollment, lesson: Lesson, reflections: dict | None = None
) -> LessonProgress:
    """Mark the lesson completed (idempotent) and complete the course when all is done.

    `reflections` ({ReflectionBlock: text}) are the learner's reflections typed on the lesson page
    and not yet saved: saved first, in the same transaction (a ValidationError writes nothing).
    """
    save_reflections(enrollment, reflections or {})
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
    """Let the caller's instance see a completion (or its wait for time) written under the lock."""
    enrollment.completed_at = locked.completed_at
    enrollment.time_pending_since = locked.time_pending_since


@transaction.atomic
def record_scenario_choice(enrollment: Enrollment, choice: ScenarioChoice) -> ScenarioDecision:
    return ScenarioDecision.objects.create(enrollment=enrollment, choice=choice)


def unsaved_reflections(user, reflections: dict) -> dict:
    """The entries of `reflections` ({ReflectionBlock: text}) whose text is not what `user` has
    saved for that block: the lesson page posts saved reflections along with "Les afronden" too.
    One query (none for an empty dict); writes nothing."""
    if not reflections:
        return {}
    saved = dict(
        Reflection.objects.filter(user=user, block__in=list(reflections)).values_list(
            "block_id", "text"
        )
    )
    return {block: text for block, text in reflections.items() if saved.get(block.pk) != text}


@transaction.atomic
def save_reflections(enrollment: Enrollment, reflections: dict) -> None:
    """Save the learner's `reflections` ({ReflectionBlock: text}) of one lesson page together:
    a ValidationError for one writes none of them."""
    if not reflections:
        return
    # The enrolment's row lock before its reflections, as a publish sweep takes them (it locks
    # enrolments, then moves their reflections): the other order could deadlock with it.
    list(Enrollment.objects.select_for_update(of=("self",)).filter(pk=enrollment.pk).values("pk"))
    for block, text in reflections.items():
        save_reflection(enrollment.user, block, text)


def save_reflection(user, block: ReflectionBlock, text: str) -> Reflection:
    text = clean_reflection(text)
    reflection, _created = Reflection.objects.update_or_create(
        user=user, block=block, defaults={"text": text}
    )
    return reflection


def clean_reflection(text: str) -> str:
    """The reflection as stored; raises ValidationError when it is empty or too long."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Schrijf eerst je reflectie."))
    if len(text) > 10000:
        raise ValidationError(_("Je reflectie is te lang (maximaal 10.000 tekens)."))
    return text


def attempts_of(enrollment: Enrollment, quiz: Quiz):
    """The learner's attempts at `quiz` in any version of the course: attempts follow a quiz by
    its stable key, so publishing a new version gives no fresh attempt budget."""
    return QuizAttempt.objects.filter(enrollment=enrollment, quiz__key=quiz.key)


def attempts_left(enrollment: Enrollment, quiz: Quiz, attempts=None) -> int | None:
    """Attempts the learner may still hand in (None: no limit). `attempts` may be the learner's
    `attempts_of(enrollment, quiz)` a caller already read; otherwise one query."""
    if quiz.max_attempts is None:
        return None
    if attempts is None:
        used = attempts_of(enrollment, quiz).filter(submitted_at__isnull=False).count()
    else:
        used = sum(1 for attempt in attempts if attempt.submitted_at is not None)
    return max(0, quiz.max_attempts - used)


def check_attempt_allowed(enrollment: Enrollment, quiz: Quiz, phase: str = "") -> None:
    """Raise PermissionDenied when the learner may not start (or hand in) another attempt.

    Call it with the enrolment locked (`lock_enrollment`): the counts it reads decide a limit.
    One query.
    """
    counts = attempt_counts(enrollment, quiz, phase)
    refuse_attempt(quiz, counts["used"], counts["passed"], counts["phase_done"])


def attempt_counts(enrollment: Enrollment, quiz: Quiz, phase: str = "", **extra) -> dict:
    """Counts of the learner's attempts at `quiz` (any version) for `refuse_attempt`: handed in
    (`used`), passed, and handed in for `phase` (`phase_done`), plus the `extra` aggregates over
    the same attempts; one query."""
    submitted = Q(submitted_at__isnull=False)
    return attempts_of(enrollment, quiz).aggregate(
        used=Count("pk", filter=submitted),
        passed=Count("pk", filter=Q(passed=True)),
        phase_done=Count("pk", filter=submitted & Q(phase=phase) & ~Q(phase="")),
        **extra,
    )


def refuse_attempt(quiz: Quiz, used: int, passed: int, phase_done: int) -> None:
    """The limit of `check_attempt_allowed` on counts of the learner's attempts at `quiz` (any
    version): handed in, passed, and handed in for the phase asked."""
    if quiz.max_attempts is not None and used >= quiz.max_attempts:
        raise PermissionDenied(_("Je hebt geen pogingen meer voor deze toets."))
    if quiz.kind == Quiz.Kind.FINAL and passed:
        raise PermissionDenied(_("Je hebt de eindtoets al gehaald."))
    if phase_done:
        raise PermissionDenied(_("Je hebt deze zelfevaluatie al ingevuld."))


@transaction.atomic
def start_attempt(
    enrollment: Enrollment, quiz: Quiz, phase: str = "", rng=None, questions=None
) -> QuizAttempt:
    """Return the open attempt for this quiz (and phase), or start a new one.

    Raises PermissionDenied when no attempts are left, the final test is already passed or the
    self-assessment of this phase was already handed in. The enrolment is locked while deciding,
    so simultaneous starts create one attempt at most. `rng` draws the layout (a seeded one makes
    simulations reproducible; by default the system's). `questions` may be the quiz's
    `questions_for_grading()` a caller already read (published content does not change).
    """
    locked = lock_enrollment(enrollment)
    this_quiz = Q(quiz=quiz)
    counts = attempt_counts(
        locked,
        quiz,
        phase,
        started=Count("pk", filter=this_quiz),
        open_pk=Min("pk", filter=this_quiz & Q(phase=phase, submitted_at__isnull=True)),
    )
    if counts["open_pk"] is not None:
        return QuizAttempt.objects.get(pk=counts["open_pk"])
    refuse_attempt(quiz, counts["used"], counts["passed"], counts["phase_done"])
    layout = {}
    if quiz.is_scored:
        earlier = []
        if quiz.draw is not None:  # only a draw prefers the questions asked least
            earlier = list(
                QuizAttempt.objects.filter(enrollment=locked, quiz__key=quiz.key).values_list(
                    "layout", flat=True
                )
            )
        if questions is None:
            questions = questions_for_grading(quiz.pk)
        layout = draw_layout(quiz, questions, earlier, rng)
    return QuizAttempt.objects.create(
        enrollment=locked, quiz=quiz, number=counts["started"] + 1, phase=phase, layout=layout
    )


def draw_layout(quiz: Quiz, questions, earlier_layouts=(), rng=None) -> dict:
    """Draw what one attempt asks and in which order; returns the attempt's `layout`.

    Questions: all of them, or the quiz's `draw` (N of the pool, or {tag: count}), preferring
    questions earlier attempts asked least, so a retake gets a different draw where the pool
    allows; then shuffled. Each question draws its own option order (`Question.draw_options()`:
    choice, ordering and matching questions shuffle, pinned options last). Matching answers get
    opaque per-attempt values (`match`: value → option id) so a select's value never says which
    item it belongs to.
    """
    rng = rng or secrets.SystemRandom()
    asked: Counter = Counter(pk for layout in earlier_layouts for pk in layout.get("questions", []))

    def least_asked(candidates, count):
        candidates = list(candidates)
        rng.shuffle(candidates)
        candidates.sort(key=lambda q: asked[q.pk])  # stable: ties stay shuffled
        return candidates[:count]

    draw = quiz.draw
    if isinstance(draw, int):
        chosen = least_asked(questions, draw)
    elif isinstance(draw, dict):
        chosen = []
        for tag, count in draw.items():
            chosen += least_asked(
                (q for q in questions if tag in (q.tags or []) and q not in chosen), count
            )
    else:
        chosen = list(questions)
    rng.shuffle(chosen)
    options: dict[str, list[int]] = {}
    match: dict[str, dict[str, int]] = {}
    for question in chosen:
        order, values = question.draw_options(rng)
        if order is not None:
            options[str(question.pk)] = order
        if values is not None:
            match[str(question.pk)] = values
    return {"questions": [q.pk for q in chosen], "options": options, "match": match}


class FormData(dict):
    """A dict of lists read like a QueryDict: `get` gives the last value, `getlist` all."""

    def get(self, key, default=None):
        values = super().get(key)
        return values[-1] if values else default

    def getlist(self, key):
        return list(super().get(key) or [])


def grading_data(attempt: QuizAttempt, data) -> FormData:
    """The submitted form data with the attempt's opaque matching values turned into option ids.

    A value that is not one of this attempt's (an option id sent directly, say) counts as no
    answer.
    """
    if hasattr(data, "lists"):
        lists = dict(data.lists())
    else:
        lists = {k: (v if isinstance(v, list) else [v]) for k, v in dict(data).items()}
    for question_pk, values in (attempt.layout or {}).get("match", {}).items():
        prefix = f"q-{question_pk}-"
        for name in [n for n in lists if n.startswith(prefix)]:
            lists[name] = [str(values[v]) if v in values else "" for v in lists[name]]
    return FormData(lists)


# A draft holds form fields of one attempt's questions only, and not without bound.
DRAFT_MAX_FIELDS = 500
DRAFT_MAX_VALUE = 64


@transaction.atomic
def save_attempt_draft(attempt_id: int, data, user) -> bool:
    """Keep the answers of an open attempt as typed so far (form field → values); returns whether
    they were stored. Nothing is graded; a submitted attempt is left as it is."""
    attempt = (
        QuizAttempt.objects.select_for_update().select_related("enrollment").get(pk=attempt_id)
    )
    if attempt.enrollment.user_id != user.pk:
        raise PermissionDenied
    if attempt.submitted_at is not None:
        return False
    lists = dict(data.lists()) if hasattr(data, "lists") else dict(data)
    draft = {
        name: [str(v)[:DRAFT_MAX_VALUE] for v in values][:DRAFT_MAX_FIELDS]
        for name, values in list(lists.items())[:DRAFT_MAX_FIELDS]
        if name.startswith("q-")
    }
    attempt.draft = draft
    attempt.save(update_fields=["draft"])
    return True


def questions_of_attempt(attempt: QuizAttempt, questions) -> list:
    """The questions `attempt` asks, in its drawn order (all, as authored, without a layout)."""
    order = (attempt.layout or {}).get("questions")
    if not order:
        return list(questions)
    by_pk = {q.pk: q for q in questions}
    return [by_pk[pk] for pk in order if pk in by_pk]


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
        answers = grade_attempt(attempt, questions, data)
        Answer.objects.bulk_create(answers)
        attempt.save(update_fields=["submitted_at", "score", "passed"])
        signals.attempt_submitted.send(sender=QuizAttempt, attempt=attempt, answers=answers)
        if attempt.quiz.kind == Quiz.Kind.FINAL and attempt.passed:
            complete_final_test_lessons(enrollment, attempt.quiz)
            maybe_complete_course(enrollment)
        return SubmitResult(attempt, answers, newly_submitted=True)


def grade_attempt(attempt: QuizAttempt, questions, data) -> list[Answer]:
    """Grade the form `data` handed in for `attempt`; return its unsaved Answers, one per question
    it asks, and set (not save) its `submitted_at`, `score` and `passed`.

    `questions` are the quiz's `questions_for_grading()`.
    """
    data = grading_data(attempt, data)
    answers = []
    earned = Decimal(0)
    possible = Decimal(0)
    for question in questions_of_attempt(attempt, questions):
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
    attempt.submitted_at = timezone.now()
    if possible:
        # Rounded down: a stored score never crosses the pass mark upwards.
        attempt.score = (earned / possible).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    if attempt.quiz.is_scored:
        attempt.passed = possible > 0 and earned * 100 >= possible * attempt.quiz.pass_mark
    return answers


def complete_final_test_lessons(enrollment: Enrollment, quiz: Quiz) -> None:
    """Complete the lessons that show the (passed) final test: passing is what they ask.

    Needs the enrolment locked. Lessons are matched by the quiz's key in the learner's version.
    """
    for lesson in final_test_lessons(enrollment.version_id, quiz).distinct():
        _complete_lesson_locked(enrollment, lesson)


def final_test_lessons(version_id: int, quiz: Quiz):
    """The lessons of a version that show the final test `quiz` (matched by its key)."""
    return Lesson.objects.filter(
        module__version_id=version_id,
        blocks__quizblock__quiz__key=quiz.key,
        blocks__quizblock__quiz__kind=Quiz.Kind.FINAL,
    )


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
    """Complete the course when every required lesson is done, the final test is passed and, for
    an accredited course, the time on task reaches `required_seconds()` (else the enrolment is
    marked `time_pending_since` and the completion waits for `record_time`).

    Must run inside a transaction with the enrolment locked (`lock_enrollment`). Writes a
    CourseCompletion and sends `course_completed` once.
    """
    return maybe_complete_courses([enrollment])[enrollment.pk]


def maybe_complete_courses(enrollments) -> dict[int, CourseCompletion | None]:
    """`maybe_complete_course` for many enrolments, each locked by the caller, in at most nine
    queries (one more per course whose version states a study load); returns each enrolment's
    completion (new or existing) or None while requirements are open."""
    result: dict[int, CourseCompletion | None] = {e.pk: None for e in enrollments}
    for existing in CourseCompletion.objects.filter(enrollment__in=list(result)):
        result[existing.enrollment_id] = existing
    waiting = [e for e in enrollments if result[e.pk] is None]
    if not waiting:
        return result
    versions = {e.version_id: e.version for e in waiting}
    required: dict[int, set[str]] = {pk: set() for pk in versions}
    for version_id, key in Lesson.objects.filter(
        module__version__in=list(versions), required=True
    ).values_list("module__version_id", "key"):
        required[version_id].add(key)
    done: dict[int, set[str]] = {e.pk: set() for e in waiting}
    for enrollment_id, key in LessonProgress.objects.filter(
        enrollment__in=list(done), completed_at__isnull=False
    ).values_list("enrollment_id", "lesson_key"):
        done[enrollment_id].add(key)
    waiting = [e for e in waiting if required[e.version_id] <= done[e.pk]]
    if not waiting:
        return result
    finals = {
        quiz.version_id: quiz
        for quiz in Quiz.objects.filter(
            version__in={e.version_id for e in waiting}, kind=Quiz.Kind.FINAL
        )
    }
    best: dict[int, Decimal | None] = {}
    with_final = [e for e in waiting if e.version_id in finals]
    if with_final:
        # A pass on an earlier version's final test (same key) still counts: learners keep
        # their progress when a new version is published (courses/publishing.py).
        version_of = {e.pk: e.version_id for e in with_final}
        for enrollment_id, key, score in (
            QuizAttempt.objects.filter(
                enrollment__in=list(version_of), quiz__kind=Quiz.Kind.FINAL, passed=True
            )
            .order_by("-score")
            .values_list("enrollment_id", "quiz__key", "score")
        ):
            if key == finals[version_of[enrollment_id]].key:
                best.setdefault(enrollment_id, score)
    waiting = [e for e in waiting if e.version_id not in finals or e.pk in best]
    if not waiting:
        return result
    needed: dict[int, int] = {}
    accredited: dict[int, int] = {}
    for enrollment in waiting:
        # required_seconds(), asked once per course.
        share = study_load_share_seconds(enrollment.version)
        if share and enrollment.course_id not in accredited:
            from .publishing import course_is_accredited  # publishing imports this module

            accredited[enrollment.course_id] = course_is_accredited(Course(pk=enrollment.course_id))
        if share and accredited[enrollment.course_id]:
            needed[enrollment.pk] = share
    spent: dict[int, int] = {}
    if needed:
        spent = dict(
            LessonProgress.objects.filter(enrollment__in=list(needed))
            .values("enrollment_id")
            .annotate(s=Sum("seconds_spent"))
            .values_list("enrollment_id", "s")
        )
    now = timezone.now()
    short = [e for e in waiting if (spent.get(e.pk) or 0) < needed.get(e.pk, 0)]
    # Everything but the time: the next heartbeat (`record_time`) or visit completes.
    newly_waiting = [e for e in short if e.time_pending_since is None]
    if newly_waiting:
        Enrollment.objects.filter(pk__in=[e.pk for e in newly_waiting]).update(
            time_pending_since=now
        )
        for enrollment in newly_waiting:
            enrollment.time_pending_since = now
    completing = [e for e in waiting if e not in short]
    if not completing:
        return result
    # The enrolments are locked and have no completion: the unique enrolment of a completion
    # refuses a second one should a caller forget the lock.
    completions = CourseCompletion.objects.bulk_create(
        CourseCompletion(
            enrollment=enrollment,
            version=enrollment.version,
            completed_at=now,
            score=best.get(enrollment.pk),
            passed=True,
        )
        for enrollment in completing
    )
    Enrollment.objects.filter(pk__in=[e.pk for e in completing]).update(
        completed_at=now, time_pending_since=None
    )
    for enrollment, completion in zip(completing, completions, strict=True):
        enrollment.completed_at = now
        enrollment.time_pending_since = None
        result[enrollment.pk] = completion
    signals.course_completed.send_batch(
        CourseCompletion, [{"completion": completion} for completion in completions]
    )
    for enrollment in completing:
        mail_learner(enrollment.pk, learner_mail.COMPLETED)
    return result


class LearningBatch:
    """The learning of many new enrolments, kept in memory and written at once by `save()`.

    For callers that work through many learners at a time (`seed_activity`). Each method applies
    the rule of its one-at-a-time service: `enroll` of `enroll_learner`, `complete_lesson` of
    `start_lesson` + heartbeats (`record_time`) + `complete_lesson`, `choose` of
    `record_scenario_choice`, `reflect` of `save_reflection`, `take_attempt` of `start_attempt` +
    `submit_attempt` (the same limit, layout draw and grading; its result is known at once).
    `save()` writes the rows with bulk_create, sends the same signals (`send_batch`) and decides
    the completions under the enrolments' lock with `maybe_complete_courses`, the rule of
    `maybe_complete_course`.

    Only for enrolments it creates itself: until `save()` commits no other transaction sees
    them, and the unique (user, course) constraint refuses the whole batch if one already exists.
    """

    def __init__(self):
        self.enrollments: list[Enrollment] = []
        self.lessons: list[tuple[LessonProgress, Lesson]] = []
        self.decisions: list[ScenarioDecision] = []
        self.reflections: dict[tuple[int, int], Reflection] = {}
        self.attempts: dict[int, list[tuple[QuizAttempt, list[Answer]]]] = {}
        self.questions: dict[int, list] = {}
        self.final_lessons: dict[tuple[int, str], set[str]] = {}

    def enroll(self, user, course: Course) -> Enrollment:
        """The learner's new (unsaved) enrolment on the course's published version."""
        if course.published_version_id is None:
            raise ValidationError(_("Deze cursus is nog niet gepubliceerd."))
        enrollment = Enrollment(user=user, course=course, version=course.published_version)
        self.enrollments.append(enrollment)
        self.attempts[id(enrollment)] = []
        return enrollment

    def complete_lesson(
        self, enrollment: Enrollment, lesson: Lesson, heartbeat_gaps: list[int]
    ) -> LessonProgress:
        """Start `lesson` now, send heartbeats `heartbeat_gaps` seconds apart, then complete it
        (when `save()` writes it)."""
        progress = LessonProgress(
            enrollment=enrollment,
            lesson_key=lesson.key,
            seconds_spent=sum(heartbeat_credit(gap) for gap in heartbeat_gaps),
        )
        self.lessons.append((progress, lesson))
        enrollment.last_lesson_key = lesson.key
        enrollment.last_activity_at = timezone.now() + timedelta(seconds=sum(heartbeat_gaps))
        return progress

    def choose(self, enrollment: Enrollment, choice: ScenarioChoice) -> None:
        self.decisions.append(ScenarioDecision(enrollment=enrollment, choice=choice))

    def reflect(self, user, block: ReflectionBlock, text: str) -> None:
        self.reflections[user.pk, block.pk] = Reflection(
            user=user, block=block, text=clean_reflection(text)
        )

    def take_attempt(
        self, enrollment: Enrollment, quiz: Quiz, answer, phase: str = "", rng=None, questions=None
    ) -> QuizAttempt:
        """Start an attempt and hand in `answer(attempt)` (form data for the drawn layout) at once.

        Returns the graded, unsaved attempt; raises PermissionDenied as `start_attempt` does.
        """
        earlier = [a for a, _answers in self.attempts[id(enrollment)] if a.quiz.key == quiz.key]
        refuse_attempt(
            quiz,
            used=len(earlier),
            passed=sum(1 for a in earlier if a.passed),
            phase_done=sum(1 for a in earlier if phase and a.phase == phase),
        )
        if questions is None:
            if quiz.pk not in self.questions:
                self.questions[quiz.pk] = questions_for_grading(quiz.pk)
            questions = self.questions[quiz.pk]
        attempt = QuizAttempt(
            enrollment=enrollment,
            quiz=quiz,
            number=sum(1 for a in earlier if a.quiz_id == quiz.pk) + 1,
            phase=phase,
            layout=(
                draw_layout(quiz, questions, [a.layout for a in earlier], rng)
                if quiz.is_scored
                else {}
            ),
        )
        answers = grade_attempt(attempt, questions, answer(attempt))
        self.attempts[id(enrollment)].append((attempt, answers))
        return attempt

    @transaction.atomic
    def save(self) -> None:
        """Write everything, send the signals, and complete the courses whose requirements are
        met: a passed final test, or (without one) every required lesson done."""
        Enrollment.objects.bulk_create(self.enrollments)
        signals.enrollment_created.send_batch(
            Enrollment, [{"enrollment": enrollment} for enrollment in self.enrollments]
        )
        for enrollment in self.enrollments:
            mail_learner(enrollment.pk, learner_mail.ENROLLED)
        progress_rows = [progress for progress, _lesson in self.lessons]
        LessonProgress.objects.bulk_create(progress_rows)
        lesson_events = [
            {"enrollment": progress.enrollment, "lesson": lesson, "progress": progress}
            for progress, lesson in self.lessons
        ]
        signals.lesson_started.send_batch(Enrollment, lesson_events)
        # Completed after they started (`started_at` is the time of the insert).
        completed_at = timezone.now()
        LessonProgress.objects.filter(pk__in=[p.pk for p in progress_rows]).update(
            completed_at=completed_at
        )
        for progress in progress_rows:
            progress.completed_at = completed_at
        signals.lesson_completed.send_batch(Enrollment, lesson_events)
        ScenarioDecision.objects.bulk_create(self.decisions)
        Reflection.objects.bulk_create(self.reflections.values())
        attempts = [item for items in self.attempts.values() for item in items]
        QuizAttempt.objects.bulk_create([attempt for attempt, _answers in attempts])
        # Handed in after they started (`started_at` is the time of the insert).
        submitted_at = timezone.now()
        QuizAttempt.objects.filter(pk__in=[a.pk for a, _answers in attempts]).update(
            submitted_at=submitted_at
        )
        for attempt, _answers in attempts:
            attempt.submitted_at = submitted_at
        Answer.objects.bulk_create([answer for _attempt, answers in attempts for answer in answers])
        signals.attempt_submitted.send_batch(
            QuizAttempt, [{"attempt": attempt, "answers": answers} for attempt, answers in attempts]
        )
        self._complete_courses()

    def _complete_courses(self) -> None:
        """What submit_attempt and complete_lesson decide after each step, once: the lessons a
        passed final test completes, then the courses whose requirements are met."""
        # Locked as lock_enrollment does, in one query (in pk order: no deadlock with another
        # batch). The instances are this transaction's own rows, as written.
        list(
            Enrollment.objects.select_for_update(of=("self",))
            .filter(pk__in=[e.pk for e in self.enrollments])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        done: dict[int, set[str]] = {id(e): set() for e in self.enrollments}
        for progress, _lesson in self.lessons:
            done[id(progress.enrollment)].add(progress.lesson_key)
        for enrollment in self.enrollments:
            for attempt, _answers in self.attempts[id(enrollment)]:
                if attempt.passed and attempt.quiz.kind == Quiz.Kind.FINAL:
                    if not self._final_lessons(enrollment, attempt.quiz) <= done[id(enrollment)]:
                        complete_final_test_lessons(enrollment, attempt.quiz)
        maybe_complete_courses(self.enrollments)

    def _final_lessons(self, enrollment: Enrollment, quiz: Quiz) -> set[str]:
        """Keys of the lessons that show the final test `quiz` (complete_final_test_lessons)."""
        key = (enrollment.version_id, quiz.key)
        if key not in self.final_lessons:
            self.final_lessons[key] = set(
                final_test_lessons(enrollment.version_id, quiz).values_list("key", flat=True)
            )
        return self.final_lessons[key]


def mail_learner(enrollment_id: int, kind: str) -> None:
    """Queue a learner mail (`courses.learner_mail`) for after the current transaction commits."""
    if not learner_mail.mail_wanted():
        return
    from .tasks import send_learner_mail_task

    transaction.on_commit(lambda: send_learner_mail_task.delay(enrollment_id, kind))


# --- Live sessions (masterclasses): registration, waiting list, attendance ---------------------


class RegistrationClosed(Exception):
    """The edition's registration deadline has passed, or the edition was cancelled."""


class CheckInRefused(Exception):
    """The room's code is not valid now, or the learner has no place in this edition."""


def _locked_edition(edition_id: int) -> LiveSessionEdition:
    # Every decision about places reads and writes under this row lock, so two learners can
    # never both take the last place, and a cancellation promotes exactly one waiting learner.
    return LiveSessionEdition.objects.select_for_update().get(pk=edition_id)


def register_for_edition(user, edition: LiveSessionEdition) -> LiveSessionRegistration:
    """Give `user` a place, or a place on the waiting list when the edition is full; returns the
    registration (unchanged if already active). Raises RegistrationClosed after the deadline.
    Sends the confirmation with a calendar file after commit."""
    with transaction.atomic():
        edition = _locked_edition(edition.pk)
        if not edition.registration_open:
            raise RegistrationClosed
        registration = (
            LiveSessionRegistration.objects.select_for_update()
            .filter(edition=edition, user=user)
            .first()
        )
        if registration is not None and registration.status != "cancelled":
            return registration
        taken = LiveSessionRegistration.objects.filter(
            edition=edition, status=LiveSessionRegistration.Status.REGISTERED
        ).count()
        status = (
            LiveSessionRegistration.Status.REGISTERED
            if taken < edition.capacity
            else LiveSessionRegistration.Status.WAITLISTED
        )
        if registration is None:
            registration = LiveSessionRegistration.objects.create(
                edition=edition, user=user, status=status
            )
        else:
            registration.status = status
            registration.queued_at = timezone.now()
            registration.cancelled_at = None
            registration.save(update_fields=["status", "queued_at", "cancelled_at"])
        registration_id = registration.pk
        transaction.on_commit(lambda: _send_registration_mail(registration_id))
    return registration


def cancel_registration(registration: LiveSessionRegistration) -> LiveSessionRegistration | None:
    """Cancel; a freed place goes to the first on the waiting list. Returns the promoted
    registration, if any (who is told by e-mail after commit)."""
    with transaction.atomic():
        edition = _locked_edition(registration.edition_id)
        registration = LiveSessionRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == LiveSessionRegistration.Status.CANCELLED:
            return None
        had_place = registration.status == LiveSessionRegistration.Status.REGISTERED
        registration.status = LiveSessionRegistration.Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.attended_at = None
        registration.save(update_fields=["status", "cancelled_at", "attended_at"])
        if not had_place or timezone.now() >= edition.starts_at:
            return None
        promoted = (
            LiveSessionRegistration.objects.select_for_update()
            .filter(edition=edition, status=LiveSessionRegistration.Status.WAITLISTED)
            .order_by("queued_at", "pk")
            .first()
        )
        if promoted is not None:
            promoted.status = LiveSessionRegistration.Status.REGISTERED
            promoted.save(update_fields=["status"])
            promoted_id = promoted.pk
            transaction.on_commit(lambda: _send_registration_mail(promoted_id, promoted=True))
        return promoted


@transaction.atomic
def record_attendance(edition: LiveSessionEdition, present_ids) -> int:
    """The trainer's tick list: mark exactly the registrations in `present_ids` present (only
    registered learners can be). Returns how many are present."""
    present_ids = {int(pk) for pk in present_ids}
    registered = LiveSessionRegistration.objects.filter(
        edition=edition, status=LiveSessionRegistration.Status.REGISTERED
    )
    registered.filter(pk__in=present_ids, attended_at__isnull=True).update(
        attended_at=timezone.now()
    )
    registered.exclude(pk__in=present_ids).update(attended_at=None)
    return registered.filter(attended_at__isnull=False).count()


CHECK_IN_SALT = "courses.live-check-in"
CHECK_IN_TOKEN_SECONDS = 15 * 60


def check_in_token(edition: LiveSessionEdition) -> str:
    """The code in the room's QR code: signed, for this edition, expiring after 15 minutes (the
    trainer's page shows a fresh one)."""
    return signing.TimestampSigner(salt=CHECK_IN_SALT).sign(str(edition.pk))


@transaction.atomic
def check_in(user, edition: LiveSessionEdition, token: str) -> LiveSessionRegistration:
    """Mark `user` present by the room's QR code; only while the edition runs and only with a
    place. Raises CheckInRefused."""
    try:
        value = signing.TimestampSigner(salt=CHECK_IN_SALT).unsign(
            token, max_age=CHECK_IN_TOKEN_SECONDS
        )
    except signing.BadSignature:
        raise CheckInRefused from None
    if value != str(edition.pk) or not edition.is_running():
        raise CheckInRefused
    registration = (
        LiveSessionRegistration.objects.select_for_update()
        .filter(edition=edition, user=user, status=LiveSessionRegistration.Status.REGISTERED)
        .first()
    )
    if registration is None:
        raise CheckInRefused
    if registration.attended_at is None:
        registration.attended_at = timezone.now()
        registration.save(update_fields=["attended_at"])
    return registration


def _send_registration_mail(registration_id: int, promoted: bool = False) -> None:
    from .tasks import send_live_session_mail

    send_live_session_mail.delay(registration_id, "promoted" if promoted else "registered")


def send_edition_reminders(within=None) -> int:
    """Queue a reminder for every place in an edition that starts within `within` (default 24
    hours) and has had none; returns how many. Run by Celery beat."""
    within = within or timedelta(hours=24)
    now = timezone.now()
    due = list(
        LiveSessionRegistration.objects.filter(
            status=LiveSessionRegistration.Status.REGISTERED,
            reminder_sent_at__isnull=True,
            edition__cancelled_at__isnull=True,
            edition__starts_at__gt=now,
            edition__starts_at__lte=now + within,
        ).values_list("pk", flat=True)
    )
    from .tasks import send_live_session_mail

    for pk in due:
        # Marked first, in its own statement: a reminder is never sent twice.
        if LiveSessionRegistration.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        ):
            send_live_session_mail.delay(pk, "reminder")
    return len(due)


def course_reminders_due(now: datetime) -> Q:
    """Enrolments that get an inactivity reminder at `now`: unfinished, the learner wants
    reminders, no progress for COURSE_REMINDER_DAYS, and no reminder since that last progress."""
    cutoff = now - timedelta(days=settings.COURSE_REMINDER_DAYS)
    return (
        Q(completed_at__isnull=True, user__is_active=True, user__course_reminders=True)
        & (
            Q(last_activity_at__lte=cutoff)
            | Q(last_activity_at__isnull=True, enrolled_at__lte=cutoff)
        )
        & (Q(reminded_at__isnull=True) | Q(reminded_at__lt=F("last_activity_at")))
    )


def send_course_reminders(now: datetime | None = None) -> int:
    """Queue one reminder for every enrolment `course_reminders_due()`; returns how many. Marks
    `reminded_at` first, so a reminder goes once per inactivity period. Run by Celery beat and
    by `manage.py send_course_reminders`."""
    now = now or timezone.now()
    due = list(Enrollment.objects.filter(course_reminders_due(now)).values_list("pk", flat=True))
    sent = 0
    for pk in due:
        with transaction.atomic():
            # Lock, then ask again in a new statement: a sweep running beside this one, or
            # progress made meanwhile, has committed by now, so no reminder goes twice or too late.
            if not list(Enrollment.objects.select_for_update().filter(pk=pk).values_list("pk")):
                continue
            if not Enrollment.objects.filter(Q(pk=pk) & course_reminders_due(now)).exists():
                continue
            Enrollment.objects.filter(pk=pk).update(reminded_at=now)
            mail_learner(pk, learner_mail.REMINDER)
            sent += 1
    return sent


@dataclass
class TrackStep:
    """One step of a leerlijn as a learner sees it on the dashboard."""

    kind: str  # "course" or "live"
    title: str
    url: str
    status: str  # "done", "active" (enrolled), "registered", "waitlisted", "todo"
    starts_at: datetime | None = None
    is_next: bool = False
    certificate_url: str = ""  # an attended masterclass: its attendance certificate


def track_overview(enrollments, registrations) -> list[tuple[LearningTrack, list[TrackStep]]]:
    """Every leerlijn with its steps (courses and live sessions, in order) and the learner's
    status per step; the first step not done is marked `is_next`. `enrollments` and
    `registrations` are the dashboard's (`courses.learner_rows.dashboard_rows()`: enrolments
    with `is_completed`, masterclass places that count, by start), so no query: the tracks and
    their steps are kept in memory (`courses.catalog_content`: one cache read)."""
    from .catalog_content import track_outlines

    tracks = track_outlines()  # shared by every request: read only
    if not tracks:
        return []
    completed = {e.course_id for e in enrollments if e.is_completed}
    enrolled = {e.course_id for e in enrollments}
    by_type: dict[int, LiveSessionRegistration] = {}
    for registration in registrations:  # in date order: the first upcoming place wins
        type_id = registration.edition.session_type_id
        if registration.attended_at:
            by_type[type_id] = registration  # attended once is done, whatever else
        elif type_id not in by_type:
            by_type[type_id] = registration
    overview = []
    for track, outline in tracks:
        steps = []
        for step in outline:
            if step.kind == "course":
                status = (
                    "done"
                    if step.target_id in completed
                    else "active"
                    if step.target_id in enrolled
                    else "todo"
                )
                steps.append(TrackStep("course", step.title, step.url, status))
                continue
            chosen = by_type.get(step.target_id)
            status, starts_at, certificate_url = "todo", None, ""
            if chosen is not None:
                starts_at = chosen.edition.starts_at
                status = "done" if chosen.attended_at else chosen.status
                if chosen.attended_at:
                    certificate_url = reverse(
                        "courses:live_certificate", args=[step.slug, chosen.edition_id]
                    )
            steps.append(
                TrackStep(
                    "live", step.title, step.url, status, starts_at, certificate_url=certificate_url
                )
            )
        for track_step in steps:
            if track_step.status != "done":
                track_step.is_next = True
                break
        overview.append((track, steps))
    return overview


def release_live_registrations(user) -> None:
    """For account deletion: cancel the user's active masterclass places (each freed place goes
    to the waiting list) and delete every registration they did not attend."""
    for registration in LiveSessionRegistration.objects.active().filter(
        user=user, attended_at__isnull=True
    ):
        cancel_registration(registration)
    LiveSessionRegistration.objects.filter(user=user, attended_at__isnull=True).delete()
