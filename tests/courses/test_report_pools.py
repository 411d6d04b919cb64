"""The course report's item statistics per pooled question: how often each was drawn, its share
correct, and per question how often each displayed position and each distractor was chosen."""

import csv
import io
import random

import pytest
from django.urls import reverse

from courses import reports, services
from courses.models import Quiz
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pooled():
    """Four final-test questions (option 0 correct), two drawn per attempt; six learners who
    each pick the option shown first."""
    course = factories.make_course(slug="pool-rapport", final_questions=4)
    Quiz.objects.filter(version__course=course).update(draw=2)
    quiz = course.published_version.final_test
    rng = random.Random(7)
    for _ in range(6):
        learner = factories.make_user()
        enrollment = services.enroll_learner(learner, course)
        attempt = services.start_attempt(enrollment, quiz, rng=rng)
        data = {f"q-{pk}": str(options[0]) for pk, options in attempt.layout["options"].items()}
        services.submit_attempt(attempt.pk, data, learner)
    return course


def test_it_shows_each_pooled_question_with_its_draws_positions_and_distractors(pooled):
    quiz = pooled.published_version.final_test
    attempts = list(quiz.attempts.all())
    drawn = {q.key: 0 for q in quiz.questions.all()}
    first_shown: dict[str, dict[str, int]] = {key: {} for key in drawn}
    for attempt in attempts:
        for pk in attempt.layout["questions"]:
            question = quiz.questions.get(pk=pk)
            drawn[question.key] += 1
            option = question.options.get(pk=attempt.layout["options"][str(pk)][0])
            first_shown[question.key][option.key] = first_shown[question.key].get(option.key, 0) + 1

    rows = {row.key: row for row in reports.question_stats(pooled)}

    assert sum(drawn.values()) == 12 and len([n for n in drawn.values() if n]) >= 3
    for key, row in rows.items():
        assert row.pooled and row.drawn == drawn[key]
        # Every learner chose the option shown first: position 1 has all the answers.
        assert [p.chosen for p in row.positions] == [drawn[key], 0, 0]
        assert {o.key: o.chosen for o in row.options if o.chosen} == first_shown[key]
        assert row.correct == first_shown[key].get("o0", 0)  # option 0 is the key


def test_it_offers_the_positions_as_csv_and_on_the_page(client, pooled):
    client.force_login(factories.make_author(pooled))
    page = client.get(reverse("authoring:report", args=[pooled.slug])).content.decode()
    assert "Gekozen plaatsen" in page and "uit pool" in page
    text = client.get(
        reverse("authoring:report_csv", args=[pooled.slug, "positions"])
    ).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "quiz_key",
        "question_key",
        "shown_position",
        "chosen",
        "answers",
        "chosen_share",
    ]
    assert sum(int(r[3]) for r in rows[1:] if r[2] == "1") == 12
    assert sum(int(r[3]) for r in rows[1:] if r[2] != "1") == 0
