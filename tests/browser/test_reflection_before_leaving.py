"""In chromium: a reflection typed but not saved survives "Les afronden" (also with JavaScript
off), and leaving the lesson by a link asks first."""

import os

import pytest

from courses import services
from courses.models import Reflection
from tests import factories
from tests.browser.conftest import login
from tests.courses.learning_fixtures import make_rich_course

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_saves_a_typed_reflection_when_the_learner_completes_the_lesson(live_server, page):
    course = make_rich_course(slug="reflectie")
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    login(page, live_server, learner, next_path=f"/cursus/{course.slug}/les/les-1/")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    page.get_by_label("Jouw reflectie").fill("Ik vraag voortaan naar de voornaamwoorden.")
    # Leaving by a link asks first; dismissing keeps the learner (and the text) on the page.
    page.get_by_role("link", name="Volgende les: Les 2").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/les/les-1/")
    assert not Reflection.objects.exists()

    page.get_by_role("button", name="Les afronden en verder").click()
    page.wait_for_url(f"**/cursus/{course.slug}/les/les-2/")
    page.get_by_text("Je reflectie is opgeslagen.").wait_for()
    assert Reflection.objects.get(user=learner).text == "Ik vraag voortaan naar de voornaamwoorden."
    assert dialogs == ["beforeunload"]  # completing did not ask


def test_it_saves_a_typed_reflection_with_les_afronden_when_javascript_is_off(live_server, browser):
    course = make_rich_course(slug="reflectie-zonder-js")
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    context = browser.new_context(locale="nl-NL", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, learner, next_path=f"/cursus/{course.slug}/les/les-1/")
        page.get_by_label("Jouw reflectie").fill("Ik vraag naar wat iemand zelf belangrijk vindt.")
        page.get_by_role("button", name="Les afronden en verder").click()
        page.wait_for_url(f"**/cursus/{course.slug}/les/les-2/")
        page.get_by_text("Je reflectie is opgeslagen.").wait_for()
        assert Reflection.objects.get(user=learner).text == (
            "Ik vraag naar wat iemand zelf belangrijk vindt."
        )
    finally:
        context.close()


def test_it_does_not_ask_when_nothing_was_typed_or_the_reflection_was_saved(live_server, page):
    course = make_rich_course(slug="reflectie-bewaard")
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    login(page, live_server, learner, next_path=f"/cursus/{course.slug}/les/les-1/")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    page.get_by_label("Jouw reflectie").fill("Opgeslagen gedachte")
    page.get_by_role("button", name="Reflectie opslaan").click()
    page.get_by_text("Je reflectie is opgeslagen.").wait_for()
    page.get_by_role("link", name="Volgende les: Les 2").click()
    page.wait_for_url(f"**/cursus/{course.slug}/les/les-2/")
    assert dialogs == []
