"""An estimate of a course's study time from its content, to check the stated study load.

Accreditation bodies award points by study load, so the number a course states should match what a
learner actually does: read the text, answer the questions, write the reflections, walk through the
scenarios and watch the media. The estimate works on a course *plan* (courses.course_files.plan),
so a file and a stored version give the same number.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from courses.models import Block
from courses.models.content import MINUTES_PER_REFLECTION as MINUTES_PER_REFLECTION
from courses.models.content import MINUTES_PER_SCENARIO_STEP as MINUTES_PER_SCENARIO_STEP

WORDS_PER_MINUTE = 200  # reading professional Dutch text
MINUTES_PER_QUESTION = 1.0  # reading a case vignette and its options, answering, the feedback
MINUTES_PER_SCALE_ITEM = 0.25  # one self-assessment statement
TOLERANCE = Decimal("0.25")  # the stated load may differ this much from the estimate

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def count_words(html: str) -> int:
    """The number of words in `html` (tags and entities are not words)."""
    return len(_WORD.findall(strip_tags(html or "")))


def _block_words(block: dict) -> int:
    return Block.kinds()[block["type"]].words_to_read(block, count_words)


def _block_activity_minutes(block: dict) -> float:
    return Block.kinds()[block["type"]].activity_minutes(block)


def questions_answered(quiz: dict) -> int:
    """How many questions one attempt at `quiz` asks: its `draw` when it draws from a pool."""
    draw = quiz.get("draw")
    if isinstance(draw, int) and draw > 0:
        return min(draw, len(quiz["questions"]))
    if isinstance(draw, dict) and draw:
        return min(sum(draw.values()), len(quiz["questions"]))
    return len(quiz["questions"])


def _quiz_minutes(quiz: dict) -> float:
    if quiz["kind"] == "self_assessment":
        # Taken twice: before the first lesson and after the final test.
        return 2 * MINUTES_PER_SCALE_ITEM * len(quiz["questions"])
    return (
        MINUTES_PER_QUESTION * questions_answered(quiz)
        + count_words(quiz.get("introduction", "")) / WORDS_PER_MINUTE
    )


def lesson_minutes(lesson: dict) -> float:
    """The estimated minutes of one planned lesson, without the quizzes it shows."""
    words = sum(_block_words(b) for b in lesson["blocks"])
    return words / WORDS_PER_MINUTE + sum(_block_activity_minutes(b) for b in lesson["blocks"])


def estimate_minutes(plan: dict) -> float:
    """The estimated study time of a planned course in minutes: reading at WORDS_PER_MINUTE, a
    fixed time per question, reflection and scenario step, and the media's playing time."""
    lessons = [lesson for m in plan["modules"] for lesson in m["lessons"]]
    minutes = count_words(plan.get("description", "")) / WORDS_PER_MINUTE
    minutes += sum(lesson_minutes(lesson) for lesson in lessons)
    minutes += sum(_quiz_minutes(q) for q in plan.get("quizzes", []))
    return minutes


def study_load_warning(plan: dict) -> str | None:
    """A Dutch warning when the stated `study_load_hours` differs from the estimate by more than
    TOLERANCE (relative to the estimate), else None."""
    estimate = Decimal(str(round(estimate_minutes(plan))))
    stated = Decimal(str(plan["study_load_hours"])) * 60
    if estimate == 0 or abs(stated - estimate) <= TOLERANCE * estimate:
        return None
    return _(
        "de opgegeven studiebelasting (%(stated)s minuten) wijkt meer dan %(percent)s%% af van "
        "de schatting uit de inhoud (%(estimate)s minuten)"
    ) % {"stated": int(stated), "percent": int(TOLERANCE * 100), "estimate": int(estimate)}
