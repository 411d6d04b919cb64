"""Warnings about test items that let a learner pass without knowing: answer keys that cluster by
position, true/false keys that are all the same, final-test questions that repeat a practice
question, and item pools too small for a meaningful retake.

They are warnings, not errors: `validate_course` prints them and the author area shows them; the
file stays valid. They read the plan shape (`plan["quizzes"]`), so a stored version is checked
through `version_quizzes()` the same way.
"""

from __future__ import annotations

import re
from collections import Counter

from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# A pool this many times its draw lets a retake ask mostly other questions.
POOL_FACTOR = 1.5
# Key-position and true/false checks need this many questions to mean anything.
MIN_QUESTIONS = 4


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
        single = [q for q in questions if q["type"] == "single_choice"]
        if len(single) >= MIN_QUESTIONS:
            positions = Counter(
                next(n for n, o in enumerate(q["options"]) if o["correct"]) + 1 for q in single
            )
            position, count = positions.most_common(1)[0]
            if count * 2 > len(single):
                warnings.append(
                    _(
                        "%(quiz)s: %(count)s van de %(total)s enkelkeuzevragen hebben het juiste "
                        "antwoord op plaats %(position)s"
                    )
                    % {"quiz": title, "count": count, "total": len(single), "position": position}
                )
        true_false = [q for q in questions if q["type"] == "true_false"]
        if len(true_false) >= MIN_QUESTIONS:
            keys = {next(o["text"] for o in q["options"] if o["correct"]) for q in true_false}
            if len(keys) == 1:
                warnings.append(
                    _("%(quiz)s: bij alle %(total)s waar/niet waar-vragen is ‘%(key)s’ juist")
                    % {"quiz": title, "total": len(true_false), "key": keys.pop()}
                )
        multiple = [q for q in questions if q["type"] == "multiple_choice"]
        all_but_last = [
            q
            for q in multiple
            if all(o["correct"] for o in q["options"][:-1]) and not q["options"][-1]["correct"]
        ]
        if len(multiple) >= 2 and len(all_but_last) * 2 > len(multiple):
            warnings.append(
                _(
                    "%(quiz)s: bij %(count)s van de %(total)s meerkeuzevragen zijn alle opties "
                    "behalve de laatste juist"
                )
                % {"quiz": title, "count": len(all_but_last), "total": len(multiple)}
            )
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
    from courses.models import Option, Question

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
