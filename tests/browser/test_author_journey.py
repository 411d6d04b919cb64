"""An author builds a small course from scratch in a real chromium, previews, publishes;
a learner then opens it and sees the new content."""

import os

import pytest

from courses import services
from courses.models import Block, ChangeRecord, Course, CourseVersion
from tests import factories
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PNG = factories.image_bytes("PNG")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_an_author_build_preview_and_publish_a_course_a_learner_then_takes(
    live_server, page, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    author = factories.make_user(
        email="auteur@example.org", first_name="Noor", last_name="Jansen", is_staff=True
    )
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    login(page, live_server, author, next_path="/auteur/")
    page.get_by_role("link", name="Nieuwe cursus").click()
    page.get_by_label("Titel").fill("Praten over seksualiteit")
    page.get_by_label("Webadres (slug)").fill("praten")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("De cursus is aangemaakt.").wait_for()

    # A lesson with a text block and a tip.
    page.get_by_role("link", name="Les toevoegen").click()
    page.get_by_label("Titel").fill("Het eerste gesprek")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("heading", name="Les: Het eerste gesprek").wait_for()
    page.get_by_role("link", name="Tekst", exact=True).click()
    # The rich-text editor: no HTML to type, the toolbar makes it bold.
    page.wait_for_selector("html[data-rich-text=ready]")
    page.get_by_role("textbox", name="Tekst").click()
    page.keyboard.type("Vraag open: ")
    page.get_by_role("button", name="Vet", exact=True).click()
    page.keyboard.type("met wie")
    page.get_by_role("button", name="Vet", exact=True).click()
    page.keyboard.type(" heb je seks? <script>alert(1)</script>")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("link", name="Kader (tip, let op, citaat)").click()
    page.get_by_label("Soort").select_option("tip")
    page.get_by_label("Titel").fill("Tip")
    page.wait_for_selector("html[data-rich-text=ready]")
    page.get_by_role("textbox", name="Tekst").fill("Gebruik de woorden van je patiënt.")
    page.get_by_role("button", name="Opslaan").click()

    # An image: an SVG is refused with a Dutch message; a PNG with alt text is stored.
    page.get_by_role("link", name="Afbeelding").click()
    page.get_by_label("Afbeelding").set_input_files(
        files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": b"<svg onload='x()'/>"}]
    )
    page.get_by_label("Alt-tekst").fill("Een spreekkamer met twee stoelen")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("SVG-bestanden zijn niet toegestaan").wait_for()
    page.get_by_label("Afbeelding").set_input_files(
        files=[{"name": "kamer.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Het blok is toegevoegd.").wait_for()
    # The first line of a block row is its drag handle.
    assert page.locator(".block-list > li").nth(2).inner_text().split("\n")[1] == "Afbeelding"

    # Move the tip above the text with the keyboard only; focus stays on the moved item.
    up = page.get_by_role("button", name="Blok 2 omhoog verplaatsen")
    up.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    first_block = page.locator(".block-list > li").first
    assert "Gebruik de woorden" in first_block.inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'BUTTON'")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Blok 1 omlaag verplaatsen"

    # Preview: exactly the learner's block partial, draft content, sanitised.
    page.get_by_role("link", name="Voorbeeld bekijken zoals een deelnemer").click()
    page.get_by_role("heading", name="Het eerste gesprek").wait_for()
    assert page.locator("section.block-text strong").inner_text() == "met wie"
    assert page.locator("main script").count() == 0
    assert page.get_by_text("Gebruik de woorden van je patiënt.", exact=True).is_visible()
    assert page.get_by_role("img", name="Een spreekkamer met twee stoelen").count() == 1

    # Publish.
    page.get_by_role("link", name="Terug naar de auteursomgeving").click()
    page.get_by_role("link", name="Publiceren").first.click()
    page.get_by_role("button", name="Nu publiceren").click()
    page.get_by_text("Versie 1 is gepubliceerd.").wait_for()

    course = Course.objects.get(slug="praten")
    assert course.published_version.status == CourseVersion.Status.PUBLISHED
    assert [
        b.kind for b in Block.objects.filter(lesson__module__version=course.published_version)
    ] == ["callout", "text", "image"]
    assert ChangeRecord.objects.filter(course=course, user=author, action="publish").exists()
    assert violations == []

    # A learner opens the published course and its lesson and sees the author's content.
    learner = factories.make_user(email="leerling@example.org")
    services.enroll_learner(learner, course)
    learner_page = browser.new_context(locale="nl-NL").new_page()
    login(learner_page, live_server, learner, next_path="/cursus/praten/")
    learner_page.get_by_role("heading", name="Praten over seksualiteit").wait_for()
    learner_page.get_by_role("link", name="Het eerste gesprek").click()
    learner_page.get_by_role("heading", name="Het eerste gesprek").wait_for()
    assert learner_page.get_by_text("Gebruik de woorden van je patiënt.").is_visible()
    assert learner_page.locator("strong", has_text="met wie").is_visible()
    learner_page.context.close()
