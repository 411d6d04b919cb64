"""Author reports: enrolments, the lesson funnel, quiz item analysis and self-assessment shifts.

Every function reads a bounded number of queries whatever the number of learners, lessons or
questions (pinned in tests/courses/test_reports.py) and aggregates across versions by `key`,
so a question keeps its statistics when a new version is published. Reports are about groups:
they never name a learner and never read reflections.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import partial
from statistics import mean, median
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags

from .models import (
    Answer,
    Course,
    CourseCompletion,
    CourseReportSnapshot,
    CourseVersion,
    Enrollment,
    LessonProgress,
    Option,
    Question,
    Quiz,
    QuizAttempt,
)

# Share of attempts in the upper and lower groups for the discrimination index (Kelley's 27 %).
DISCRIMINATION_GROUP = 0.27


def report_version(course: Course) -> CourseVersion | None:
    """The version whose structure the report follows: the published one, else the newest."""
    return course.published_version or course.versions.order_by("-number").first()


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def percent_text(rate: float | None) -> str:
    """‘43%’ for 0.43; ‘–’ when there is nothing to divide by."""
    return "–" if rate is None else f"{round(rate * 100)}%"


@dataclass
class CourseSummary:
    enrollments: int
    completed: int
    final_attempted: int
    final_passed: int
    average_seconds: float | None

    @property
    def average_minutes(self):
        """Time on task in minutes (what authors plan study load in)."""
        return None if self.average_seconds is None else self.average_seconds / 60

    @property
    def completion_rate(self):
        return _rate(self.completed, self.enrollments)

    @property
    def pass_rate(self):
        return _rate(self.final_passed, self.final_attempted)

    @property
    def completion_pct(self):
        return percent_text(self.completion_rate)

    @property
    def pass_pct(self):
        return percent_text(self.pass_rate)


def course_summary(course: Course) -> CourseSummary:
    """Enrolments, completions, final-test pass rate and average time on task. Two queries."""
    final_attempts = QuizAttempt.objects.filter(
        enrollment=OuterRef("pk"), quiz__kind=Quiz.Kind.FINAL, submitted_at__isnull=False
    )
    row = Enrollment.objects.filter(course=course).aggregate(
        n=Count("pk"),
        completed=Count(
            "pk", filter=Exists(CourseCompletion.objects.filter(enrollment=OuterRef("pk")))
        ),
        attempted=Count("pk", filter=Exists(final_attempts)),
        passed=Count("pk", filter=Exists(final_attempts.filter(passed=True))),
    )
    seconds = LessonProgress.objects.filter(enrollment__course=course).aggregate(
        s=Sum("seconds_spent")
    )["s"]
    return CourseSummary(
        enrollments=row["n"],
        completed=row["completed"],
        final_attempted=row["attempted"],
        final_passed=row["passed"],
        average_seconds=(seconds or 0) / row["n"] if row["n"] else None,
    )


@dataclass
class FunnelRow:
    lesson_key: str
    title: str
    module_title: str
    required: bool
    started: int
    completed: int
    average_seconds: float | None
    enrollments: int
    estimated_minutes: int = 0
    # Median time on task of the learners who completed the lesson (None: nobody did yet).
    median_seconds: float | None = None

    @property
    def average_minutes(self):
        """Time on task in minutes (what authors plan study load in)."""
        return None if self.average_seconds is None else self.average_seconds / 60

    @property
    def median_minutes(self):
        """Median time on task in minutes, to check the lesson's estimate against."""
        return None if self.median_seconds is None else self.median_seconds / 60

    @property
    def started_rate(self):
        return _rate(self.started, self.enrollments)

    @property
    def completed_rate(self):
        return _rate(self.completed, self.enrollments)

    @property
    def pct(self):
        return percent_text(self.completed_rate)


class Median(Aggregate):
    """PostgreSQL's median: the 50th continuous percentile of the expression."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def lesson_funnel(course: Course, enrollments: int | None = None) -> list[FunnelRow]:
    """Per lesson of the report version, in order: learners who started and completed it, their
    average time in it, and the median time of those who completed it beside the lesson's
    estimated minutes. Three queries (two when `enrollments` is given)."""
    version = report_version(course)
    if version is None:
        return []
    if enrollments is None:
        enrollments = Enrollment.objects.filter(course=course).count()
    progress = LessonProgress.objects.filter(enrollment__course=course)
    done = Q(completed_at__isnull=False)
    medians = {}
    if connection.vendor == "postgresql":
        extra = {"median": Median("seconds_spent", filter=done)}
    else:  # SQLite (`make run`): the median of each lesson's completed times, read here
        extra = {}
        times: dict[str, list[int]] = defaultdict(list)
        for key, seconds in progress.filter(done).values_list("lesson_key", "seconds_spent"):
            times[key].append(seconds)
        medians = {key: float(median(values)) for key, values in times.items()}
    stats: dict[str, dict[str, Any]] = {
        row["lesson_key"]: dict(row)
        for row in progress.values("lesson_key").annotate(
            started=Count("pk"),
            completed=Count("pk", filter=done),
            seconds=Sum("seconds_spent"),
            **extra,
        )
    }
    for key, value in medians.items():
        stats.setdefault(key, {})["median"] = value
    rows = []
    for lesson in version.lessons_in_order():
        row: Any = stats.get(lesson.key, {})
        started = row.get("started", 0)
        rows.append(
            FunnelRow(
                lesson_key=lesson.key,
                title=lesson.title,
                module_title=lesson.module.title,
                required=lesson.required,
                started=started,
                completed=row.get("completed", 0),
                average_seconds=(row.get("seconds") or 0) / started if started else None,
                enrollments=enrollments,
                estimated_minutes=lesson.estimated_minutes,
                median_seconds=row.get("median"),
            )
        )
    return rows


@dataclass
class OptionRow:
    key: str
    text: str
    is_correct: bool
    chosen: int
    answers: int

    @property
    def chosen_rate(self):
        return _rate(self.chosen, self.answers)

    @property
    def pct(self):
        return percent_text(self.chosen_rate)


@dataclass
class QuestionRow:
    quiz_key: str
    quiz_title: str
    key: str
    position: int
    kind: str
    prompt: str
    answers: int = 0
    correct: int = 0
    discrimination: float | None = None
    options: list[OptionRow] = field(default_factory=list)
    # The quiz draws from a pool: `answers` is then how often this question was drawn (and
    # handed in), so each pooled question has statistics of its own.
    pooled: bool = False
    # How often an answer was chosen in each displayed position (1 = shown first), as the
    # attempt's shuffled layout showed it: a cluster on one position shows guessing by place.
    positions: list[OptionRow] = field(default_factory=list)

    @property
    def drawn(self) -> int:
        return self.answers

    @property
    def difficulty(self):
        """The share of answers that were correct (the p-value): high means easy."""
        return _rate(self.correct, self.answers)

    @property
    def pct(self):
        return percent_text(self.difficulty)


def _sql_of(queryset) -> tuple[str, tuple]:
    """The SQL and parameters of an ORM queryset, to wrap in a window or grouping query.

    Ranking within groups and unnesting JSON arrays are beyond the ORM's aggregates; the filters
    stay ORM-built and the parameters stay bound, only the outer grouping is written by hand."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _run(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def question_stats(course: Course) -> list[QuestionRow]:
    """Item analysis of the report version's graded quizzes, by quiz and question key.

    Reads the version's questions (1 + one query per question type + options), the per-question
    counts and the discrimination groups (1, computed by PostgreSQL), the option choices (1) and
    the options of all versions (1), whatever the number of answers: no answer reaches Python.
    """
    version = report_version(course)
    if version is None:
        return []
    questions = [
        q
        for q in Question.objects.filter(quiz__version=version)
        .exclude(quiz__kind=Quiz.Kind.SELF_ASSESSMENT)
        .select_related("quiz")
        .prefetch_related("options")
        .order_by("quiz__kind", "quiz__key", "position")
        if q.scored
    ]
    rows: dict[tuple[str, str], QuestionRow] = {}
    for q in questions:
        row = QuestionRow(
            quiz_key=q.quiz.key,
            quiz_title=q.quiz.title,
            key=q.key,
            position=q.position + 1,
            kind=q.kind,
            prompt=strip_tags(q.prompt).strip(),
            pooled=q.quiz.draw is not None,
        )
        if q.marks_correct:
            row.options = [OptionRow(o.key, o.text, o.is_correct, 0, 0) for o in q.options.all()]
            row.positions = [
                OptionRow(str(n), str(n), False, 0, 0) for n in range(1, len(row.options) + 1)
            ]
        rows[(q.quiz.key, q.key)] = row
    if not rows:
        return []
    if connection.vendor != "postgresql":
        _question_stats_in_python(course, rows)
        return list(rows.values())
    answers = Answer.objects.filter(
        attempt__enrollment__course=course,
        attempt__submitted_at__isnull=False,
        question__quiz__key__in=sorted({k[0] for k in rows}),
        question__key__in=sorted({k[1] for k in rows}),
    )
    # Attempts ranked by score within each question (ties by attempt id); the upper and lower
    # groups are Kelley's 27 % of them, with the same float arithmetic as math.ceil(n * 0.27).
    ranked_sql, ranked_params = _sql_of(
        answers.annotate(
            quiz_key=F("question__quiz__key"),
            question_key=F("question__key"),
            score=Coalesce("attempt__score", Value(Decimal(0))),
        ).values_list("quiz_key", "question_key", "is_correct", "score", "attempt_id")
    )
    stats = _run(
        f"""
        SELECT quiz_key, question_key, n, correct_n,
               count(*) FILTER (WHERE correct AND pos > n - size),
               count(*) FILTER (WHERE correct AND pos <= size), size
        FROM (
            SELECT r.*, GREATEST(1, ceil(r.n * %s::float8))::int AS size,
                   count(*) FILTER (WHERE r.correct) OVER (PARTITION BY quiz_key, question_key)
                       AS correct_n
            FROM (
                SELECT a.quiz_key, a.question_key, a.is_correct AS correct,
                       row_number() OVER (PARTITION BY a.quiz_key, a.question_key
                                          ORDER BY a.score, a.attempt_id) AS pos,
                       count(*) OVER (PARTITION BY a.quiz_key, a.question_key) AS n
                FROM ({ranked_sql}) AS a (quiz_key, question_key, is_correct, score, attempt_id)
            ) AS r
        ) AS g
        GROUP BY quiz_key, question_key, n, correct_n, size
        """,  # noqa: S608 (only the ORM's compiled SQL is interpolated)
        (DISCRIMINATION_GROUP, *ranked_params),
    )
    for quiz_key, question_key, n, correct, upper, lower, size in stats:
        found = rows.get((quiz_key, question_key))
        if found is None:
            continue
        row = found
        row.answers, row.correct = n, correct
        row.discrimination = None if n < 4 else upper / size - lower / size
    # Chosen options: {"options": [ids]} when non-empty, else {"option": id}; with the position
    # the attempt's layout showed each in (none for an attempt without a layout).
    picked_sql, picked_params = _sql_of(
        answers.annotate(
            quiz_key=F("question__quiz__key"),
            question_key=F("question__key"),
            layout=F("attempt__layout"),
        ).values_list("quiz_key", "question_key", "question_id", "layout", "response")
    )
    chosen: list[tuple[str, str, int, int | None, int]] = []
    for quiz_key, question_key, pk, shown_at, count in _run(
        f"""
        SELECT a.quiz_key, a.question_key, picked.pk, shown.pos, count(*)
        FROM ({picked_sql}) AS a (quiz_key, question_key, question_id, layout, response)
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE
                WHEN jsonb_typeof(a.response -> 'options') = 'array'
                     AND jsonb_array_length(a.response -> 'options') > 0
                    THEN a.response -> 'options'
                WHEN jsonb_typeof(a.response -> 'option') = 'number'
                    THEN jsonb_build_array(a.response -> 'option')
                ELSE '[]'::jsonb
            END
        ) AS picked (pk)
        LEFT JOIN LATERAL (
            SELECT shown_option.pos
            FROM jsonb_array_elements(
                CASE
                    WHEN jsonb_typeof(a.layout -> 'options' -> a.question_id::text) = 'array'
                        THEN a.layout -> 'options' -> a.question_id::text
                    ELSE '[]'::jsonb
                END
            ) WITH ORDINALITY AS shown_option (pk, pos)
            WHERE shown_option.pk = picked.pk
        ) AS shown ON true
        WHERE jsonb_typeof(picked.pk) = 'number'
        GROUP BY 1, 2, 3, 4
        """,  # noqa: S608
        picked_params,
    ):
        try:
            chosen.append((quiz_key, question_key, int(pk), shown_at, count))
        except (TypeError, ValueError):
            continue
    _count_choices(course, rows, chosen)
    return list(rows.values())


def _count_choices(course: Course, rows: dict, chosen) -> None:
    """Fill each question's options and displayed positions from `chosen` rows (quiz key,
    question key, option id, displayed position or None, count). One query (the option keys and
    authored positions of every version); an attempt without a layout showed the authored order."""
    options = {
        pk: (key, position)
        for pk, key, position in Option.objects.filter(
            question__quiz__version__course=course
        ).values_list("pk", "key", "position")
    }
    by_key: dict[tuple[str, str, str], int] = defaultdict(int)
    by_position: dict[tuple[str, str, int], int] = defaultdict(int)
    for quiz_key, question_key, pk, shown_at, count in chosen:
        if pk not in options:
            continue
        key, position = options[pk]
        by_key[(quiz_key, question_key, key)] += count
        by_position[(quiz_key, question_key, shown_at or position + 1)] += count
    for (quiz_key, question_key), row in rows.items():
        for option in row.options:
            option.chosen = by_key.get((quiz_key, question_key, option.key), 0)
            option.answers = row.answers
        for place in row.positions:
            place.chosen = by_position.get((quiz_key, question_key, int(place.key)), 0)
            place.answers = row.answers


@dataclass
class ShiftRow:
    quiz_key: str
    key: str
    prompt: str
    scale_max: int
    pre_count: int
    pre_mean: float | None
    post_count: int
    post_mean: float | None
    paired: int
    paired_shift: float | None

    @property
    def shift(self):
        if self.pre_mean is None or self.post_mean is None:
            return None
        return self.post_mean - self.pre_mean


def _mean(value: Decimal | None) -> float | int | None:
    """PostgreSQL's avg() as statistics.mean() returns it for integers: an int when whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def self_assessment_shifts(course: Course) -> list[ShiftRow]:
    """Per self-assessment statement: mean rating before (phase pre) and after (post) the course,
    and the mean shift of learners who rated both. A learner's latest attempt per phase with a
    whole-number rating counts. Reads the statements (1 + one per question type) and one
    aggregate computed by PostgreSQL (1): no answer reaches Python."""
    version = report_version(course)
    if version is None:
        return []
    statements = [
        q
        for q in Question.objects.filter(
            quiz__version=version, quiz__kind=Quiz.Kind.SELF_ASSESSMENT
        )
        .select_related("quiz")
        .order_by("quiz__key", "position")
        if not q.scored
    ]
    if not statements:
        return []
    if connection.vendor != "postgresql":
        return _shifts_in_python(course, statements)
    ratings_sql, ratings_params = _sql_of(
        Answer.objects.filter(
            attempt__enrollment__course=course,
            attempt__submitted_at__isnull=False,
            attempt__phase__in=["pre", "post"],
            question__quiz__kind=Quiz.Kind.SELF_ASSESSMENT,
        )
        .annotate(
            enrollment=F("attempt__enrollment_id"),
            phase=F("attempt__phase"),
            quiz_key=F("question__quiz__key"),
            question_key=F("question__key"),
            submitted=F("attempt__submitted_at"),
        )
        .values_list(
            "enrollment", "phase", "quiz_key", "question_key", "response", "submitted", "attempt_id"
        )
    )
    stats = {
        (quiz_key, key): rest
        for quiz_key, key, *rest in _run(
            f"""
            WITH latest AS (
                SELECT DISTINCT ON (a.enrollment, a.phase, a.quiz_key, a.question_key)
                       a.enrollment, a.phase, a.quiz_key, a.question_key,
                       (a.response ->> 'value')::bigint AS value
                FROM ({ratings_sql}) AS a (enrollment, phase, quiz_key, question_key, response,
                                           submitted, attempt_id)
                WHERE jsonb_typeof(a.response -> 'value') = 'number'
                  AND a.response ->> 'value' ~ '^-?[0-9]+$'
                ORDER BY a.enrollment, a.phase, a.quiz_key, a.question_key,
                         a.submitted DESC, a.attempt_id DESC
            ), paired AS (
                SELECT quiz_key, question_key,
                       max(value) FILTER (WHERE phase = 'pre') AS pre,
                       max(value) FILTER (WHERE phase = 'post') AS post
                FROM latest
                GROUP BY enrollment, quiz_key, question_key
            )
            SELECT quiz_key, question_key, count(pre), avg(pre), count(post), avg(post),
                   count(post - pre), avg(post - pre)
            FROM paired
            GROUP BY quiz_key, question_key
            """,  # noqa: S608
            ratings_params,
        )
    }
    rows = []
    for q in statements:
        pre_n, pre_avg, post_n, post_avg, paired, shift = stats.get(
            (q.quiz.key, q.key), (0, None, 0, None, 0, None)
        )
        rows.append(
            ShiftRow(
                quiz_key=q.quiz.key,
                key=q.key,
                prompt=strip_tags(q.prompt).strip(),
                scale_max=getattr(q, "scale_max", 5),
                pre_count=pre_n,
                pre_mean=_mean(pre_avg),
                post_count=post_n,
                post_mean=_mean(post_avg),
                paired=paired,
                paired_shift=_mean(shift),
            )
        )
    return rows


# --- Without PostgreSQL (SQLite for `make run`): the same numbers, counted in Python -----------


def _discrimination(per_attempt: dict[int, bool], scores: dict[int, float]) -> float | None:
    """Share correct in the best 27 % of attempts minus the share in the worst 27 %."""
    ranked = sorted(per_attempt, key=lambda a: scores.get(a) or 0.0)
    if len(ranked) < 4:
        return None
    size = max(1, math.ceil(len(ranked) * DISCRIMINATION_GROUP))
    lower, upper = ranked[:size], ranked[-size:]
    return sum(per_attempt[a] for a in upper) / size - sum(per_attempt[a] for a in lower) / size


def _question_stats_in_python(course: Course, rows: dict) -> None:
    """question_stats() on a database without window functions over JSON: reads every answer."""
    answers = Answer.objects.filter(
        attempt__enrollment__course=course,
        attempt__submitted_at__isnull=False,
        question__quiz__key__in={k[0] for k in rows},
        question__key__in={k[1] for k in rows},
    ).values_list(
        "attempt_id",
        "attempt__score",
        "question__quiz__key",
        "question__key",
        "is_correct",
        "response",
        "question_id",
        "attempt__layout",
    )
    scores: dict[int, float] = {}
    per_question: dict[tuple[str, str], dict[int, bool]] = defaultdict(dict)
    chosen: dict[tuple[str, str, int, int | None], int] = defaultdict(int)
    for attempt_id, score, quiz_key, question_key, is_correct, response, qid, layout in answers:
        key = (quiz_key, question_key)
        if key not in rows:
            continue
        scores[attempt_id] = float(score) if score is not None else 0.0
        per_question[key][attempt_id] = is_correct
        response = response or {}
        picked = response.get("options") or ([response["option"]] if response.get("option") else [])
        shown = ((layout or {}).get("options") or {}).get(str(qid)) or []
        for pk in picked:
            place = shown.index(pk) + 1 if pk in shown else None
            chosen[(quiz_key, question_key, pk, place)] += 1
    for key, row in rows.items():
        results = per_question.get(key, {})
        row.answers = len(results)
        row.correct = sum(results.values())
        row.discrimination = _discrimination(results, scores)
    _count_choices(course, rows, [(*k, n) for k, n in chosen.items()])


def _shifts_in_python(course: Course, statements: list) -> list[ShiftRow]:
    """self_assessment_shifts() on a database without DISTINCT ON: reads every rating."""
    ratings: dict[tuple[str, str], dict[str, dict[int, int]]] = defaultdict(
        lambda: {"pre": {}, "post": {}}
    )
    answers = (
        Answer.objects.filter(
            attempt__enrollment__course=course,
            attempt__submitted_at__isnull=False,
            attempt__phase__in=["pre", "post"],
            question__quiz__kind=Quiz.Kind.SELF_ASSESSMENT,
        )
        .order_by("attempt__submitted_at")
        .values_list(
            "attempt__enrollment_id",
            "attempt__phase",
            "question__quiz__key",
            "question__key",
            "response",
        )
    )
    for enrollment_id, phase, quiz_key, key, response in answers:
        value = (response or {}).get("value")
        if isinstance(value, int):
            ratings[(quiz_key, key)][phase][enrollment_id] = value  # later attempts overwrite
    rows = []
    for q in statements:
        data = ratings.get((q.quiz.key, q.key), {"pre": {}, "post": {}})
        pre, post = data["pre"], data["post"]
        both = pre.keys() & post.keys()
        rows.append(
            ShiftRow(
                quiz_key=q.quiz.key,
                key=q.key,
                prompt=strip_tags(q.prompt).strip(),
                scale_max=getattr(q, "scale_max", 5),
                pre_count=len(pre),
                pre_mean=mean(pre.values()) if pre else None,
                post_count=len(post),
                post_mean=mean(post.values()) if post else None,
                paired=len(both),
                paired_shift=mean(post[e] - pre[e] for e in both) if both else None,
            )
        )
    return rows


@dataclass
class CourseReport:
    summary: CourseSummary
    funnel: list[FunnelRow]
    questions: list[QuestionRow]
    shifts: list[ShiftRow]


def course_report(course: Course) -> CourseReport:
    summary = course_summary(course)
    return CourseReport(
        summary=summary,
        funnel=lesson_funnel(course, enrollments=summary.enrollments),
        questions=question_stats(course),
        shifts=self_assessment_shifts(course),
    )


# --- The stored report -------------------------------------------------------------------------
#
# Computing the report reads every answer of the course (seconds at 100k learners), so the page
# and its CSVs read the report as last computed (`CourseReportSnapshot`), refreshed by a task
# that learning events queue after commit, once per course per REFRESH_DELAY_SECONDS.

# The stored JSON's shape; a snapshot of another shape is computed again.
SNAPSHOT_FORMAT = 1
# Learning events within this many seconds of the first one share one refresh, which runs at
# the end of the window (so it sees them all).
REFRESH_DELAY_SECONDS = 60


def report_to_json(report: CourseReport) -> dict:
    """The report as JSON-ready data (numbers, texts and booleans only)."""
    return {"format": SNAPSHOT_FORMAT, **asdict(report)}


def report_from_json(data: dict) -> CourseReport | None:
    """The report stored by `report_to_json`; None when it has another shape."""
    if data.get("format") != SNAPSHOT_FORMAT:
        return None
    try:
        return CourseReport(
            summary=CourseSummary(**data["summary"]),
            funnel=[FunnelRow(**row) for row in data["funnel"]],
            questions=[
                QuestionRow(
                    **{
                        **row,
                        "options": [OptionRow(**o) for o in row["options"]],
                        "positions": [OptionRow(**p) for p in row["positions"]],
                    }
                )
                for row in data["questions"]
            ],
            shifts=[ShiftRow(**row) for row in data["shifts"]],
        )
    except (KeyError, TypeError):  # a field added or removed since it was stored
        return None


def store_report(course: Course) -> CourseReportSnapshot:
    """Compute the course's report and store it, unless a computation that started later has
    stored its own meanwhile; returns the stored snapshot. Writes one row."""
    started = timezone.now()
    data = report_to_json(course_report(course))
    snapshot, created = CourseReportSnapshot.objects.get_or_create(
        course=course, defaults={"computed_at": started, "data": data}
    )
    if not created and snapshot.computed_at < started:
        # One statement: of two computations running at once, the later one's figures stay.
        CourseReportSnapshot.objects.filter(pk=snapshot.pk, computed_at__lt=started).update(
            computed_at=started, data=data
        )
        snapshot.computed_at, snapshot.data = started, data
    return snapshot


@dataclass
class StoredReport:
    report: CourseReport
    computed_at: datetime.datetime
    # Learning events happened after `computed_at` and a refresh is queued.
    updating: bool


def _queued_key(course_id: int) -> str:
    return f"courses:report-refresh-queued:{course_id}"


def read_report(course: Course) -> StoredReport:
    """The course's stored report, its time and whether a refresh is waiting: two reads (the
    snapshot and the cache), whatever the number of learners. Without a snapshot (or with one
    of an older shape) the report is computed here once and stored."""
    snapshot = CourseReportSnapshot.objects.filter(course=course).first()
    report = report_from_json(snapshot.data) if snapshot else None
    if snapshot is None or report is None:
        snapshot = store_report(course)
        report = report_from_json(snapshot.data)
        assert report is not None  # just written in the current shape
    queued_at = cache.get(_queued_key(course.pk))
    return StoredReport(
        report=report,
        computed_at=snapshot.computed_at,
        updating=queued_at is not None and queued_at > snapshot.computed_at,
    )


def queue_report_refresh(course_ids, *, now: bool = False) -> None:
    """After the current transaction commits, queue `refresh_course_report` for each course
    unless one is already queued within REFRESH_DELAY_SECONDS (a cache key per course). With
    `now` (an author's request) the refresh runs at once, at most once per window."""
    for course_id in set(course_ids):
        transaction.on_commit(partial(_queue_refresh, course_id, now), robust=True)


def _queue_refresh(course_id: int, now: bool) -> None:
    from .tasks import refresh_course_report  # the task calls store_report()

    if now:
        if cache.add(f"courses:report-refresh-asked:{course_id}", True, REFRESH_DELAY_SECONDS):
            refresh_course_report.delay(course_id)
        return
    # The key expires a second before the task is due, so an event after the task has read the
    # data always queues a new one.
    if cache.add(_queued_key(course_id), timezone.now(), REFRESH_DELAY_SECONDS - 1):
        refresh_course_report.apply_async((course_id,), countdown=REFRESH_DELAY_SECONDS)


def on_learning_events(sender, events, **kwargs) -> None:
    """Batch receiver of the learning signals the report counts (connected in courses/apps.py):
    queue a refresh of each course the events are about."""
    course_ids = []
    for event in events:
        if "enrollment" in event:
            course_ids.append(event["enrollment"].course_id)
        elif "attempt" in event:
            course_ids.append(event["attempt"].enrollment.course_id)
        elif "completion" in event:
            course_ids.append(event["completion"].enrollment.course_id)
    queue_report_refresh(course_ids)


# --- CSV ---------------------------------------------------------------------------------------


def _fmt(value, digits=3):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return value


def csv_rows(report: CourseReport, table: str):
    """Header and rows for one report table ("funnel", "questions", "options", "shifts")."""
    if table == "funnel":
        yield [
            "module",
            "lesson_key",
            "lesson",
            "required",
            "enrollments",
            "started",
            "completed",
            "completed_share",
            "average_minutes",
            "median_minutes",
            "estimated_minutes",
        ]
        for f in report.funnel:
            yield [
                f.module_title,
                f.lesson_key,
                f.title,
                f.required,
                f.enrollments,
                f.started,
                f.completed,
                _fmt(f.completed_rate),
                _fmt(f.average_minutes, 1),
                _fmt(f.median_minutes, 1),
                f.estimated_minutes,
            ]
    elif table == "questions":
        yield [
            "quiz_key",
            "quiz",
            "question_key",
            "position",
            "kind",
            "prompt",
            "answers",
            "correct",
            "share_correct",
            "discrimination",
            "pooled",
        ]
        for q in report.questions:
            yield [
                q.quiz_key,
                q.quiz_title,
                q.key,
                q.position,
                q.kind,
                q.prompt,
                q.answers,
                q.correct,
                _fmt(q.difficulty),
                _fmt(q.discrimination),
                q.pooled,
            ]
    elif table == "options":
        yield [
            "quiz_key",
            "question_key",
            "option_key",
            "option",
            "is_correct",
            "chosen",
            "answers",
            "chosen_share",
        ]
        for q in report.questions:
            for o in q.options:
                yield [
                    q.quiz_key,
                    q.key,
                    o.key,
                    o.text,
                    o.is_correct,
                    o.chosen,
                    o.answers,
                    _fmt(o.chosen_rate),
                ]
    elif table == "positions":
        yield ["quiz_key", "question_key", "shown_position", "chosen", "answers", "chosen_share"]
        for q in report.questions:
            for p in q.positions:
                yield [q.quiz_key, q.key, p.key, p.chosen, p.answers, _fmt(p.chosen_rate)]
    elif table == "shifts":
        yield [
            "quiz_key",
            "question_key",
            "statement",
            "scale_max",
            "pre_count",
            "pre_mean",
            "post_count",
            "post_mean",
            "shift",
            "paired",
            "paired_shift",
        ]
        for s in report.shifts:
            yield [
                s.quiz_key,
                s.key,
                s.prompt,
                s.scale_max,
                s.pre_count,
                _fmt(s.pre_mean),
                s.post_count,
                _fmt(s.post_mean),
                _fmt(s.shift),
                s.paired,
                _fmt(s.paired_shift),
            ]
    else:
        raise KeyError(table)


CSV_TABLES = ("funnel", "questions", "options", "positions", "shifts")

# Column headers of the CSV files in Dutch, for the Excel download (`excel_nl_rows`).
DUTCH_HEADERS = {
    "module": "module",
    "lesson_key": "lescode",
    "lesson": "les",
    "required": "verplicht",
    "enrollments": "inschrijvingen",
    "started": "begonnen",
    "completed": "afgerond",
    "completed_share": "aandeel afgerond",
    "average_minutes": "gemiddelde tijd (minuten)",
    "median_minutes": "mediane tijd bij afronden (minuten)",
    "estimated_minutes": "geschatte duur (minuten)",
    "quiz_key": "quizcode",
    "quiz": "quiz",
    "question_key": "vraagcode",
    "position": "plaats",
    "kind": "soort",
    "prompt": "vraag",
    "answers": "antwoorden",
    "correct": "juist",
    "share_correct": "aandeel juist",
    "discrimination": "onderscheidend vermogen",
    "option_key": "optiecode",
    "option": "antwoordoptie",
    "is_correct": "juist antwoord",
    "chosen": "gekozen",
    "chosen_share": "aandeel gekozen",
    "pooled": "uit vragenpool",
    "shown_position": "getoonde plaats",
    "statement": "stelling",
    "scale_max": "schaalmaximum",
    "pre_count": "aantal voormeting",
    "pre_mean": "gemiddelde voormeting",
    "post_count": "aantal nameting",
    "post_mean": "gemiddelde nameting",
    "shift": "verschuiving",
    "paired": "aantal gepaard",
    "paired_shift": "gepaarde verschuiving",
}
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def excel_nl_rows(rows):
    """The CSV rows for Dutch Excel: Dutch headers, decimal commas, "ja"/"nee" for booleans
    (the view writes them with semicolons)."""
    for index, row in enumerate(rows):
        if index == 0:
            yield [DUTCH_HEADERS.get(cell, cell) for cell in row]
            continue
        out = []
        for cell in row:
            if isinstance(cell, bool):
                cell = "ja" if cell else "nee"
            elif isinstance(cell, float):
                cell = str(cell).replace(".", ",")
            elif isinstance(cell, str) and _DECIMAL.match(cell):
                cell = cell.replace(".", ",")
            out.append(cell)
        yield out
