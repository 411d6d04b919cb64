from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import CourseVersion

from .models import PackageExport


class PackageExportForm(forms.Form):
    """Which version of the course, in which standard; cleaned `version` is a CourseVersion."""

    standard = forms.ChoiceField(
        label=_("Standaard"),
        choices=PackageExport.Standard.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies een standaard."),
            "invalid_choice": _("Kies een van de standaarden."),
        },
    )
    version = forms.TypedChoiceField(
        label=_("Versie"),
        coerce=int,
        error_messages={
            "required": _("Kies een versie."),
            "invalid_choice": _("Kies een versie van deze cursus."),
        },
    )

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for the versions, used both for the choices and for cleaning: a ModelChoiceField
        # would read them again for every rendering and for validation.
        self.versions = {
            v.pk: v for v in CourseVersion.objects.filter(course=course).order_by("-number")
        }
        self.fields["version"].choices = [
            (v.pk, f"v{v.number} – {v.title} ({v.get_status_display()})")
            for v in self.versions.values()
        ]
        if course.published_version_id:
            self.fields["version"].initial = course.published_version_id

    def clean_version(self):
        return self.versions[self.cleaned_data["version"]]
