"""A learner's whole path in a real chromium: sign up, enrol, learn, pass, get certified."""

import io
import os
import re

import pytest
from django.core import mail
from pypdf import PdfReader

from tests import factories
from tests.courses.learning_fixtures import make_rich_course

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_every_question(page, option_text):
    questions = page.locator("fieldset.question")
    for i in range(questions.count()):
        questions.nth(i).get_by_label(option_text, exact=True).check()


@pytest.mark.parametrize("width", [1280, 390])  # a laptop and a phone
def test_it_walks_a_learner_from_sign_up_to_a_verified_certificate(
    live_server, page, settings, width
):
    page.set_viewport_size({"width": width, "height": 900})
    settings.PLAYER_HEARTBEAT_SECONDS = 1  # so the time heartbeat fires during the walk
    course = make_rich_course(slug="journey")
    policy_violations = []
    page.on(
        "console",
        lambda msg: (
            policy_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )

    # Sign up: name, profession and password; never sex or gender.
    page.goto(f"{live_server.url}/accounts/aanmelden/")
    assert page.get_by_label(re.compile("geslacht|gender", re.I)).count() == 0
    page.get_by_label("E-mailadres").fill("noor@example.org")
    page.get_by_label("Voornaam").fill("Noor")
    page.get_by_label("Achternaam").fill("Bakker")
    page.get_by_label("Beroep").select_option("huisarts")
    page.get_by_label(re.compile(r"^Wachtwoord")).fill(factories.PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    page.wait_for_url("**/accounts/aanmelden/verstuurd/")
    # The account works once its address is confirmed through the link in the mail.
    page.goto(live_server.url + factories.confirmation_path(mail.outbox[-1]))
    page.get_by_role("button", name="Account bevestigen").click()
    page.wait_for_url("**/accounts/profiel/")
    page.goto(f"{live_server.url}/cursus/{course.slug}/")

    # Enrol; the pre self-assessment is offered before the first lesson.
    page.get_by_role("button", name="Inschrijven").click()
    page.get_by_text("Je bent ingeschreven.").wait_for()
    page.get_by_role("link", name="Start de zelfevaluatie").click()
    answer_every_question(page, "2")
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/les/les-1/tijd/")
    ) as beat:
        page.get_by_role("button", name="Opslaan").click()
        page.wait_for_url("**/les/les-1/")
    assert beat.value.response().status == 200

    # Lesson 1: a scenario answered with the keyboard, swapped in place by player.js.
    page.get_by_label("Vraag door").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    scenario = page.locator("#scenario-s0")
    scenario.get_by_text("Jouw keuze:").wait_for()
    assert "Goed" in scenario.inner_text()
    assert page.url.endswith("/les/les-1/")  # no page load: the partial was swapped
    scenario.get_by_label("Rond af").check()
    scenario.get_by_role("button", name="Bevestig je keuze").click()
    scenario.get_by_text("Einde van het scenario.").wait_for()

    # A private reflection.
    page.get_by_label("Jouw reflectie").fill("Ik vraag voortaan naar wie er thuis is.")
    page.get_by_role("button", name="Reflectie opslaan").click()
    page.get_by_text("Je reflectie is opgeslagen.").wait_for()
    assert (
        page.get_by_label("Jouw reflectie").input_value()
        == "Ik vraag voortaan naar wie er thuis is."
    )
    assert page.get_by_text("Alleen voor jou zichtbaar").is_visible()

    # A practice quiz with feedback in place.
    practice = page.locator("#block-q0")
    practice.locator("fieldset.question").nth(0).get_by_label("Optie 1").check()
    practice.locator("fieldset.question").nth(1).get_by_label("Optie 0").check()
    practice.get_by_label("Waar", exact=True).check()
    url_before = page.url
    practice.get_by_role("button", name="Controleer mijn antwoorden").click()
    page.get_by_text("Je oefenscore: 67%").wait_for()
    assert page.url == url_before  # feedback swapped in place, no page load
    assert "Feedback 1" in page.locator("#block-q0").inner_text()

    page.get_by_role("button", name="Les afronden en verder").click()
    page.wait_for_url("**/les/les-2/")
    assert page.locator("#lesson-progress").get_attribute("value") == "50"
    page.get_by_role("button", name="Les afronden").click()
    page.wait_for_url("**/toets/eindtoets/")

    # The final test: fail once, then pass.
    page.get_by_role("button", name="Start de toets").click()
    answer_every_question(page, "Optie 1")
    page.get_by_role("button", name="Toets inleveren").click()
    page.get_by_text("Niet gehaald").first.wait_for()
    assert "Je score: 0%" in page.content()
    page.get_by_role("button", name="Opnieuw proberen").click()
    answer_every_question(page, "Optie 0")
    page.get_by_role("button", name="Toets inleveren").click()
    page.get_by_text("Je score: 100%").wait_for()
    page.get_by_role("link", name="Naar je certificaat").click()
    page.get_by_role("heading", name="Gefeliciteerd!").wait_for()

    # The participant evaluation the accreditation asks for comes before the certificate.
    page.get_by_role("link", name="Naar de evaluatie").click()
    for field in ("relevance", "quality", "independence"):
        page.locator(f'input[name="{field}"][value="4"]').check()
    page.get_by_label("Hoeveel minuten heb je er werkelijk aan besteed?").fill("60")
    page.get_by_role("button", name="Evaluatie versturen").click()

    # The certificate PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download je certificaat (pdf)").click()
    content = open(download_info.value.path(), "rb").read()
    assert content.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Testcursus" in text and "Noor Bakker" in text

    # The verification page, opened by someone who is not logged in.
    verify_path = re.search(r'href="(/certificaat/[^"]+/)"', page.content()).group(1)
    stranger = page.context.browser.new_context(locale="nl-NL")
    other = stranger.new_page()
    other.goto(live_server.url + verify_path)
    body = other.locator("main").inner_text()
    assert (
        "Noor Bakker" in body and "Testcursus" in body and "Ja, dit certificaat is geldig." in body
    )
    assert "noor@example.org" not in body
    stranger.close()
    assert policy_violations == []
