"""Builders for the learner-path tests: every block kind, every question type, self-assessment."""

from __future__ import annotations

from courses.models import (
    Lesson,
    MatchingQuestion,
    Option,
    OrderingQuestion,
    Quiz,
    ScaleQuestion,
)
from tests import factories


def add_ordering_question(quiz, position):
    question = OrderingQuestion.objects.create(
        quiz=quiz,
        position=position,
        key=f"orden{position}",
        prompt="<p>Zet in volgorde</p>",
        explanation="<p>Eerst vragen, dan luisteren, dan samenvatten.</p>",
    )
    for i, text in enumerate(["Vragen", "Luisteren", "Samenvatten"]):
        Option.objects.create(question=question, position=i, key=f"o{i}", text=text)
    return question


def add_matching_question(quiz, position):
    question = MatchingQuestion.objects.create(
        quiz=quiz,
        position=position,
        key=f"match{position}",
        prompt="<p>Koppel de begrippen</p>",
    )
    for i, (text, match) in enumerate(
        [("Cis", "Gender past bij geboortegeslacht"), ("Trans", "Gender past er niet bij")]
    ):
        Option.objects.create(question=question, position=i, key=f"o{i}", text=text, match=match)
    return question


def add_self_assessment(version, statements=2):
    quiz = Quiz.objects.create(
        version=version, key="zelfevaluatie", title="Zelfevaluatie", kind=Quiz.Kind.SELF_ASSESSMENT
    )
    for i in range(statements):
        ScaleQuestion.objects.create(
            quiz=quiz,
            position=i,
            key=f"stelling{i}",
            prompt=f"<p>Ik voel me zeker bij onderwerp {i}</p>",
            tag="attitude",
        )
    return quiz


def make_rich_course(slug="rijk", *, self_assessment=True, max_attempts=None):
    """Two lessons: the first with every block kind, the second plain; a 3-question final test."""
    course = factories.make_course(slug=slug, lessons=2, publish=False, max_attempts=max_attempts)
    version = course.versions.get()
    first = Lesson.objects.get(module__version=version, key="les-1")
    first.blocks.all().delete()
    factories.add_every_block_kind(first)
    if self_assessment:
        add_self_assessment(version)
    factories.publish_version(version)
    course.refresh_from_db()
    return course


def correct_final_answers(quiz):
    return {f"q-{q.pk}": str(q.options.get(is_correct=True).pk) for q in quiz.questions.all()}


def wrong_final_answers(quiz):
    return {
        f"q-{q.pk}": str(q.options.filter(is_correct=False).first().pk)
        for q in quiz.questions.all()
    }
