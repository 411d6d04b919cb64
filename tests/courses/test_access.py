"""Every learner view needs a login, and a learner never reaches another learner's things."""

import pytest

from courses import services
from courses.models import Answer, Lesson, Reflection, ReflectionBlock
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers, make_rich_course

pytestmark = pytest.mark.django_db

LEARNER_URLS = [
    "/dashboard/",
    "/cursus/{slug}/verder/",
    "/cursus/{slug}/les/les-1/",
    "/cursus/{slug}/les/les-1/scenario/s0/",
    "/cursus/{slug}/toets/eindtoets/",
    "/cursus/{slug}/toets/eindtoets/poging/1/",
    "/cursus/{slug}/toets/eindtoets/poging/1/resultaat/",
    "/cursus/{slug}/zelfevaluatie/",
    "/cursus/{slug}/zelfevaluatie/voor/",
    "/cursus/{slug}/afgerond/",
    "/cursus/{slug}/certificaat.pdf",
]
LEARNER_POSTS = [
    "/cursus/{slug}/inschrijven/",
    "/cursus/{slug}/les/les-1/afronden/",
    "/cursus/{slug}/les/les-1/tijd/",
    "/cursus/{slug}/les/les-1/reflectie/r0/",
    "/cursus/{slug}/les/les-1/oefenen/q0/",
    "/cursus/{slug}/toets/eindtoets/starten/",
]


@pytest.fixture
def rich_course(db):
    return make_rich_course(slug="toegang")


@pytest.mark.parametrize("url", LEARNER_URLS)
def test_it_sends_anonymous_visitors_to_the_login_page(client, rich_course, url):
    response = client.get(url.format(slug=rich_course.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", LEARNER_POSTS)
def test_it_refuses_anonymous_posts(client, rich_course, url):
    response = client.post(url.format(slug=rich_course.slug))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.fixture
def learner_done(learner, rich_course):
    """The learner wrote a reflection, took the final test and completed the course."""
    enrollment = services.enroll_learner(learner, rich_course)
    block = ReflectionBlock.objects.get(key="r0")
    services.save_reflection(learner, block, "Mijn geheime gedachte")
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    services.submit_attempt(attempt.pk, correct_final_answers(quiz), learner)
    return attempt


def test_it_hides_another_learners_attempt_and_results(client, outsider, rich_course, learner_done):
    services.enroll_learner(outsider, rich_course)
    client.force_login(outsider)
    base = f"/cursus/{rich_course.slug}/toets/eindtoets/poging/{learner_done.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(base + "resultaat/").status_code == 404
    assert client.post(base, correct_final_answers(learner_done.quiz)).status_code == 404
    assert Answer.objects.filter(attempt__enrollment__user=outsider).count() == 0


def test_it_never_serves_another_learners_certificate(client, outsider, rich_course, learner_done):
    services.enroll_learner(outsider, rich_course)
    client.force_login(outsider)
    assert client.get(f"/cursus/{rich_course.slug}/certificaat.pdf").status_code == 404
    assert client.get(f"/cursus/{rich_course.slug}/afgerond/").status_code == 404


def test_it_never_shows_another_learners_reflection(client, outsider, rich_course, learner_done):
    services.enroll_learner(outsider, rich_course)
    client.force_login(outsider)
    html = client.get(f"/cursus/{rich_course.slug}/les/les-1/").content.decode()
    assert "Mijn geheime gedachte" not in html
    # Saving their own reflection does not touch the other learner's.
    client.post(f"/cursus/{rich_course.slug}/les/les-1/reflectie/r0/", {"r0-text": "Van mij"})
    assert Reflection.objects.get(user__email="learner@example.org").text == "Mijn geheime gedachte"


def test_it_answers_404_for_lessons_scenarios_and_quizzes_of_a_course_the_user_is_not_in(
    client, outsider, rich_course
):
    client.force_login(outsider)
    slug = rich_course.slug
    assert client.get(f"/cursus/{slug}/les/les-1/scenario/s0/").status_code == 404
    assert client.post(f"/cursus/{slug}/les/les-1/afronden/").status_code == 404
    assert client.post(f"/cursus/{slug}/toets/eindtoets/starten/").status_code == 404
    assert client.get(f"/cursus/{slug}/zelfevaluatie/").status_code == 404


def test_it_hides_unpublished_courses_from_learners(client, learner):
    draft = factories.make_course(slug="concept", publish=False)
    client.force_login(learner)
    assert client.get(f"/cursus/{draft.slug}/").status_code == 404
    assert client.post(f"/cursus/{draft.slug}/inschrijven/").status_code == 404


def test_it_answers_404_for_a_block_key_of_the_wrong_kind(client, learner, rich_course):
    services.enroll_learner(learner, rich_course)
    client.force_login(learner)
    assert client.get(f"/cursus/{rich_course.slug}/les/les-1/scenario/t0/").status_code == 404
    assert (
        client.post(
            f"/cursus/{rich_course.slug}/les/les-1/reflectie/s0/", {"s0-text": "x"}
        ).status_code
        == 404
    )
