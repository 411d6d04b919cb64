"""A value PostgreSQL cannot store or compare (a NUL in text, a number out of range, a string
longer than its column) is the client's mistake: 400 with a clear message, never a 500."""

import pytest

from courses.models import QuizAttempt
from tests.courses.test_attempt_draft import started
from tests.lrs_support import body  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_refuses_a_value_the_database_cannot_store_from_a_form(client, learner):
    _course, quiz, url = started(client, learner)
    first = quiz.questions.order_by("position").first()
    # The draft of an answer is JSON in PostgreSQL, which cannot hold a NUL character.
    response = client.post(url + "bewaren/", {f"q-{first.pk}": "a\x00b"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "Een ingevulde waarde of een waarde in het adres is ongeldig of te groot."
    )
    assert QuizAttempt.objects.get().draft == {}  # nothing half-written
    saved = client.post(url + "bewaren/", {f"q-{first.pk}": "b"})
    assert saved.status_code == 204 and QuizAttempt.objects.get().draft == {f"q-{first.pk}": ["b"]}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/completions/?page=" + "9" * 30,
        "/api/v1/completions/?page_size=" + "9" * 30,
        "/api/v1/completions/?course=" + "x" * 5000,
        "/api/v1/completions/?course=%ED%A0%80",
        "/api/v1/completions/" + "x" * 5000 + "/",
        "/api/v1/completions/%ED%A0%80/",
        "/api/v1/courses/?page=-" + "9" * 30,
    ],
)
def test_it_answers_huge_and_broken_api_values_with_json(client, body, url):  # noqa: F811
    token = body.issue_api_token()
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (400, 404), (response.status_code, response.content[:200])
    assert response["Content-Type"] == "application/json" and response.json()["error"]
