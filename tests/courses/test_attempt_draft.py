"""Nothing typed is lost: an open attempt's answers are saved as the learner goes and come back
after navigating away or logging out."""

import re

import pytest

from courses import services
from courses.models import QuizAttempt
from tests import factories
from tests.courses.learning_fixtures import add_ordering_question

pytestmark = pytest.mark.django_db


def started(client, learner):
    course = factories.make_course(slug="bewaren", final_questions=2, publish=False)
    version = course.versions.get()
    add_ordering_question(version.final_test, 5)
    factories.publish_version(version)
    services.enroll_learner(learner, course)
    client.force_login(learner)
    url = client.post(f"/cursus/{course.slug}/toets/eindtoets/starten/")["Location"]
    return course, version.final_test, url


def test_it_restores_saved_answers_after_logging_out_and_in(client, learner):
    _course, quiz, url = started(client, learner)
    first = quiz.questions.order_by("position").first()
    chosen = first.options.get(position=2)
    ordering = quiz.questions.get(key="orden5")
    step = ordering.options.get(position=1)

    response = client.post(
        url + "bewaren/", {f"q-{first.pk}": str(chosen.pk), f"q-{ordering.pk}-{step.pk}": "3"}
    )
    assert response.status_code == 204
    client.logout()
    client.force_login(learner)
    html = client.get(url).content.decode()

    assert f'value="{chosen.pk}" id="q{first.pk}-o{chosen.pk}" checked' in html
    select = re.search(rf'name="q-{ordering.pk}-{step.pk}".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\d+)" selected', select) == ["3"]
    assert QuizAttempt.objects.get().submitted_at is None  # saved, not graded


def test_it_keeps_drafts_to_their_own_learner_and_open_attempts(client, learner):
    _course, quiz, url = started(client, learner)
    outsider = factories.make_user()
    client.force_login(outsider)
    assert client.post(url + "bewaren/", {"q-1": "1"}).status_code == 404

    client.force_login(learner)
    attempt = QuizAttempt.objects.get()
    services.submit_attempt(attempt.pk, {}, learner)
    assert client.post(url + "bewaren/", {"q-1": "1"}).status_code == 409
    assert QuizAttempt.objects.get().draft == {}
