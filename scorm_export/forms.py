from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import CourseVersion

from .models import PackageExport


class PackageExportForm(forms.Form):
    """Which version of the course, in which standard."""

    standard = forms.ChoiceField(
        label=_("Standaard"),
        choices=PackageExport.Standard.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies een standaard."),
            "invalid_choice": _("Kies een van de standaarden."),
        },
    )
    version = forms.ModelChoiceField(
        label=_("Versie"),
        queryset=CourseVersion.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Kies een versie van deze cursus.")},
    )

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        versions = CourseVersion.objects.filter(course=course).order_by("-number")
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: (
            f"v{v.number} – {v.title} ({v.get_status_display()})"
        )
        if course.published_version_id:
            self.fields["version"].initial = course.published_version_id
