from django.core.management.base import BaseCommand

from courses.services import send_course_reminders


class Command(BaseCommand):
    help = (
        "Send the inactivity reminders that are due (what Celery beat runs hourly); "
        "for a laptop without a broker, or a cron job."
    )

    def handle(self, *args, **options):
        sent = send_course_reminders()
        self.stdout.write(f"{sent} reminder(s) queued")
