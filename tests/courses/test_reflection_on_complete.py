"""A reflection typed but not saved is saved with "Les afronden" (its field belongs to the
completion form, so also without JavaScript), or the lesson comes back with the error and
nothing is written."""

import lxml.html
import pytest

from courses import services
from courses.models import Lesson, LessonProgress, Reflection, ReflectionBlock
from tests import factories
from tests.courses.learning_fixtures import make_rich_course

pytestmark = pytest.mark.django_db

LESSON = "/cursus/rijk/les/les-1/"
COMPLETE = "/cursus/rijk/les/les-1/afronden/"


def form_as_a_browser_posts_it(page, form_id, typed):
    """(action, data) of the form `form_id` as a browser without JavaScript submits it: its
    own fields and those elsewhere on the page that name it in their `form` attribute, with
    `typed` ({name: text}) typed into its text areas."""
    doc = lxml.html.fromstring(page)
    form = doc.get_element_by_id(form_id)
    fields = doc.xpath("//input[@name] | //textarea[@name]")
    data = {}
    for field in fields:
        owner = field.get("form")
        belongs = owner == form_id if owner else form in field.iterancestors("form")
        if not belongs or field.get("type") in ("submit", "button"):
            continue
        value = field.text or "" if field.tag == "textarea" else field.get("value", "")
        data[field.get("name")] = typed.get(field.get("name"), value)
    return form.get("action"), data


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


def test_it_posts_a_typed_reflection_with_les_afronden_without_javascript(client, learner):
    page = client.get(LESSON).content.decode()
    action, data = form_as_a_browser_posts_it(
        page, "complete-lesson", {"r0-text": "Ik vraag eerst hoe iemand genoemd wil worden."}
    )
    assert action == COMPLETE and "r0-text" in data

    response = client.post(action, data)

    assert response.status_code == 302 and response["Location"] == "/cursus/rijk/les/les-2/"
    assert Reflection.objects.get(user=learner).text == (
        "Ik vraag eerst hoe iemand genoemd wil worden."
    )
    assert LessonProgress.objects.get(lesson_key="les-1").completed_at is not None
    assert "Je reflectie is opgeslagen." in client.get(response["Location"]).content.decode()


def save_buttons(page):
    return lxml.html.fromstring(page).xpath('//button[@form="complete-lesson"][@formaction]')


def test_it_saves_its_reflection_with_reflectie_opslaan_without_javascript(client, learner):
    page = client.get(LESSON).content.decode()
    _action, data = form_as_a_browser_posts_it(page, "complete-lesson", {"r0-text": "Gedachte"})
    save = save_buttons(page)
    assert [button.text_content() for button in save] == ["Reflectie opslaan"]

    response = client.post(save[0].get("formaction"), data)

    assert response.status_code == 302 and response["Location"] == LESSON + "#block-r0"
    assert Reflection.objects.get(user=learner).text == "Gedachte"
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


@pytest.fixture
def two_reflections(client):
    """A learner in a lesson with two reflections (r0 and r1)."""
    course = factories.make_course(slug="twee", lessons=1, publish=False)
    lesson = Lesson.objects.get(module__version=course.versions.get(), key="les-1")
    for position, key in enumerate(["r0", "r1"], start=10):
        ReflectionBlock.objects.create(
            lesson=lesson, position=position, key=key, prompt=f"<p>Vraag {key}</p>"
        )
    factories.publish_version(course.versions.get())
    user = factories.make_user()
    services.enroll_learner(user, course)
    client.force_login(user)
    return user


def test_it_keeps_what_was_typed_in_another_reflection_when_one_is_saved(client, two_reflections):
    page = client.get("/cursus/twee/les/les-1/").content.decode()
    typed = {"r0-text": "Eerst de naam vragen.", "r1-text": "Niet aannemen, maar vragen."}
    _action, data = form_as_a_browser_posts_it(page, "complete-lesson", typed)
    first_save = save_buttons(page)[0]

    response = client.post(first_save.get("formaction"), data)

    assert response.status_code == 302
    saved = dict(Reflection.objects.filter(user=two_reflections).values_list("block__key", "text"))
    assert saved == {"r0": "Eerst de naam vragen.", "r1": "Niet aannemen, maar vragen."}
    page = lxml.html.fromstring(client.get(response["Location"]).content.decode())
    assert page.get_element_by_id("id_r1-text").text_content().strip() == typed["r1-text"]


def test_it_saves_no_reflection_when_another_one_typed_is_refused(client, two_reflections):
    page = client.get("/cursus/twee/les/les-1/").content.decode()
    typed = {"r0-text": "Eerst de naam vragen.", "r1-text": "x" * 10001}
    _action, data = form_as_a_browser_posts_it(page, "complete-lesson", typed)

    response = client.post(save_buttons(page)[0].get("formaction"), data)

    assert response.status_code == 400
    assert "Je reflectie is te lang" in response.content.decode()
    assert not Reflection.objects.exists()


def test_it_asks_for_text_when_its_own_reflection_is_empty(client, two_reflections):
    response = client.post(
        "/cursus/twee/les/les-1/reflectie/r0/", {"r0-text": "  ", "r1-text": "Iets anders"}
    )

    assert response.status_code == 400
    assert "Schrijf eerst je reflectie." in response.content.decode()
    assert not Reflection.objects.exists()


def test_it_leaves_a_saved_reflection_that_comes_along_unchanged_alone(client, learner):
    client.post("/cursus/rijk/les/les-1/reflectie/r0/", {"r0-text": "Eerste gedachte"})
    saved = Reflection.objects.get(user=learner)
    page = client.get(LESSON).content.decode()
    _action, data = form_as_a_browser_posts_it(page, "complete-lesson", {})
    assert data["r0-text"].strip() == "Eerste gedachte"

    response = client.post(COMPLETE, data)

    assert response.status_code == 302
    assert Reflection.objects.get(user=learner).updated_at == saved.updated_at
    assert "Je reflectie is opgeslagen." not in client.get(response["Location"]).content.decode()
    assert LessonProgress.objects.get(lesson_key="les-1").completed_at is not None
