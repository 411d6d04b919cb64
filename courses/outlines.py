"""The outline of a course version: its modules and lessons in order, its tests, and the number
of questions in each, as the course page, the dashboard and the test page read them.

A published or retired version's content never changes (`courses.models.VersionedContent`), so
its outline is built once (three queries) and kept in the cache under the version's id, never
invalidated; each process also keeps the outlines it read, so a learner page usually needs no
query and no cache round trip for the course's content. A draft's outline is built fresh on
every call (an author's unpublished course).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count

from .models import CourseVersion, Lesson, Quiz

# Bump when the shape of an outline changes; old ones are then never read.
OUTLINE_FORMAT = 1
OUTLINE_TIMEOUT = 7 * 24 * 3600  # a bound on memory only: an outline never goes stale
LOCAL_OUTLINES = 256


@dataclass
class OutlineModule:
    title: str
    lessons: list[Lesson] = field(default_factory=list)


@dataclass
class Outline:
    """Lessons and quizzes are model instances shared by every request: read them, never set
    attributes on them (copy first)."""

    version_id: int
    modules: list[OutlineModule]
    quizzes: list[Quiz]  # every quiz of the version, practice ones included
    question_counts: dict[int, int]  # quiz pk -> questions in its pool

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @functools.cached_property
    def required_keys(self) -> frozenset[str]:
        return frozenset(lesson.key for lesson in self.lessons if lesson.required)

    def lesson_title(self, key: str) -> str | None:
        return next((lesson.title for lesson in self.lessons if lesson.key == key), None)

    def quiz(self, *, key: str | None = None, kind: str | None = None) -> Quiz | None:
        """The first quiz with this key (or of this kind), None when there is none."""
        return next(
            (
                q
                for q in self.quizzes
                if (key is None or q.key == key) and (kind is None or q.kind == kind)
            ),
            None,
        )


def outline_key(version_id: int) -> str:
    return f"course-outline:{OUTLINE_FORMAT}:{version_id}"


_local_lock = threading.Lock()
_local: dict[int, Outline] = {}


def build_outline(version_id: int) -> Outline:
    """Read the version's outline from the database: 2 queries (lessons with their modules;
    quizzes with their question counts)."""
    modules: dict[int, OutlineModule] = {}
    lessons = (
        Lesson.objects.filter(module__version=version_id)
        .select_related("module")
        .order_by("module__position", "position")
    )
    for lesson in lessons:
        modules.setdefault(lesson.module_id, OutlineModule(lesson.module.title)).lessons.append(
            lesson
        )
    quizzes: list[Quiz] = list(
        Quiz.objects.filter(version=version_id)
        .annotate(question_count=Count("questions"))
        .order_by("pk")
    )
    counts = {q.pk: q.question_count for q in quizzes}  # type: ignore[attr-defined]
    return Outline(version_id, list(modules.values()), quizzes, counts)


def get_outline(version: CourseVersion | int) -> Outline:
    """The outline of `version` (a version or its id): from this process, the cache, or built
    (and kept unless it is a draft). No query when this process has it; given an id, a miss
    also reads the version's status."""
    version_id = version if isinstance(version, int) else version.pk
    outline = _local.get(version_id)
    if outline is not None:
        return outline
    if isinstance(version, int):
        status = CourseVersion.objects.values_list("status", flat=True).get(pk=version_id)
    else:
        status = version.status
    if status == CourseVersion.Status.DRAFT:
        return build_outline(version_id)
    outline = cache.get(outline_key(version_id))
    if outline is None:
        outline = build_outline(version_id)
        cache.set(outline_key(version_id), outline, OUTLINE_TIMEOUT)
    with _local_lock:
        if len(_local) >= LOCAL_OUTLINES:
            _local.pop(next(iter(_local)))
        _local[version_id] = outline
    return outline


def set_progress(enrollment, completed_keys) -> None:
    """Set `lessons_required` and `lessons_done` on `enrollment` as `Enrollment.objects.
    with_progress()` does (the required lessons of its version; done by stable lesson key, so a
    lesson completed in an earlier version counts), from `completed_keys`, the keys of the
    lessons it completed. No query once the version's outline is read."""
    outline = get_outline(enrollment.version_id)
    required = outline.required_keys
    enrollment.lessons_required = sum(1 for lesson in outline.lessons if lesson.required)
    enrollment.lessons_done = len(required.intersection(completed_keys))


def forget_local() -> None:
    """Drop this process's outlines (the next read asks the cache)."""
    with _local_lock:
        _local.clear()
