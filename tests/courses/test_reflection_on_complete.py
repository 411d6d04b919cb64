"""A reflection typed but not saved is saved with "Les afronden" (player.js sends it along), or
the lesson comes back with the error and nothing is written."""

import pytest

from courses import services
from courses.models import LessonProgress, Reflection
from tests import factories
from tests.courses.learning_fixtures import make_rich_course

pytestmark = pytest.mark.django_db

COMPLETE = "/cursus/rijk/les/les-1/afronden/"


@pytest.fixture
def learner(client):
    course = make_rich_course()
    user = factories.make_user()
    services.enroll_learner(user, course)
    client.force_login(user)
    return user


def test_it_saves_a_typed_reflection_with_the_completion(client, learner):
    response = client.post(COMPLETE, {"r0-text": "  Ik vraag voortaan eerst naar de naam.  "})

    assert response.status_code == 302 and response["Location"] == "/cursus/rijk/les/les-2/"
    assert Reflection.objects.get(user=learner).text == "Ik vraag voortaan eerst naar de naam."
    assert LessonProgress.objects.get(lesson_key="les-1").completed_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Je reflectie is opgeslagen." in page


def test_it_writes_nothing_when_the_reflection_is_refused(client, learner):
    response = client.post(COMPLETE, {"r0-text": "x" * 10001})

    assert response.status_code == 400
    assert "Je reflectie is te lang" in response.content.decode()
    assert not Reflection.objects.exists()
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_it_keeps_a_saved_reflection_when_nothing_new_was_typed(client, learner):
    client.post("/cursus/rijk/les/les-1/reflectie/r0/", {"r0-text": "Eerste gedachte"})

    assert client.post(COMPLETE, {"r0-text": "   "}).status_code == 302

    assert Reflection.objects.get(user=learner).text == "Eerste gedachte"
    assert LessonProgress.objects.get(lesson_key="les-1").completed_at is not None
