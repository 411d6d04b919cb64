"""The "verantwoording" of a course: what an accreditation committee checks, in one place.

Authors and reviewers with their roles, learning objectives, sources per lesson, version and
date, next review, and how the final test was built. Co-creation partners and a
conflict-of-interest statement are shown only when recorded; nothing is invented.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .models import CourseRole, Lesson, Question, Quiz


@dataclass
class FinalTestFacts:
    title: str
    pool_size: int
    asked: int | None  # questions per attempt when drawn from a pool
    draw: object
    pass_mark: int
    max_attempts: int | None
    per_objective: list[tuple[str, int]] = field(default_factory=list)


def course_accountability(course, version=None) -> dict:
    """What the verantwoording page shows for `version` (default: the course's published
    version); the packages pass the version they are built from. Five queries."""
    version = version or course.published_version
    roles = list(
        CourseRole.objects.filter(course=course)
        .select_related("user")
        .order_by("role", "user__last_name")
    )
    lessons = list(
        Lesson.objects.filter(module__version=version).order_by("module__position", "position")
    )
    final = Quiz.objects.filter(version=version, kind=Quiz.Kind.FINAL).first()
    facts = None
    if final is not None:
        tags = list(Question.objects.filter(quiz=final).values_list("tags", flat=True))
        counter = Counter(tag for question_tags in tags for tag in (question_tags or []))
        draw = final.draw
        asked = None
        if isinstance(draw, int):
            asked = draw
        elif isinstance(draw, dict):
            asked = sum(int(n) for n in draw.values())
        facts = FinalTestFacts(
            title=final.title,
            pool_size=len(tags),
            asked=asked,
            draw=draw,
            pass_mark=final.pass_mark,
            max_attempts=getattr(final, "max_attempts", None),
            per_objective=sorted(counter.items()),
        )
    return {
        "version": version,
        "authors": [r for r in roles if r.role == CourseRole.Role.AUTHOR],
        "reviewers": [r for r in roles if r.role == CourseRole.Role.REVIEWER],
        "lessons": lessons,
        "final_test": facts,
    }
