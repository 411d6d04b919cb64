from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import Course

from .exports import FORMATS


class CompletionExportForm(forms.Form):
    course = forms.ModelChoiceField(
        label=_("Cursus"),
        queryset=Course.objects.order_by("slug"),
        to_field_name="slug",
        error_messages={"invalid_choice": _("Kies een bestaande cursus.")},
    )
    since = forms.DateField(
        label=_("Afgerond vanaf"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Vul een geldige datum in (JJJJ-MM-DD).")},
    )
    until = forms.DateField(
        label=_("Afgerond tot en met"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Vul een geldige datum in (JJJJ-MM-DD).")},
    )
    format = forms.ChoiceField(
        label=_("Formaat"),
        choices=[
            (f, label)
            for f, label in zip(
                FORMATS, [_("CSV (spreadsheet)"), _("xAPI (JSON Lines)")], strict=True
            )
        ],
        initial="csv",
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("De begindatum ligt na de einddatum."))
        return data
