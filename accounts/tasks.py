"""Mail that must not hold up the page that causes it (and must not show in its timing)."""

from celery import shared_task

from . import services


@shared_task(name="accounts.send_password_reset", ignore_result=True)
def send_password_reset_task(email: str) -> int:
    return services.send_password_reset_mail(email)


@shared_task(name="accounts.send_signup_notice", ignore_result=True)
def send_signup_notice_task(email: str) -> bool:
    return services.send_signup_notice_mail(email)
