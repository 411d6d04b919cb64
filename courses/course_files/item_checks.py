"""Warnings about test items that let a learner pass without knowing: answer keys that cluster by
position, true/false keys that are all the same, final-test questions that repeat a practice
question, and item pools too small for a meaningful retake.

They are warnings, not errors: `validate_course` prints them and the author area shows them; the
file stays valid. They read the plan shape (`plan["quizzes"]`), so a stored version is checked
through `version_quizzes()` the same way.
"""

from __future__ import annotations

import re

from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import Question

# A pool this many times its draw lets a retake ask mostly other questions.
POOL_FACTOR = 1.5


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", strip_tags(html or "")).strip().casefold()


def item_warnings(quizzes: list[dict]) -> list[str]:
    """Dutch warnings for the planned `quizzes` of one course, in quiz order."""
    warnings: list[str] = []
    practice = {
        _text(q["prompt"]): quiz["title"]
        for quiz in quizzes
        if quiz["kind"] == "practice"
        for q in quiz["questions"]
    }
    for quiz in quizzes:
        if quiz["kind"] not in ("test", "final"):
            continue
        title = quiz["title"]
        questions = quiz["questions"]
        for kind, cls in Question.kinds().items():
            warning = cls.answer_key_warning(title, [q for q in questions if q["type"] == kind])
            if warning:
                warnings.append(warning)
        if quiz["kind"] == "final":
            for question in questions:
                source = practice.get(_text(question["prompt"]))
                if source:
                    warnings.append(
                        _("%(quiz)s: vraag ‘%(key)s’ staat ook in de oefenvragen ‘%(practice)s’")
                        % {"quiz": title, "key": question["key"], "practice": source}
                    )
        warnings += _pool_warnings(quiz)
    return warnings


def _pool_warnings(quiz: dict) -> list[str]:
    draw = quiz.get("draw")
    questions = quiz["questions"]
    pools = []
    if isinstance(draw, int):
        pools.append((None, draw, len(questions)))
    elif isinstance(draw, dict):
        for tag, count in draw.items():
            pools.append((tag, count, sum(1 for q in questions if tag in q.get("tags", []))))
    warnings = []
    for tag, count, size in pools:
        if size < POOL_FACTOR * count:
            warnings.append(
                ngettext(
                    "%(quiz)s: de pool%(tag)s heeft %(size)s vraag voor een trekking van "
                    "%(count)s (minder dan anderhalf keer): een herkansing vraagt grotendeels "
                    "dezelfde vragen",
                    "%(quiz)s: de pool%(tag)s heeft %(size)s vragen voor een trekking van "
                    "%(count)s (minder dan anderhalf keer): een herkansing vraagt grotendeels "
                    "dezelfde vragen",
                    size,
                )
                % {
                    "quiz": quiz["title"],
                    "tag": f" ‘{tag}’" if tag else "",
                    "size": size,
                    "count": count,
                }
            )
    return warnings


def version_quizzes(version) -> list[dict]:
    """The quizzes of a stored version in the plan shape `item_warnings` reads (3 queries + 1 per
    question type)."""
    from courses.models import Option

    options: dict[int, list[dict]] = {}
    for option in Option.objects.filter(question__quiz__version=version).order_by(
        "question_id", "position", "pk"
    ):
        options.setdefault(option.question_id, []).append(
            {"text": option.text, "correct": option.is_correct}
        )
    by_quiz: dict[int, list[dict]] = {}
    for question in Question.objects.filter(quiz__version=version).order_by("quiz_id", "position"):
        by_quiz.setdefault(question.quiz_id, []).append(
            {
                "key": question.key,
                "type": question.kind,
                "prompt": question.prompt,
                "tags": list(question.tags or []),
                "options": options.get(question.pk, []),
            }
        )
    return [
        {
            "title": quiz.title,
            "kind": quiz.kind,
            "draw": quiz.draw,
            "questions": by_quiz.get(quiz.pk, []),
        }
        for quiz in version.quizzes.order_by("pk")
    ]
