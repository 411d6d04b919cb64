"""A guessing learner fails: answering by position only (first option, "Niet waar", all but the
last) passes no seed course's final test, because each attempt shows its own order."""

import random
from io import StringIO

import pytest
from django.core.management import call_command

from courses import services
from courses import simulator as activity
from courses.models import Course, CourseCompletion, QuizAttempt
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_courses(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_seed_content", stdout=StringIO())
    courses = list(Course.objects.published())
    assert len(courses) >= 3 and all(c.published_version.final_test for c in courses)
    return courses


def test_it_fails_every_seed_final_test_when_answering_by_position(seed_courses):
    report = activity.seed_activity(8, seed=13, profile="guesser")

    assert report.enrollments == 8 * len(seed_courses)
    outcomes = {outcome: n for outcome, n in report.outcomes.items() if n}
    assert outcomes == {activity.FAIL: report.enrollments}
    assert not CourseCompletion.objects.exists()
    assert QuizAttempt.objects.filter(passed=False).count() == report.enrollments


def test_it_runs_the_guesser_profile_as_a_management_command(seed_courses):
    out = StringIO()
    call_command("seed_activity", "--learners", "1", "--profile", "guesser", stdout=out)
    assert f"fail: {len(seed_courses)}" in out.getvalue()


def test_it_would_pass_by_position_if_the_order_were_the_authored_one(learner):
    """The guesser is a real threat: on a test whose keys are all first (as the seed courses once
    were), answering by the authored order passes; the drawn order of an attempt stops it."""
    course = factories.make_course(final_questions=10)  # option 0 correct everywhere
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    questions = services.questions_for_grading(quiz.pk)
    attempt = services.start_attempt(enrollment, quiz, rng=random.Random(5))

    authored = activity.guess_data(questions, {})
    assert all(q.grade(q.parse_response(authored)).is_correct for q in questions)
    result = services.submit_attempt(
        attempt.pk, activity.guess_data(questions, attempt.layout), learner
    )
    assert result.attempt.passed is False
