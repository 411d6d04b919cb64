"""Celery tasks of the courses app (found by `app.autodiscover_tasks()`)."""

from celery import shared_task
from django.db import OperationalError

from . import lesson_pages


@shared_task(name="courses.warm_lesson_pages", ignore_result=True)
def warm_lesson_pages_task(version_id: int) -> int:
    """Render and cache every lesson page snapshot of a just-published version; returns how many."""
    return lesson_pages.warm_snapshots(version_id)


@shared_task(name="courses.refresh_course_report", ignore_result=True)
def refresh_course_report(course_id: int) -> None:
    """Compute a course's author report and store it (queued by learning events and authors,
    see `reports.queue_report_refresh`)."""
    from .models import Course
    from .reports import store_report

    course = Course.objects.filter(pk=course_id).first()
    if course is not None:
        store_report(course)


@shared_task(
    name="courses.move_enrollments",
    bind=True,
    ignore_result=True,
    # A deadlock with a learner's request (PostgreSQL aborts one side) only means: again.
    autoretry_for=(OperationalError,),
    max_retries=10,
    default_retry_delay=5,
)
def move_enrollments_task(self, course_id: int) -> int:
    """Move a course's unfinished learners to its just-published version (publishing queues
    this); returns how many. Enrolments held by a learner's request are tried again shortly."""
    from .publishing import move_enrollments  # publishing queues this task

    moved, left = move_enrollments(course_id)
    if left:
        raise self.retry(countdown=5)
    return moved


@shared_task(name="courses.move_left_behind", ignore_result=True)
def move_left_behind_task() -> int:
    """Periodic (beat): queue the sweep for every course that still has unfinished learners on
    an older version; returns how many courses."""
    from .publishing import courses_with_learners_to_move

    course_ids = courses_with_learners_to_move()
    for course_id in course_ids:
        move_enrollments_task.delay(course_id)
    return len(course_ids)


@shared_task(name="courses.send_review_request", ignore_result=True)
def send_review_request_task(review_request_id: int) -> int:
    """E-mail the reviewers of a draft that an author asked to review; returns how many mails."""
    from .publishing import send_review_request_mail  # publishing queues this task

    return send_review_request_mail(review_request_id)


@shared_task(name="courses.send_live_session_mail", ignore_result=True)
def send_live_session_mail(registration_id: int, kind: str) -> bool:
    """E-mail a learner about their place in a live session: 'registered', 'promoted' (from the
    waiting list) or 'reminder', with the calendar file when they have a place."""
    from .live_mail import send_registration_mail

    return send_registration_mail(registration_id, kind)


@shared_task(name="courses.send_edition_reminders", ignore_result=True)
def send_edition_reminders_task() -> int:
    """Periodic (beat): reminders for places in editions starting within 24 hours."""
    from .services import send_edition_reminders

    return send_edition_reminders()


@shared_task(name="courses.send_course_reminders", ignore_result=True)
def send_course_reminders_task() -> int:
    """Periodic (beat): reminders after COURSE_REMINDER_DAYS without progress in a course."""
    from .services import send_course_reminders

    return send_course_reminders()


@shared_task(name="courses.send_learner_mail", ignore_result=True)
def send_learner_mail_task(enrollment_id: int, kind: str) -> bool:
    from .learner_mail import send_learner_mail

    return send_learner_mail(enrollment_id, kind)


@shared_task(name="courses.import_course_archive", ignore_result=True)
def import_course_archive_task(import_id: int) -> str:
    from .authoring.services import run_course_import

    return run_course_import(import_id)
