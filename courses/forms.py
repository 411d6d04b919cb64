"""Learner forms. Every input goes through one of these; errors are Dutch (translatable)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Question, ScenarioBlock, ScenarioChoice


class ReflectionForm(forms.Form):
    text = forms.CharField(
        label=_("Jouw reflectie"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Schrijf eerst je reflectie."),
            "max_length": _("Je reflectie is te lang (maximaal %(limit_value)d tekens)."),
        },
    )


class ScenarioChoiceForm(forms.Form):
    """A choice in one scenario; only that scenario's choices are accepted."""

    choice = forms.ModelChoiceField(
        queryset=ScenarioChoice.objects.none(),
        error_messages={
            "required": _("Kies wat je zou doen."),
            "invalid_choice": _("Deze keuze hoort niet bij dit scenario."),
        },
    )

    def __init__(self, block: ScenarioBlock, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field: Any = self.fields["choice"]
        field.queryset = ScenarioChoice.objects.filter(step__scenario=block)


def response_problem(question: Question, data) -> str | None:
    """Return why the submitted answer to `question` is incomplete, or None when it is complete."""
    response: Any = question.parse_response(data)
    kind = question.kind
    if kind in {"single_choice", "true_false"}:
        return None if response.get("option") is not None else str(_("Kies een antwoord."))
    if kind == "multiple_choice":
        return None if response.get("options") else str(_("Kies ten minste één antwoord."))
    if kind == "scale":
        return (
            None if response.get("value") is not None else str(_("Kies een waarde op de schaal."))
        )
    if kind == "ordering":
        options = question.options_in_order()
        ranks = [data.get(f"{question.field_name}-{o.pk}", "") for o in options]
        expected = {str(n) for n in range(1, len(options) + 1)}
        if set(ranks) != expected:
            return str(
                _("Geef elk onderdeel een ander nummer, van 1 tot en met %(count)d.")
                % {"count": len(options)}
            )
        return None
    if kind == "matching":
        if any(v is None for v in response.get("pairs", {}).values()):
            return str(_("Kies bij elk onderdeel een koppeling."))
        return None
    return None


class QuizForm(forms.Form):
    """A whole quiz submitted at once; questions parse their own fields (`q-<pk>`, `q-<pk>-<opt>`).

    Valid when every question is answered; `question_errors` maps question pk to its error.
    """

    def __init__(self, questions: list[Question], data=None):
        super().__init__(data)
        self.questions = questions
        self.question_errors: dict[int, str] = {}

    def clean(self):
        for question in self.questions:
            problem = response_problem(question, self.data)
            if problem:
                self.question_errors[question.pk] = problem
        if self.question_errors:
            count = len(self.question_errors)
            raise forms.ValidationError(
                ngettext(
                    "Je hebt %(count)d vraag nog niet (volledig) beantwoord.",
                    "Je hebt %(count)d vragen nog niet (volledig) beantwoord.",
                    count,
                )
                % {"count": count}
            )
        return self.cleaned_data

    def responses(self) -> dict[int, Any]:
        """The parsed response per question, to show what the learner filled in again."""
        return {q.pk: q.parse_response(self.data) for q in self.questions}
