from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conversations"
    verbose_name = _("Wat vind jij? (gesprekstool)")

    def ready(self):
        from courses import signals

        from . import services, tasks  # noqa: F401 - tasks registers the Celery task

        signals.account_deleting.connect(
            services.on_account_deleting, dispatch_uid="conversations_account_deleting"
        )
