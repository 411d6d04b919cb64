from django.db import models

from lms.lib.html import sanitise_html


class SanitisedHTMLField(models.TextField):
    """A TextField of author HTML that is sanitised every time the model is saved."""

    def pre_save(self, model_instance, add):
        value = sanitise_html(getattr(model_instance, self.attname) or "")
        setattr(model_instance, self.attname, value)
        return value
