from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Accreditatie en leerregistraties")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses import signals

        from . import services, tasks  # noqa: F401 - tasks registers the Celery tasks

        # The learning signals are sent inside the service's transaction, so each receiver's
        # outbox rows commit or roll back together with the event they describe.
        # courses/signals.py lists these receivers; keep both in step.
        signals.enrollment_created.connect_batch(services.on_enrollment_created)
        signals.lesson_started.connect_batch(services.on_lesson_started)
        signals.lesson_completed.connect_batch(services.on_lesson_completed)
        signals.attempt_submitted.connect_batch(services.on_attempt_submitted)
        signals.course_completed.connect_batch(services.on_course_completed)
        signals.account_deleting.connect(
            services.on_account_deleting, dispatch_uid="xapi_account_deleting"
        )
