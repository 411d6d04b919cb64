from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Cursussen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals
        from .catalog_content import connect_signals
        from .reports import on_learning_events

        connect_signals()
        # The author report's stored figures follow the events they count (courses.reports).
        for signal in (
            signals.enrollment_created,
            signals.lesson_started,
            signals.lesson_completed,
            signals.attempt_submitted,
            signals.course_completed,
        ):
            signal.connect_batch(on_learning_events)
