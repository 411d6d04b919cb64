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
    return question.response_problem(data, question.parse_response(data))


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
