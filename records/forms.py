import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from courses.models import Course

from .exports import FORMATS

# Completion dates are bounded: 9999-12-31 parses as a date but leaves no room for "the day
# after", which every period filter needs (OverflowError).
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


class BoundedDateField(forms.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE, as `JJJJ-MM-DD` or the browser's date input."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        kwargs.setdefault(
            "error_messages", {"invalid": _("Vul een geldige datum in (JJJJ-MM-DD).")}
        )
        message = _("Vul een datum tussen 1900 en 2999 in.")
        kwargs.setdefault(
            "validators",
            [MinValueValidator(EARLIEST_DATE, message), MaxValueValidator(LATEST_DATE, message)],
        )
        super().__init__(**kwargs)


class CompletionExportForm(forms.Form):
    course = forms.ModelChoiceField(
        label=_("Cursus"),
        queryset=Course.objects.order_by("slug"),
        to_field_name="slug",
        error_messages={"invalid_choice": _("Kies een bestaande cursus.")},
    )
    since = BoundedDateField(label=_("Afgerond vanaf"))
    until = BoundedDateField(label=_("Afgerond tot en met"))
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
