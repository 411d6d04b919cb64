"""Read paths for the lesson player: blocks with what their templates read, and the learner's state.

The player must not query per block (STYLE "Avoid" 4). `blocks_for_player()` resolves the
polymorphic blocks (1 query + one per block type), then groups them by type and prefetches each
group's relations in bulk. `attach_learner_state()` adds the learner's own reflections, scenario
decisions and practice results with a fixed number of queries. Authors' previews call
`blocks_for_player()` too and skip the learner state.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from .models import (
    Answer,
    Block,
    Option,
    PersonaStoryBlock,
    Question,
    Quiz,
    QuizAttempt,
    QuizBlock,
    Reflection,
    ReflectionBlock,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioStep,
)


def questions_prefetch(lookup: str = "questions") -> Prefetch:
    """Questions resolved to their subclasses (1 query per type) with options (1 query)."""
    return Prefetch(
        lookup,
        queryset=Question.objects.order_by("position").prefetch_related(
            Prefetch("options", queryset=Option.objects.order_by("position"))
        ),
    )


def blocks_for_player(lesson, block_keys=None) -> list[Any]:
    """Return the lesson's blocks in order, resolved, with relations prefetched per block type.

    Queries: 1 + one per block type, then per type present: persona stories 1, scenarios 3
    (persona, steps, choices), quizzes 2 + one per question type. Never per block.
    """
    qs = Block.objects.filter(lesson=lesson).order_by("position")
    if block_keys is not None:
        qs = qs.filter(key__in=block_keys)
    # Any: the player decorates these instances with learner state (see attach_learner_state).
    blocks: list[Any] = list(qs)
    by_type: dict[type, list[Any]] = defaultdict(list)
    for block in blocks:
        by_type[type(block)].append(block)
    if by_type.get(PersonaStoryBlock):
        prefetch_related_objects(by_type[PersonaStoryBlock], "persona")
    if by_type.get(ScenarioBlock):
        prefetch_related_objects(
            by_type[ScenarioBlock],
            "persona",
            Prefetch(
                "steps",
                queryset=ScenarioStep.objects.order_by("position").prefetch_related(
                    Prefetch("choices", queryset=ScenarioChoice.objects.order_by("position"))
                ),
            ),
        )
    if by_type.get(QuizBlock):
        prefetch_related_objects(by_type[QuizBlock], "quiz", questions_prefetch("quiz__questions"))
        for block in by_type[QuizBlock]:
            for question in block.quiz.questions.all():
                annotate_question(question)
    return blocks


# --- Scenarios -----------------------------------------------------------------------------------


@dataclass
class ScenarioPath:
    """What a learner did in one scenario: the steps taken and where they are now."""

    taken: list = field(default_factory=list)  # [(step, choice)]
    current: ScenarioStep | None = None

    @property
    def ended(self) -> bool:
        return bool(self.taken) and self.current is None


def scenario_path(block: Any, choice_ids: list[int]) -> ScenarioPath:
    """Replay the learner's choices (oldest first) through the scenario's prefetched steps.

    A choice on the first step starts the scenario afresh, so a learner can try again.
    """
    steps = list(block.steps.all())
    if not steps:
        return ScenarioPath()
    steps_by_id = {s.pk: s for s in steps}
    choices_by_id = {c.pk: c for s in steps for c in s.choices.all()}
    first = steps[0]
    path = ScenarioPath(current=first)
    for choice_id in choice_ids:
        choice = choices_by_id.get(choice_id)
        if choice is None:
            continue
        if choice.step_id == first.pk:
            path = ScenarioPath(current=first)
        if path.current is not None and choice.step_id == path.current.pk:
            path.taken.append((path.current, choice))
            path.current = steps_by_id.get(choice.next_step_id) if choice.next_step_id else None
    return path


# --- Questions -----------------------------------------------------------------------------------


def shuffled(items, seed) -> list:
    """A stable shuffle: the same order on every page load, but not the authored (correct) order."""
    return sorted(items, key=lambda item: hashlib.sha256(f"{seed}-{item.pk}".encode()).hexdigest())


def annotate_question(
    question: Any, response=None, *, error=None, graded=False, raw=None, layout=None
) -> Any:
    """Attach what the question templates read: the learner's response, its error and its grade.

    `raw` is the form data as submitted (a re-shown form takes the learner's own ranks from it,
    never an order derived from the answer key); `layout` an attempt's drawn option order and
    matching values.
    """
    response = response or {}
    question.response = response
    question.error = error
    question.selected_ids = set()
    if response.get("option") is not None:
        question.selected_ids = {response["option"]}
    elif response.get("options"):
        question.selected_ids = set(response["options"])
    question.ranks = {pk: i + 1 for i, pk in enumerate(response.get("order") or [])}
    if raw is not None and question.kind == "ordering":
        question.ranks = {o.pk: _rank(raw, question, o) for o in question.options_in_order()}
    question.value = response.get("value")
    question.grade_result = question.grade(response) if graded else None
    options = question.options_in_order()
    drawn = ((layout or {}).get("options") or {}).get(str(question.pk))
    if drawn:
        by_pk = {o.pk: o for o in options}
        question.display_options = [by_pk[pk] for pk in drawn if pk in by_pk]
    elif question.kind in {"ordering", "matching"}:
        question.display_options = shuffled(options, question.pk)
    else:
        question.display_options = options
    pairs = {int(k): v for k, v in (response.get("pairs") or {}).items() if v is not None}
    if question.kind == "matching":
        values = ((layout or {}).get("match") or {}).get(str(question.pk))
        by_pk = {o.pk: o for o in options}
        if values:
            # Opaque per-attempt values: the select never names the option it belongs to.
            question.match_choices = [
                MatchChoice(value, by_pk[pk].match) for value, pk in values.items() if pk in by_pk
            ]
            value_of = {pk: value for value, pk in values.items()}
            pairs = {k: value_of.get(v) for k, v in pairs.items()}
        else:
            question.match_choices = [
                MatchChoice(str(o.pk), o.match) for o in shuffled(options, f"m{question.pk}")
            ]
            pairs = {k: str(v) for k, v in pairs.items()}
    question.pairs = pairs
    return question


def attach_learner_state(blocks: list[Any], enrollment=None, user=None) -> None:
    """Add the learner's own state to the blocks: reflection text, scenario path, practice result.

    Reads only rows that belong to `user`/`enrollment`: 1 query per kind of block present.
    Without an enrolment, attaches the state of a learner who has touched nothing (no queries):
    what the cached lesson page shows (`courses.lesson_pages`).
    """
    reflections: list[Any] = [b for b in blocks if isinstance(b, ReflectionBlock)]
    if reflections:
        texts = (
            dict(
                Reflection.objects.filter(user=user, block__in=reflections).values_list(
                    "block_id", "text"
                )
            )
            if enrollment is not None
            else {}
        )
        for block in reflections:
            block.my_reflection = texts.get(block.pk, "")
    scenarios: list[Any] = [b for b in blocks if isinstance(b, ScenarioBlock)]
    if scenarios:
        decided: dict[int, list[int]] = defaultdict(list)
        rows = (
            ScenarioDecision.objects.filter(
                enrollment=enrollment, choice__step__scenario__in=scenarios
            )
            .order_by("decided_at", "pk")
            .values_list("choice__step__scenario_id", "choice_id")
            if enrollment is not None
            else []
        )
        for scenario_id, choice_id in rows:
            decided[scenario_id].append(choice_id)
        for scenario in scenarios:
            scenario.path = scenario_path(scenario, decided[scenario.pk])
    quiz_blocks = [b for b in blocks if isinstance(b, QuizBlock)]
    if quiz_blocks:
        attach_quiz_state(quiz_blocks, enrollment)


def attach_quiz_state(quiz_blocks: list[Any], enrollment=None) -> None:
    """Practice quizzes: the latest submitted attempt's answers. Tests: the attempts so far."""
    quiz_ids = {b.quiz_id for b in quiz_blocks}
    attempts = (
        list(
            QuizAttempt.objects.filter(
                enrollment=enrollment, quiz_id__in=quiz_ids, submitted_at__isnull=False
            )
            .order_by("quiz_id", "-submitted_at", "-pk")
            .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("pk")))
        )
        if enrollment is not None
        else []
    )
    latest: dict[int, QuizAttempt] = {}
    by_quiz = defaultdict(list)
    for attempt in attempts:
        latest.setdefault(attempt.quiz_id, attempt)
        by_quiz[attempt.quiz_id].append(attempt)
    for block in quiz_blocks:
        quiz = block.quiz
        block.attempts = by_quiz[quiz.pk]
        block.passed = any(a.passed for a in block.attempts)
        last = latest.get(quiz.pk)
        if quiz.kind == Quiz.Kind.PRACTICE:
            answers = {a.question_id: a for a in last.answers.all()} if last else {}
            block.practice_attempt = last
            for question in quiz.questions.all():
                answer = answers.get(question.pk)
                annotate_question(
                    question, answer.response if answer else None, graded=answer is not None
                )


def bind_practice_form(block: Any, form) -> None:
    """Show what the learner filled in, with an error at each incomplete question."""
    block.form = form
    block.practice_attempt = None
    responses = form.responses()
    for question in block.quiz.questions.all():
        annotate_question(
            question,
            responses.get(question.pk),
            error=form.question_errors.get(question.pk),
            raw=form.data,
        )


@dataclass
class MatchChoice:
    value: str
    match: str


def _rank(raw, question, option) -> int | None:
    try:
        return int(raw.get(f"{question.field_name}-{option.pk}", ""))
    except (TypeError, ValueError):
        return None
