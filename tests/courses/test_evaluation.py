"""The participant evaluation: required before the certificate, aggregated without names."""

import pytest
from django.urls import reverse

from courses import services
from courses.evaluations import evaluation_csv, evaluation_summaries, record_evaluation
from courses.models import CourseEvaluation, Lesson
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers

pytestmark = pytest.mark.django_db

ANSWERS = {
    "relevance": "5",
    "quality": "4",
    "independence": "5",
    "minutes_spent": "75",
    "comment": "Goede casus over Levi.",
}


def finish(user, course):
    enrollment = services.enroll_learner(user, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, quiz).pk, correct_final_answers(quiz), user
    )
    enrollment.refresh_from_db()
    return enrollment


def test_it_asks_for_the_evaluation_before_the_certificate(client, learner, course):
    finish(learner, course)
    client.force_login(learner)
    response = client.get("/cursus/basis/certificaat.pdf")
    assert response.status_code == 302 and response["Location"] == "/cursus/basis/evaluatie/"
    page = client.get("/cursus/basis/afgerond/").content.decode()
    assert "Naar de evaluatie" in page and "certificaat.pdf" not in page
    bad = client.post("/cursus/basis/evaluatie/", dict(ANSWERS, relevance="7"))
    assert bad.status_code == 400 and not CourseEvaluation.objects.exists()
    client.post("/cursus/basis/evaluatie/", ANSWERS)
    evaluation = CourseEvaluation.objects.get()
    assert (evaluation.relevance, evaluation.minutes_spent) == (5, 75)
    assert evaluation.version == course.published_version
    assert client.get("/cursus/basis/certificaat.pdf").status_code == 200
    # Once only: a second post changes nothing.
    client.post("/cursus/basis/evaluatie/", dict(ANSWERS, relevance="1"))
    assert CourseEvaluation.objects.get().relevance == 5


def test_it_aggregates_per_version_for_authors_without_names(client, course):
    learners = [
        factories.make_user(first_name=f"Naam{i}", last_name=f"Achter{i}") for i in range(3)
    ]
    for i, user in enumerate(learners):
        record_evaluation(
            finish(user, course),
            {
                "relevance": 3 + i,
                "quality": 4,
                "independence": 5,
                "minutes_spent": 60 + 30 * i,
                "comment": f"opmerking {i}" if i else "",
            },
        )
    [summary] = evaluation_summaries(course)
    assert summary.count == 3 and summary.relevance == 4 and summary.minutes == 90
    assert summary.distribution["relevance"] == [0, 0, 1, 1, 1]
    assert summary.comments == ["opmerking 1", "opmerking 2"]
    csv_text = evaluation_csv(course)
    assert "1;relevance;3;4,00;0;0;1;1;1;90" in csv_text
    author = factories.make_author(course)
    client.force_login(author)
    page = client.get(reverse("courses:evaluation_report", args=["basis"])).content.decode()
    assert "opmerking 1" in page and "<svg" in page
    for user in learners:
        assert user.first_name not in page and user.last_name not in page
        assert user.email not in page and user.first_name not in csv_text
    response = client.get(reverse("courses:evaluation_report_csv", args=["basis"]))
    assert response.status_code == 200 and "opmerking" not in response.content.decode()


def test_it_keeps_the_report_from_learners_and_other_authors(client, learner, course):
    client.force_login(learner)
    assert client.get(reverse("courses:evaluation_report", args=["basis"])).status_code == 404
    other = factories.make_author(factories.make_course(slug="ander"))
    client.force_login(other)
    assert client.get(reverse("courses:evaluation_report_csv", args=["basis"])).status_code == 404
