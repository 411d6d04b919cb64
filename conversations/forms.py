from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CODE_LENGTH, Statement, StatementSet


class StartSessionForm(forms.Form):
    statement_set = forms.ModelChoiceField(
        queryset=StatementSet.objects.all(), label=_("Stellingenset"), empty_label=None
    )


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Deelnamecode"), max_length=CODE_LENGTH + 4)

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper().replace(" ", "").replace("-", "")


class NextForm(forms.Form):
    theme = forms.ChoiceField(
        label=_("Thema"), choices=[("", _("Elk thema"))] + Statement.Theme.choices, required=False
    )
    skip = forms.BooleanField(required=False)


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Aantekeningen voor het intervisieverslag"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10_000,
    )
