"""The catalog's content that is the same for every learner, kept in process memory.

The catalog lists the published courses (with their live version and whether they are
accredited) and the learning tracks (with their course counts). None of that depends on the
learner, and it changes only when a course, a version, a track, a track entry or an
accreditation is saved or deleted. Each process keeps the last list it read under a generation
token held in the cache; a save or delete of any of those rows sets a new token (right away, so
the writing transaction itself reads fresh content, and again after commit, so no other process
keeps content it read before the commit under the new token). A catalog request then costs one
cache read instead of two queries.

Bulk `QuerySet.update()`/`delete()` send no signals: code that changes these rows in bulk calls
`bump()` itself (publishing's retiring of stray published versions is followed by a
`Course.save()`, which bumps).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef

GENERATION_KEY = "courses:catalog-content:generation"

_lock = threading.Lock()
_local: dict[str, CatalogContent] = {}


@dataclass(frozen=True)
class CatalogContent:
    """Shared by every request: read the courses and tracks, never set attributes on them."""

    courses: tuple  # published Course rows with published_version and is_accredited
    tracks: tuple  # LearningTrack rows with course_count


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def bump(**_kwargs) -> None:
    """Make every process read the catalog's content afresh (a signal receiver too)."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _generation() -> str:
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY)
    return token


def _read() -> CatalogContent:
    from records.models import CourseAccreditation

    from .models import Course, LearningTrack

    courses = Course.objects.for_catalog().annotate(
        is_accredited=Exists(CourseAccreditation.objects.filter(course=OuterRef("pk")))
    )
    tracks = LearningTrack.objects.order_by("title").annotate(course_count=Count("entries"))
    return CatalogContent(tuple(courses), tuple(tracks))


def catalog_content() -> CatalogContent:
    """The published courses and the tracks: one cache read, plus two queries after a change."""
    token = _generation()
    content = _local.get(token)
    if content is None:
        content = _read()
        with _lock:
            _local.clear()  # only the newest generation is ever read again
            _local[token] = content
    return content


def forget_local() -> None:
    with _lock:
        _local.clear()


def connect_signals() -> None:
    """Bump on every save or delete of a row the catalog shows (called from the app's ready())."""
    from django.db.models.signals import post_delete, post_save

    from records.models import CourseAccreditation

    from .models import Course, CourseVersion, LearningTrack, TrackCourse

    for model in (Course, CourseVersion, LearningTrack, TrackCourse, CourseAccreditation):
        for signal in (post_save, post_delete):
            signal.connect(bump, sender=model, dispatch_uid=f"catalog-content-{model.__name__}")
