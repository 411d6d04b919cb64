"""Author forms in a real chromium: the slug follows the title until edited; a new question
starts with four answer rows and "Antwoord toevoegen" adds one without saving, with the same
rich-text editor for its feedback as the rows the page came with."""

import os

import pytest

from courses import publishing
from courses.models import Course, Question
from tests import factories
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_fills_the_slug_and_adds_answer_rows_without_saving(live_server, page):
    course = factories.make_course(slug="basis")
    author = factories.make_author(course, email="auteur@example.org")
    draft = publishing.create_draft(course, author)

    login(page, live_server, author, next_path="/auteur/nieuw/")
    page.get_by_label("Titel").fill("Seksuele gezondheid & preventie")
    assert page.get_by_label("Webadres (slug)").input_value() == "seksuele-gezondheid-preventie"
    page.get_by_label("Webadres (slug)").fill("seks")
    page.get_by_label("Titel").fill("Seksuele gezondheid")
    assert page.get_by_label("Webadres (slug)").input_value() == "seks"
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("De cursus is aangemaakt.").wait_for()
    assert Course.objects.filter(slug="seks").exists()

    page.goto(f"{live_server.url}/auteur/basis/quizzen/eindtoets/vragen/nieuw/single_choice/")
    page.wait_for_selector("html[data-rich-text=ready]")
    assert page.locator("fieldset.subform").count() == 4
    page.get_by_role("button", name="Antwoord toevoegen").click()
    assert page.locator("fieldset.subform").count() == 5
    page.get_by_role("textbox", name="Vraag", exact=True).fill("Wat vraag je eerst?")
    for n, text in enumerate(["Open vraag", "Gesloten vraag", "Niets", "Later", "Vijfde"]):
        page.locator(f"#id_options-{n}-text").fill(text)
    page.locator("#id_options-4-is_correct").check()
    # The added row's feedback is an editor with its toolbar, not a bare textarea.
    row = page.locator("fieldset.subform").nth(4)
    feedback = row.get_by_role("textbox", name="Feedback")
    feedback.wait_for()
    assert row.locator("textarea#id_options-4-feedback").is_hidden()
    toolbar = row.get_by_role("toolbar", name="Opmaak: Feedback")
    feedback.click()
    page.keyboard.type("Goed: ")
    toolbar.get_by_role("button", name="Vet", exact=True).click()
    page.keyboard.type("vraag open")
    assert page.locator(".prose-editor").count() == 2 + 5  # prompt, explanation, five answers
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("De vraag is opgeslagen.").wait_for()
    question = Question.objects.filter(quiz__version=draft).order_by("-pk").first()
    assert [o.text for o in question.options.order_by("position")] == [
        "Open vraag",
        "Gesloten vraag",
        "Niets",
        "Later",
        "Vijfde",
    ]
    fifth = question.options.get(is_correct=True)
    assert fifth.text == "Vijfde"
    assert fifth.feedback == "<p>Goed: <strong>vraag open</strong></p>"
