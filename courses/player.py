"""Read paths for the lesson player: blocks with what their templates read, and the learner's state.

The player must not query per block (STYLE "Avoid" 4). `blocks_for_player()` resolves the
polymorphic blocks (1 query + one per block type), then groups them by type and prefetches each
group's relations in bulk. `attach_learner_state()` adds the learner's own reflections, scenario
decisions and practice results with a fixed number of queries. Authors' previews call
`blocks_for_player()` too and skip the learner state.
"""

from __future__ import annotations

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
    shuffled,
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
    question.value = response.get("value")
    question.grade_result = question.grade(response) if graded else None
    options = question.options_in_order()
    drawn = ((layout or {}).get("options") or {}).get(str(question.pk))
    if drawn:
        by_pk = {o.pk: o for o in options}
        question.display_options = [by_pk[pk] for pk in drawn if pk in by_pk]
    elif question.shuffled_on_page:
        question.display_options = shuffled(options, question.pk)
    else:
        question.display_options = options
    question.pairs = {int(k): v for k, v in (response.get("pairs") or {}).items() if v is not None}
    question.show_response(response, raw, layout)
    return question


@dataclass
class LearnerRows:
    """A learner's own rows behind the stateful blocks of a lesson (`apply_learner_rows()`)."""

    reflections: dict = field(default_factory=dict)  # reflection block pk -> text
    decisions: dict = field(default_factory=dict)  # scenario pk -> choice ids, oldest first
    attempts: dict = field(default_factory=dict)  # quiz id -> submitted attempts, newest first
    answers: dict = field(default_factory=dict)  # attempt id -> [answers], for latest practice


def attach_learner_state(blocks: list[Any], enrollment=None, user=None) -> None:
    """Add the learner's own state to the blocks: reflection text, scenario path, practice result.

    Reads only rows that belong to `user`/`enrollment`: 1 query per kind of block present.
    Without an enrolment, attaches the state of a learner who has touched nothing (no queries):
    what the cached lesson page shows (`courses.lesson_pages`, which reads a touched learner's
    rows for all kinds in one statement and calls `apply_learner_rows()` itself).
    """
    rows = LearnerRows()
    if enrollment is not None:
        reflections = [b for b in blocks if isinstance(b, ReflectionBlock)]
        if reflections:
            rows.reflections = dict(
                Reflection.objects.filter(user=user, block__in=reflections).values_list(
                    "block_id", "text"
                )
            )
        scenarios = [b for b in blocks if isinstance(b, ScenarioBlock)]
        if scenarios:
            decided = ScenarioDecision.objects.filter(
                enrollment=enrollment, choice__step__scenario__in=scenarios
            ).order_by("decided_at", "pk")
            for scenario_id, choice_id in decided.values_list(
                "choice__step__scenario_id", "choice_id"
            ):
                rows.decisions.setdefault(scenario_id, []).append(choice_id)
        quiz_ids = {b.quiz_id for b in blocks if isinstance(b, QuizBlock)}
        if quiz_ids:
            attempts = QuizAttempt.objects.filter(
                enrollment=enrollment, quiz_id__in=quiz_ids, submitted_at__isnull=False
            ).order_by("quiz_id", "-submitted_at", "-pk")
            for attempt in attempts.prefetch_related(
                Prefetch("answers", queryset=Answer.objects.order_by("pk"))
            ):
                rows.attempts.setdefault(attempt.quiz_id, []).append(attempt)
                rows.answers[attempt.pk] = list(attempt.answers.all())
    apply_learner_rows(blocks, rows)


def apply_learner_rows(blocks: list[Any], rows: LearnerRows) -> None:
    """Decorate the blocks with the learner's `rows` (empty rows: an untouched learner). No
    queries."""
    for block in blocks:
        decorated: Any = block  # with what the templates read
        if isinstance(block, ReflectionBlock):
            decorated.my_reflection = rows.reflections.get(block.pk, "")
        elif isinstance(block, ScenarioBlock):
            decorated.path = scenario_path(block, rows.decisions.get(block.pk, []))
        elif isinstance(block, QuizBlock):
            apply_quiz_rows(block, rows)


def apply_quiz_rows(block: Any, rows: LearnerRows) -> None:
    """Practice quizzes: the latest submitted attempt's answers. Tests: the attempts so far."""
    quiz = block.quiz
    block.attempts = rows.attempts.get(quiz.pk, [])
    for attempt in block.attempts:
        attempt.quiz = quiz  # score_percent reads the pass mark
    block.passed = any(a.passed for a in block.attempts)
    last = block.attempts[0] if block.attempts else None
    if quiz.kind == Quiz.Kind.PRACTICE:
        answers = {a.question_id: a for a in rows.answers.get(last.pk, [])} if last else {}
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
