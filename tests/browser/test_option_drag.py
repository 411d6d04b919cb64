"""Answers of a question in a real chromium: drag one to the top (one request, the page keeps what
was typed and renumbers), move one with the ↓ button from the keyboard; axe finds nothing."""

import os

import pytest

from courses import publishing
from courses.models import SingleChoiceQuestion
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import drag_above, login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def option_keys(draft):
    question = SingleChoiceQuestion.objects.get(quiz__version=draft, key="q0")
    return list(question.options.order_by("position").values_list("key", flat=True))


def test_it_drags_and_moves_answers_of_a_question(live_server, page):
    course = factories.make_course(slug="basis")
    author = factories.make_author(course, email="auteur@example.org")
    draft = publishing.create_draft(course, author)
    posts, problems = [], []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    login(page, live_server, author, next_path="/auteur/basis/quizzen/eindtoets/vragen/q0/")
    page.wait_for_selector("html[data-rich-text=ready]")
    assert_accessible(page)
    # Something typed and not saved yet must survive the drag.
    prompt = page.get_by_role("textbox", name="Vraag", exact=True)
    prompt.click()
    page.keyboard.press("End")
    page.keyboard.type(" (nog niet opgeslagen)")

    # Answer rows are tall (each has an editor): both rows in view for the mouse.
    page.set_viewport_size({"width": 1280, "height": 3200})
    response = drag_above(page, page.locator("#option-o2 .drag-handle"), page.locator("#option-o0"))
    assert response.status == 204
    assert option_keys(draft) == ["o2", "o0", "o1"]
    assert [u for u in posts if "/antwoorden/" in u] == [
        f"{live_server.url}/auteur/basis/quizzen/eindtoets/vragen/q0/antwoorden/o2/verplaatsen/"
    ]
    # Same page, renumbered: legends, "Volgorde" and the first row's ↑ is off.
    assert "(nog niet opgeslagen)" in prompt.inner_text()
    legends = page.locator("[data-formset=options] > fieldset > legend").all_inner_texts()
    assert legends[:3] == ["Antwoord 1", "Antwoord 2", "Antwoord 3"]
    assert page.locator("#option-o2 input[name$='-ORDER']").input_value() == "1"
    assert page.locator("#option-o0 input[name$='-ORDER']").input_value() == "2"
    assert page.get_by_role("button", name="Antwoord 1 omhoog verplaatsen").is_disabled()

    # The ↓ button from the keyboard: a normal form post, focus back on the same button.
    down = page.get_by_role("button", name="Antwoord 1 omlaag verplaatsen")
    down.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert option_keys(draft) == ["o0", "o2", "o1"]
    page.wait_for_function(
        "document.activeElement && document.activeElement.getAttribute('aria-label')"
        " === 'Antwoord 2 omlaag verplaatsen'"
    )

    # Saving the question keeps the order the moves made.
    page.wait_for_selector("html[data-rich-text=ready]")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("De vraag is opgeslagen.").wait_for()
    assert option_keys(draft) == ["o0", "o2", "o1"]
    assert problems == []
