"""Celery tasks of the courses app (found by `app.autodiscover_tasks()`)."""

from celery import shared_task

from . import lesson_pages


@shared_task(name="courses.warm_lesson_pages", ignore_result=True)
def warm_lesson_pages_task(version_id: int) -> int:
    """Render and cache every lesson page snapshot of a just-published version; returns how many."""
    return lesson_pages.warm_snapshots(version_id)
