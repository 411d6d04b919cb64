from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScormExportConfig(AppConfig):
    name = "scorm_export"
    verbose_name = _("Export en accreditatie")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Register accreditation admin lives in its own module (docs/registers.md).
        from . import admin_accreditation  # noqa: F401
