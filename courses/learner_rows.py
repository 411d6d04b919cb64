"""The learner's own rows for the learner pages around the lessons, one statement per page.

The content of these pages (lessons, tests, question counts) comes from the version's outline
(`courses.outlines`, no query once read); what is the learner's own is read here in one
statement, as `courses.lesson_pages.learner_state()` does for the lesson page. Hand-written SQL
because the ORM's compile time for the equivalent querysets is several times the queries
themselves; model instances come back holding only the fields read here (the rest load on
access), and the tests hold the pages to their query counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from .lesson_pages import db_datetime
from .models import (
    ENROLLMENT_BEHIND_SQL,
    Course,
    CourseCompletion,
    CourseVersion,
    Enrollment,
    LiveSessionEdition,
    LiveSessionRegistration,
    Quiz,
    QuizAttempt,
)
from .outlines import set_progress
from .publishing import keep_on_published_version

# The enrolment in course `slug` with its course and version, the learner's attempts at tests
# with key `quiz key` (in any version: attempts follow a quiz by its key), and the keys of the
# lessons they completed. Columns: (kind, id, number, quiz or course id, version id, timestamp,
# text, text, text, score, passed); unused ones NULL.
QUIZ_PAGE_SQL = """
WITH e AS (
    SELECT enrollment.id, enrollment.course_id, enrollment.version_id, course.slug,
           version.title, version.status,
           {ENROLLMENT_BEHIND_SQL} AS behind
    FROM courses_enrollment enrollment
    JOIN courses_course course ON course.id = enrollment.course_id
    JOIN courses_courseversion version ON version.id = enrollment.version_id
    WHERE enrollment.user_id = %s AND course.slug = %s
)
SELECT 'enrollment', e.id, e.behind, e.course_id, e.version_id, NULL, e.slug, e.title, e.status,
       CAST(NULL AS NUMERIC), CAST(NULL AS BOOLEAN)
FROM e
UNION ALL
SELECT 'attempt', attempt.id, attempt.number, attempt.quiz_id, NULL, attempt.submitted_at, NULL,
       NULL, NULL, attempt.score, attempt.passed
FROM courses_quizattempt attempt
JOIN e ON attempt.enrollment_id = e.id
JOIN courses_quiz quiz ON quiz.id = attempt.quiz_id
WHERE quiz.key = %s
UNION ALL
SELECT 'lesson', NULL, NULL, NULL, NULL, NULL, progress.lesson_key, NULL, NULL, NULL, NULL
FROM courses_lessonprogress progress
JOIN e ON progress.enrollment_id = e.id
WHERE progress.completed_at IS NOT NULL
""".replace("{ENROLLMENT_BEHIND_SQL}", ENROLLMENT_BEHIND_SQL)


def from_row(model, **values):
    """An instance of `model` from a raw row's `values` (by attname), the other fields deferred.
    (`Model.from_db()` takes the values in the order of the model's fields.)"""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    if len(names) != len(values):
        raise ValueError(f"not fields of {model.__name__}: {set(values) - set(names)}")
    return model.from_db(connection.alias, names, [values[name] for name in names])


@dataclass
class QuizPageRows:
    """The learner's rows for a test's page (`quiz_page_rows()`)."""

    enrollment: Enrollment
    attempts: list[QuizAttempt] = field(default_factory=list)  # by number
    completed_keys: set[str] = field(default_factory=set)


def quiz_page_rows(user, slug: str, quiz_key: str) -> QuizPageRows | None:
    """The learner's enrolment in course `slug` (with `course` and `version`: their id, slug,
    title and status), their attempts at tests with key `quiz_key` in any version of it, and
    the keys of their completed lessons; None when they are not enrolled. One query."""
    with connection.cursor() as cursor:
        cursor.execute(QUIZ_PAGE_SQL, [user.pk, slug, quiz_key])
        rows = cursor.fetchall()
    enrollment = None
    attempts: list[QuizAttempt] = []
    completed: set[str] = set()
    score = QuizAttempt._meta.get_field("score")
    for kind, pk, number, ref, version_id, moment, text, title, status, value, passed in rows:
        if kind == "enrollment":
            if number:  # "behind": see keep_on_published_version; moved, then read again
                behind = from_row(Enrollment, id=pk, course_id=ref, version_id=version_id)
                behind.completed_at = None
                keep_on_published_version(behind)
                return quiz_page_rows(user, slug, quiz_key)
            enrollment = from_row(
                Enrollment, id=pk, user_id=user.pk, course_id=ref, version_id=version_id
            )
            enrollment.user = user
            enrollment.course = from_row(Course, id=ref, slug=text)
            enrollment.version = from_row(
                CourseVersion, id=version_id, course_id=ref, title=title, status=status
            )
        elif kind == "attempt":
            attempts.append(
                from_row(
                    QuizAttempt,
                    id=pk,
                    quiz_id=ref,
                    number=number,
                    submitted_at=db_datetime(moment),
                    score=score.to_python(value),
                    passed=None if passed is None else bool(passed),
                )
            )
        else:
            completed.add(text)
    if enrollment is None:
        return None
    for attempt in attempts:
        attempt.enrollment_id = enrollment.pk
    attempts.sort(key=lambda a: (a.number, a.pk))
    return QuizPageRows(enrollment, attempts, completed)


# The learner's enrolment in a course, whether they handed in the self-assessment's voormeting
# and passed a final test, their lesson progress, and the courses they completed (of which the
# course page shows the prerequisites, `catalog_content.track_prerequisites()`, still open).
# Columns: (kind, id, version id, lesson key, timestamp, timestamp, pre done, final passed);
# unused ones NULL.
COURSE_PAGE_SQL = """
WITH e AS (
    SELECT enrollment.id, enrollment.version_id, enrollment.last_lesson_key,
           enrollment.completed_at, enrollment.time_pending_since
    FROM courses_enrollment enrollment
    WHERE enrollment.user_id = %s AND enrollment.course_id = %s
)
SELECT 'enrollment', e.id, e.version_id, e.last_lesson_key, e.completed_at,
       e.time_pending_since,
       EXISTS (SELECT 1 FROM courses_quizattempt attempt
               WHERE attempt.enrollment_id = e.id AND attempt.submitted_at IS NOT NULL
                 AND attempt.phase = %s),
       EXISTS (SELECT 1 FROM courses_quizattempt attempt
               JOIN courses_quiz quiz ON quiz.id = attempt.quiz_id
               WHERE attempt.enrollment_id = e.id AND attempt.submitted_at IS NOT NULL
                 AND quiz.kind = %s AND attempt.passed)
FROM e
UNION ALL
SELECT 'progress', NULL, NULL, progress.lesson_key, progress.completed_at, NULL, NULL, NULL
FROM courses_lessonprogress progress JOIN e ON progress.enrollment_id = e.id
UNION ALL
SELECT 'completed', done.course_id, NULL, NULL, NULL, NULL, NULL, NULL
FROM courses_enrollment done
WHERE done.user_id = %s AND done.completed_at IS NOT NULL
"""


def course_page_rows(user, course, prerequisites) -> tuple[Enrollment | None, dict, list[Course]]:
    """The learner's enrolment in `course` (None when not enrolled), with `pre_done` (the
    voormeting handed in) and `final_passed`; their lesson progress (lesson key -> completed
    at, or None); and those of `prerequisites` (courses) they have not completed. The
    enrolment holds its ids, resume point, completion and time pending; its version is the
    course's published one when it is enrolled in that. One query.
    """
    params = [user.pk, course.pk, QuizAttempt.Phase.PRE, Quiz.Kind.FINAL, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(COURSE_PAGE_SQL, params)
        rows = cursor.fetchall()
    enrollment = None
    progress: dict[str, Any] = {}
    completed: set[int] = set()
    for kind, pk, version_id, key, moment, pending, pre_done, final_passed in rows:
        if kind == "enrollment":
            enrollment = from_row(
                Enrollment,
                id=pk,
                user_id=user.pk,
                course_id=course.pk,
                version_id=version_id,
                last_lesson_key=key,
                completed_at=db_datetime(moment),
                time_pending_since=db_datetime(pending),
            )
            enrollment.user = user
            enrollment.course = course
            if version_id == course.published_version_id:
                enrollment.version = course.published_version
            enrollment.pre_done = bool(pre_done)  # type: ignore[attr-defined]
            enrollment.final_passed = bool(final_passed)  # type: ignore[attr-defined]
        elif kind == "progress":
            progress[key] = db_datetime(moment)
        else:
            completed.add(pk)
    if enrollment is not None:
        # Left behind unfinished by publishing: moves now (no query when it was not); its lesson
        # progress and tests passed count by key, so the rows read stay right.
        enrollment = keep_on_published_version(enrollment)
    return enrollment, progress, [c for c in prerequisites if c.pk not in completed]


# The learner's enrolments, newest first, with their course, version and completion (and its
# version), and the keys of the lessons each completed. Columns: (kind, enrolment id, course id,
# version id, completed at, resume point or lesson key, course slug, version title, version
# status, completion id, completion version id, completion version title); unused ones NULL.
ENROLLMENTS_SQL = """
WITH e AS (
    SELECT enrollment.id, enrollment.course_id, enrollment.version_id, enrollment.completed_at,
           enrollment.last_lesson_key, enrollment.enrolled_at
    FROM courses_enrollment enrollment WHERE enrollment.user_id = %s
)
SELECT * FROM (
    SELECT 'enrollment', e.id, e.course_id, e.version_id, e.completed_at, e.last_lesson_key,
           course.slug, version.title, version.status, completion.id, completion.version_id,
           completed.title, e.enrolled_at
    FROM e
    JOIN courses_course course ON course.id = e.course_id
    JOIN courses_courseversion version ON version.id = e.version_id
    LEFT JOIN courses_coursecompletion completion ON completion.enrollment_id = e.id
    LEFT JOIN courses_courseversion completed ON completed.id = completion.version_id
    UNION ALL
    SELECT 'lesson', progress.enrollment_id, NULL, NULL, NULL, progress.lesson_key, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL
    FROM courses_lessonprogress progress JOIN e ON progress.enrollment_id = e.id
    WHERE progress.completed_at IS NOT NULL
    {REGISTRATIONS}
) AS learner_rows
"""
# The dashboard's leerlijn also shows the learner's masterclass places that count: not cancelled,
# and attended or not yet over (`courses.services.track_overview()`). Columns: (kind, id, session
# type id, edition id, attended at, status, NULL × 6, edition starts at).
DASHBOARD_SQL = ENROLLMENTS_SQL.replace(
    "{REGISTRATIONS}",
    """UNION ALL
    SELECT 'registration', registration.id, edition.session_type_id, registration.edition_id,
           registration.attended_at, registration.status, NULL, NULL, NULL, NULL, NULL, NULL,
           edition.starts_at
    FROM courses_livesessionregistration registration
    JOIN courses_livesessionedition edition ON edition.id = registration.edition_id
    WHERE registration.user_id = %s AND registration.status <> %s
      AND (registration.attended_at IS NOT NULL OR edition.ends_at > %s)""",
)
ENROLLMENTS_SQL = ENROLLMENTS_SQL.replace("{REGISTRATIONS}", "")


def enrollments_with_progress(user) -> list[Enrollment]:
    """The learner's enrolments, newest first, as `Enrollment.objects.for_dashboard(user)
    .select_related("completion__version")` gives them but holding only their ids, completion,
    resume point, the course's slug, the version's title and status and the completion's
    version title; with `lessons_required` and `lessons_done` (`courses.outlines.set_progress`).
    One query, once the versions' outlines are read."""
    with connection.cursor() as cursor:
        cursor.execute(ENROLLMENTS_SQL, [user.pk])
        rows = cursor.fetchall()
    return _enrollments_from_rows(user, rows)


def dashboard_rows(user) -> tuple[list[Enrollment], list[LiveSessionRegistration]]:
    """`enrollments_with_progress(user)`, and the learner's masterclass registrations that are not
    cancelled and were attended or have not ended yet, by the edition's start, each with its
    `edition` (id, session type id, start) and holding its status and attendance. One query."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            DASHBOARD_SQL, [user.pk, user.pk, LiveSessionRegistration.Status.CANCELLED, now]
        )
        rows = cursor.fetchall()
    registrations: list[tuple[Any, int, LiveSessionRegistration]] = []
    for kind, pk, type_id, edition_id, attended, status, *_unused, starts in rows:
        if kind != "registration":
            continue
        registration = from_row(
            LiveSessionRegistration,
            id=pk,
            edition_id=edition_id,
            user_id=user.pk,
            status=status,
            attended_at=db_datetime(attended),
        )
        registration.edition = from_row(
            LiveSessionEdition,
            id=edition_id,
            session_type_id=type_id,
            starts_at=db_datetime(starts),
        )
        registrations.append((registration.edition.starts_at, pk, registration))
    registrations.sort(key=lambda item: item[:2])
    enrollments = _enrollments_from_rows(user, [row for row in rows if row[0] != "registration"])
    return enrollments, [registration for _start, _pk, registration in registrations]


def _enrollments_from_rows(user, rows) -> list[Enrollment]:
    found: list[tuple[Any, Enrollment]] = []
    completed: dict[int, set[str]] = {}
    completion_cache = Enrollment.completion.related  # type: ignore[attr-defined]
    for row in rows:
        kind, pk, course_id, version_id, moment, key = row[:6]
        if kind != "enrollment":
            completed.setdefault(pk, set()).add(key)
            continue
        slug, title, status, completion_id, completion_version_id, completion_title = row[6:12]
        enrollment = from_row(
            Enrollment,
            id=pk,
            user_id=user.pk,
            course_id=course_id,
            version_id=version_id,
            last_lesson_key=key,
            completed_at=db_datetime(moment),
        )
        enrollment.course = from_row(Course, id=course_id, slug=slug)
        enrollment.version = from_row(
            CourseVersion, id=version_id, course_id=course_id, title=title, status=status
        )
        completion = None
        if completion_id is not None:
            completion = from_row(
                CourseCompletion,
                id=completion_id,
                enrollment_id=pk,
                version_id=completion_version_id,
            )
            completion.version = from_row(
                CourseVersion, id=completion_version_id, title=completion_title
            )
            completion.enrollment = enrollment
        completion_cache.set_cached_value(enrollment, completion)
        found.append((db_datetime(row[12]), enrollment))
    found.sort(key=lambda item: (item[0], item[1].pk), reverse=True)
    enrollments = [enrollment for _enrolled_at, enrollment in found]
    for enrollment in enrollments:
        set_progress(enrollment, completed.get(enrollment.pk, set()))
    return enrollments
