"""The learner's printable course summary: the course's objectives, each lesson's key points
(its information, tip and warning boxes; quotes are colour, not key points), the learner's own
self-assessment before and after, and only when the learner asks, their reflections.

Reads only; the view shows it to the enrolment's own learner alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from .models import Answer, CalloutBlock, Enrollment, Quiz, QuizAttempt, Reflection
from .player import questions_prefetch


@dataclass
class LessonSummary:
    title: str
    estimated_minutes: int
    key_points: list[CalloutBlock] = field(default_factory=list)
    reflections: list[Reflection] = field(default_factory=list)


@dataclass
class CourseSummary:
    objectives: list[str]
    lessons: list[LessonSummary]
    self_assessment: Quiz | None
    self_assessment_rows: list[dict]
    include_reflections: bool


def self_assessment_rows(enrollment: Enrollment, quiz: Quiz) -> list[dict]:
    """Per statement of the self-assessment `quiz` (questions prefetched): the learner's value
    before and after (None where not answered) and the shift (None unless both). One query."""
    answers = Answer.objects.filter(
        attempt__enrollment=enrollment, attempt__quiz=quiz, attempt__submitted_at__isnull=False
    ).values_list("attempt__phase", "question_id", "response")
    values: dict[tuple[str, int], int | None] = {}
    for phase, question_id, response in answers:
        values[(phase, question_id)] = (response or {}).get("value")
    rows = []
    for question in quiz.questions.all():
        before = values.get((QuizAttempt.Phase.PRE, question.pk))
        after = values.get((QuizAttempt.Phase.POST, question.pk))
        shift = after - before if before is not None and after is not None else None
        rows.append({"question": question, "before": before, "after": after, "shift": shift})
    return rows


def course_summary(enrollment: Enrollment, include_reflections: bool = False) -> CourseSummary:
    """The summary of the enrolment's course version (`enrollment.version` loaded). Queries:
    lessons with their key points 2, reflections 1 when asked for, the self-assessment 2 + one
    per question type + 1 (options) + 1 (answers); never per lesson."""
    version = enrollment.version
    callouts = CalloutBlock.objects.exclude(style=CalloutBlock.Style.QUOTE).order_by("position")
    lessons = list(
        version.lessons_in_order().prefetch_related(
            Prefetch("blocks", queryset=callouts, to_attr="key_point_blocks")
        )
    )
    by_pk = {
        lesson.pk: LessonSummary(
            title=lesson.title,
            estimated_minutes=lesson.estimated_minutes,
            key_points=lesson.key_point_blocks,
        )
        for lesson in lessons
    }
    if include_reflections:
        for reflection in (
            Reflection.objects.filter(user=enrollment.user, block__lesson__in=list(by_pk))
            .select_related("block")
            .order_by("block__position")
        ):
            by_pk[reflection.block.lesson_id].reflections.append(reflection)
    quiz = (
        Quiz.objects.filter(version=version, kind=Quiz.Kind.SELF_ASSESSMENT)
        .prefetch_related(questions_prefetch())
        .first()
    )
    return CourseSummary(
        objectives=list(version.learning_objectives or []),
        lessons=list(by_pk.values()),
        self_assessment=quiz,
        self_assessment_rows=self_assessment_rows(enrollment, quiz) if quiz else [],
        include_reflections=include_reflections,
    )
