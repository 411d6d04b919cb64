"""Celery tasks of the conversation tool."""

from celery import shared_task

from .services import delete_expired_sessions


@shared_task(name="conversations.delete_expired_sessions", ignore_result=True)
def delete_expired_sessions_task() -> int:
    """Periodic (beat): delete group sessions older than 24 hours; returns how many."""
    return delete_expired_sessions()
