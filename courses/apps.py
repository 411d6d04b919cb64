from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Cursussen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import lesson_pages
        from .models import GlossaryTerm

        post_save.connect(lesson_pages.content_changed, dispatch_uid="lesson-pages-save")
        post_delete.connect(lesson_pages.content_changed, dispatch_uid="lesson-pages-delete")
        # A course gaining or losing a glossary term changes which words its lessons link.
        m2m_changed.connect(
            lesson_pages.content_changed,
            sender=GlossaryTerm.courses.through,
            dispatch_uid="lesson-pages-glossary",
        )
