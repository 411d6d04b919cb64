"""Learner pages' content that is the same for every learner, kept in process memory.

The catalog lists the published courses (with their live version and whether they are
accredited) and the learning tracks (with their course counts); the dashboard shows every track
with its courses and masterclasses; the course page shows the course's accreditations and the
courses a track puts before it. None of that depends on the learner, and it changes only when a
course, a version, a track, a track entry (course or masterclass) or its prerequisites, a
masterclass type or an accreditation is saved or deleted.

Each process keeps the last content it read under a generation token held in the cache; a save
or delete of any of those rows sets a new token (right away, so the writing transaction itself
reads fresh content, and again after commit, so no other process keeps content it read before
the commit under the new token). Each part is read on first use after a change; the token is
read once per request. Then a catalog request costs one cache read instead of two queries, the
dashboard's tracks with their steps one instead of three, the course page's accreditations and
prerequisites one instead of a query and the costliest part of another (its planning).

Bulk `QuerySet.update()`/`delete()` send no signals: code that changes these rows in bulk calls
`bump()` itself (publishing's retiring of stray published versions is followed by a
`Course.save()`, which bumps).
"""

from __future__ import annotations

import functools
import threading
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch

GENERATION_KEY = "courses:catalog-content:generation"

_lock = threading.Lock()
_local: dict[str, dict[str, object]] = {}
# The token this thread's request read (`_generation()`); requests run one per thread (WSGI).
_request = threading.local()


@dataclass(frozen=True)
class CatalogContent:
    """Shared by every request: read the courses and tracks, never set attributes on them."""

    courses: tuple  # published Course rows with published_version and is_accredited
    tracks: tuple  # LearningTrack rows with course_count

    @functools.cached_property
    def courses_by_slug(self) -> dict:
        return {course.slug: course for course in self.courses}


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    _request.token = None


def bump(**_kwargs) -> None:
    """Make every process read the catalog's content afresh (a signal receiver too).

    This process forgets its copy now, so the writing transaction reads its own writes (other
    processes keep reading the committed rows meanwhile, as they should); after commit a new
    generation makes every process read afresh, once per transaction however many rows it saves
    (an import or a publish saves dozens)."""
    with _lock:
        _local.clear()
    _request.token = None
    connection = transaction.get_connection()
    # Django keeps the pending hooks as (savepoint ids, callable, robust); the hook of a savepoint
    # rolled back is gone, and then this registers it again.
    if not any(hook[1] is _new_generation for hook in connection.run_on_commit):
        transaction.on_commit(_new_generation)


def _generation() -> str:
    """The generation token: read from the cache once per request (a page may read several
    parts), and on every call outside a request."""
    token = getattr(_request, "token", None)
    if token is not None:
        return token
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY)
    if getattr(_request, "active", False):
        _request.token = token
    return token


def _request_started(**_kwargs) -> None:
    _request.active, _request.token = True, None


def _request_finished(**_kwargs) -> None:
    _request.active, _request.token = False, None


def _read_catalog() -> CatalogContent:
    from records.models import CourseAccreditation

    from .models import Course, LearningTrack

    courses = Course.objects.for_catalog().annotate(
        is_accredited=Exists(CourseAccreditation.objects.filter(course=OuterRef("pk")))
    )
    tracks = LearningTrack.objects.order_by("title").annotate(course_count=Count("entries"))
    return CatalogContent(tuple(courses), tuple(tracks))


def _part(name: str, reader):
    token = _generation()
    parts = _local.get(token)
    if parts is None:
        with _lock:
            _local.clear()  # only the newest generation is ever read again
            parts = _local.setdefault(token, {})
    if name not in parts:
        parts[name] = reader()
    return parts[name]


def catalog_content() -> CatalogContent:
    """The published courses and the tracks: one cache read, plus two queries after a change."""
    return _part("catalog", _read_catalog)


def published_course(slug: str):
    """The published course `slug` (with `published_version`) as the catalog holds it, None when
    there is none: one cache read, no query. Shared: set nothing on it (copy it first)."""
    return catalog_content().courses_by_slug.get(slug)


def _read_tracks_with_steps() -> tuple:
    from .models import LearningTrack, TrackCourse, TrackLiveSession

    return tuple(
        LearningTrack.objects.prefetch_related(
            Prefetch(
                "entries",
                queryset=TrackCourse.objects.select_related("course__published_version"),
            ),
            Prefetch(
                "live_entries",
                queryset=TrackLiveSession.objects.select_related("session_type"),
            ),
        ).order_by("title")
    )


@dataclass(frozen=True)
class TrackStepOutline:
    """A step of a track as every learner sees it: a course (published) or a masterclass type."""

    kind: str  # "course" or "live"
    target_id: int  # the course's or the masterclass type's id
    slug: str
    title: str
    url: str


def _read_track_outlines() -> tuple:
    outlines = []
    for track in _read_tracks_with_steps():
        ordered: list[tuple[int, int, TrackStepOutline]] = []
        for entry in track.entries.all():
            course = entry.course
            if course.published_version is None:
                continue
            step = TrackStepOutline(
                "course",
                course.pk,
                course.slug,
                course.published_version.title,
                course.get_absolute_url(),
            )
            ordered.append((entry.position, 0, step))
        for live_entry in track.live_entries.all():
            session_type = live_entry.session_type
            step = TrackStepOutline(
                "live",
                session_type.pk,
                session_type.slug,
                session_type.title,
                session_type.get_absolute_url(),
            )
            ordered.append((live_entry.position, 1, step))
        steps = tuple(step for _position, _kind, step in sorted(ordered, key=lambda t: t[:2]))
        outlines.append((track, steps))
    return tuple(outlines)


def track_outlines() -> tuple:
    """Every track, by title, with its steps in order (`TrackStepOutline`: the courses with a
    published version, then by position the masterclass types): one cache read, plus three
    queries after a change. Shared: set nothing on the tracks."""
    return _part("tracks", _read_track_outlines)


def _read_accreditations() -> dict:
    from records.models import CourseAccreditation

    by_course: dict[int, list] = {}
    for accreditation in CourseAccreditation.objects.order_by(
        "course_id", "register", "register_name", "pe_edition_id", "pk"
    ):
        by_course.setdefault(accreditation.course_id, []).append(accreditation)
    return by_course


def course_accreditations(course_id: int) -> list:
    """The course's accreditations in `CourseAccreditation.objects.for_course()`'s order: one
    cache read, plus one query (every course's) after a change. Shared: set nothing on them."""
    return list(_part("accreditations", _read_accreditations).get(course_id, ()))


def _read_prerequisites() -> dict:
    from .models import Course, TrackCourse

    pairs = list(
        TrackCourse.prerequisites.through.objects.values_list("trackcourse__course_id", "course_id")
    )
    published = {
        course.pk: course
        for course in Course.objects.filter(
            pk__in={required for _course, required in pairs}, published_version__isnull=False
        ).select_related("published_version")
    }
    by_course: dict[int, set] = {}
    for course_id, required in pairs:
        if required in published and required != course_id:
            by_course.setdefault(course_id, set()).add(published[required])
    return {
        course_id: tuple(sorted(found, key=lambda course: course.slug))
        for course_id, found in by_course.items()
    }


def track_prerequisites(course_id: int) -> tuple:
    """The published courses (with `published_version`) that a track puts before the course, by
    slug: one cache read, plus two queries after a change. Shared: set nothing on them."""
    return _part("prerequisites", _read_prerequisites).get(course_id, ())


def forget_local() -> None:
    with _lock:
        _local.clear()


def connect_signals() -> None:
    """Bump on every save or delete of a row the catalog shows (called from the app's ready())."""
    from django.core.signals import request_finished, request_started
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from records.models import CourseAccreditation

    from .models import (
        Course,
        CourseVersion,
        LearningTrack,
        LiveSessionType,
        TrackCourse,
        TrackLiveSession,
    )

    for model in (
        Course,
        CourseVersion,
        LearningTrack,
        TrackCourse,
        TrackLiveSession,
        LiveSessionType,
        CourseAccreditation,
    ):
        for signal in (post_save, post_delete):
            signal.connect(bump, sender=model, dispatch_uid=f"catalog-content-{model.__name__}")
    request_started.connect(_request_started, dispatch_uid="catalog-content-request-started")
    request_finished.connect(_request_finished, dispatch_uid="catalog-content-request-finished")
    # A track entry's prerequisites: added, removed or cleared without saving the entry.
    m2m_changed.connect(
        bump,
        sender=TrackCourse.prerequisites.through,
        dispatch_uid="catalog-content-TrackCourse-prerequisites",
    )
