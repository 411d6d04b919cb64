"""The database itself refuses content and enrolments that break what the code assumes, also for
writes that bypass the model code (a plain INSERT or UPDATE through the ORM)."""

import pytest
from django.db import IntegrityError, transaction

from courses import publishing
from courses.models import (
    Enrollment,
    Lesson,
    Option,
    Question,
    Quiz,
    QuizBlock,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioStep,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db):
    """A draft version with every block kind (a scenario, a quiz block) and a final test."""
    course = factories.make_course(slug="regels", lessons=1, publish=False)
    version = course.versions.get()
    factories.add_every_block_kind(Lesson.objects.get(module__version=version), start=1)
    return version


def refused(write):
    """True when the database refuses `write` with an integrity error (nothing is kept)."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_it_refuses_two_options_of_a_question_on_one_position(draft):
    question = Question.objects.filter(quiz__version=draft, key="q0").first()
    taken = question.options.first()
    assert refused(
        lambda: Option.objects.create(question=question, key="extra", position=taken.position)
    )
    other = question.options.exclude(pk=taken.pk).first()
    assert refused(lambda: Option.objects.filter(pk=other.pk).update(position=taken.position))


def test_it_refuses_two_steps_or_two_choices_on_one_position(draft):
    scenario = ScenarioBlock.objects.get(lesson__module__version=draft)
    start = scenario.steps.get(key="start")
    assert refused(
        lambda: ScenarioStep.objects.create(scenario=scenario, key="nog-een", position=0)
    )
    assert refused(
        lambda: ScenarioChoice.objects.create(step=start, position=1, text="x", feedback="y")
    )
    second = start.choices.get(position=1)
    assert refused(lambda: ScenarioChoice.objects.filter(pk=second.pk).update(position=0))


def test_it_refuses_an_enrolment_whose_course_is_not_its_versions(draft):
    other = factories.make_course(slug="ander")
    learner = factories.make_user()
    version = other.published_version
    assert refused(
        lambda: Enrollment.objects.create(user=learner, course=draft.course, version=version)
    )
    kept = Enrollment.objects.create(user=learner, course=other, version=version)
    assert refused(lambda: Enrollment.objects.filter(pk=kept.pk).update(course=draft.course))
    assert refused(lambda: Enrollment.objects.filter(pk=kept.pk).update(version=draft))


def test_it_refuses_a_quiz_block_showing_a_quiz_of_another_version(draft):
    lesson = Lesson.objects.get(module__version=draft)
    foreign = Quiz.objects.get(version=factories.make_course(slug="ander").published_version)
    assert refused(
        lambda: QuizBlock.objects.create(lesson=lesson, key="vreemd", position=50, quiz=foreign)
    )
    block = QuizBlock.objects.get(lesson=lesson)
    assert refused(lambda: QuizBlock.objects.filter(pk=block.pk).update(quiz=foreign))


def test_it_refuses_a_choice_leading_to_a_step_of_another_scenario(draft):
    lesson = Lesson.objects.get(module__version=draft)
    factories.add_every_block_kind(lesson, start=20)
    first, second = ScenarioBlock.objects.filter(lesson=lesson).order_by("position")
    elsewhere = second.steps.get(key="start")
    step = first.steps.get(key="start")
    assert refused(
        lambda: ScenarioChoice.objects.create(
            step=step, position=7, text="x", feedback="y", next_step=elsewhere
        )
    )
    choice = step.choices.get(position=0)
    assert refused(lambda: ScenarioChoice.objects.filter(pk=choice.pk).update(next_step=elsewhere))
    # Within the scenario, and no next step at all, are fine.
    ScenarioChoice.objects.filter(pk=choice.pk).update(next_step=first.steps.get(key="vervolg"))
    ScenarioChoice.objects.filter(pk=choice.pk).update(next_step=None)


def test_drafts_published_and_copied_again_keep_every_rule(draft):
    """Publishing, and a new draft copied from the published version (positions, quiz blocks,
    next steps and enrolments all re-pointed), pass every rule."""
    publishing.swap_published_version(draft)
    learner = factories.make_user()
    Enrollment.objects.create(user=learner, course=draft.course, version=draft)
    copy = publishing.create_draft(draft.course, factories.make_author(draft.course))
    assert QuizBlock.objects.filter(lesson__module__version=copy).get().quiz.version == copy
    choice = ScenarioChoice.objects.get(
        step__scenario__lesson__module__version=copy, next_step__isnull=False
    )
    assert choice.next_step.scenario_id == choice.step.scenario_id
