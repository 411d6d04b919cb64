from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Accreditatie en leerregistraties")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts.models import RegisterNumber, User
        from accounts.signals import register_numbers_changed
        from courses import signals
        from courses.models import CourseCompletion

        from . import registers, services, tasks  # noqa: F401 - tasks registers the Celery tasks

        # The learning signals are sent inside the service's transaction, so each receiver's
        # outbox rows commit or roll back together with the event they describe.
        # courses/signals.py lists these receivers; keep both in step.
        signals.enrollment_created.connect_batch(services.on_enrollment_created)
        signals.lesson_started.connect_batch(services.on_lesson_started)
        signals.lesson_completed.connect_batch(services.on_lesson_completed)
        signals.attempt_submitted.connect_batch(services.on_attempt_submitted)
        signals.course_completed.connect_batch(services.on_course_completed)
        signals.course_completed.connect_batch(registers.on_course_completed)
        signals.account_deleting.connect(
            services.on_account_deleting, dispatch_uid="xapi_account_deleting"
        )

        # The stored verdicts (records.registers, "The stored verdicts") follow the learner rows
        # they read, whoever saves them (profile forms, account deletion, the admin); writes
        # that skip signals (a queryset update of completions or users, raw SQL) are caught by
        # the hourly check_verdicts; register numbers written in bulk send their own signal.
        post_save.connect(
            registers.on_completion_saved,
            sender=CourseCompletion,
            dispatch_uid="verdict_completion",
        )
        post_save.connect(registers.on_user_saved, sender=User, dispatch_uid="verdict_user")
        for signal in (post_save, post_delete):
            signal.connect(
                registers.on_register_number_changed,
                sender=RegisterNumber,
                dispatch_uid=f"verdict_number_{signal is post_save}",
            )
        register_numbers_changed.connect(
            registers.on_register_numbers_changed, dispatch_uid="verdict_numbers_bulk"
        )
