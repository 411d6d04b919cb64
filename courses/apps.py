from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Cursussen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import lesson_pages

        post_save.connect(lesson_pages.content_changed, dispatch_uid="lesson-pages-save")
        post_delete.connect(lesson_pages.content_changed, dispatch_uid="lesson-pages-delete")
