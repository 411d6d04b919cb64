from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScormExportConfig(AppConfig):
    name = "scorm_export"
    verbose_name = _("Export en accreditatie")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses import signals

        # Register accreditation admin lives in its own module (docs/registers.md);
        # records_tasks registers the xAPI delivery tasks (tasks.py is left to the packages).
        from . import admin_accreditation, records_services, records_tasks  # noqa: F401

        # The learning signals are sent inside the service's transaction, so each receiver's
        # outbox rows commit or roll back together with the event they describe.

        signals.enrollment_created.connect(
            records_services.on_enrollment_created, dispatch_uid="xapi_enrollment"
        )
        signals.lesson_started.connect(
            records_services.on_lesson_started, dispatch_uid="xapi_lesson_started"
        )
        signals.lesson_completed.connect(
            records_services.on_lesson_completed, dispatch_uid="xapi_lesson_completed"
        )
        signals.attempt_submitted.connect(
            records_services.on_attempt_submitted, dispatch_uid="xapi_attempt"
        )
        signals.course_completed.connect(
            records_services.on_course_completed, dispatch_uid="xapi_course_completed"
        )
