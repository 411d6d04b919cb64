"""Celery tasks of the courses app (found by `app.autodiscover_tasks()`)."""

from celery import shared_task

from . import lesson_pages


@shared_task(name="courses.warm_lesson_pages", ignore_result=True)
def warm_lesson_pages_task(version_id: int) -> int:
    """Render and cache every lesson page snapshot of a just-published version; returns how many."""
    return lesson_pages.warm_snapshots(version_id)


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
