"""The account pages in a real chromium: sign up, register numbers, download, delete."""

import json
import os
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import RegisterNumber, User
from tests.browser_support import shared_browser
from tests.factories import confirmation_path

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test need this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Een-lang-en-ongewoon-wachtwoord-42"


@pytest.fixture(scope="module")
def chromium():
    return shared_browser()


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert not violations, violations


def test_it_takes_a_learner_from_sign_up_to_deletion(live_server, tab):
    page = tab
    page.goto(f"{live_server.url}/accounts/aanmelden/")
    page.get_by_label("E-mailadres").fill("robin@example.org")
    page.get_by_label("Voornaam").fill("Robin")
    page.get_by_label("Achternaam").fill("Dijk")
    page.get_by_label("Tussenvoegsel (optioneel)").fill("van")
    page.get_by_label("Beroep").select_option("poh_ggz")
    page.get_by_label(re.compile(r"^Wachtwoord")).fill(PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    page.wait_for_url("**/accounts/aanmelden/verstuurd/")
    # The account works once its address is confirmed through the link in the mail.
    page.goto(live_server.url + confirmation_path(mail.outbox[-1]))
    page.get_by_role("button", name="Account bevestigen").click()
    page.wait_for_url("**/accounts/profiel/")
    expect(page.get_by_text("Welkom, Robin")).to_be_visible()

    # A BIG number with a dropped leading zero: asked, nothing stored until confirmed.
    new = page.get_by_role("group", name="Nieuw registratienummer")
    new.get_by_label(re.compile(r"^Register:?$")).select_option("big")
    new.get_by_label(re.compile(r"^Registratienummer:?$")).fill("0123-4567-89")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Bedoel je 00123456789 (met een 0 vooraan)?")).to_be_visible()
    assert not RegisterNumber.objects.exists()

    new = page.get_by_role("group", name="Nieuw registratienummer")
    new.get_by_label("Ja, met een 0 vooraan / dit nummer klopt").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Je gegevens zijn opgeslagen.")).to_be_visible()
    assert (
        page.get_by_role("group", name="Registratienummer 1")
        .get_by_label(re.compile(r"^Registratienummer:?$"))
        .input_value()
        == "00123456789"
    )

    page.get_by_role(
        "link", name="Privacy: je gegevens downloaden of je account verwijderen"
    ).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download mijn gegevens").click()
    data = json.loads(open(download.value.path()).read())
    assert data["profile"]["email"] == "robin@example.org"
    assert data["register_numbers"][0]["number"] == "00123456789"

    page.get_by_label("Je wachtwoord, ter bevestiging").fill("fout")
    page.get_by_role("button", name="Verwijder mijn account definitief").click()
    expect(
        page.get_by_text("Dit wachtwoord klopt niet. Je account is niet verwijderd.")
    ).to_be_visible()
    page.get_by_label("Je wachtwoord, ter bevestiging").fill(PASSWORD)
    page.get_by_role("button", name="Verwijder mijn account definitief").click()
    expect(page.get_by_role("heading", name="Je account is verwijderd")).to_be_visible()
    assert not User.objects.filter(email="robin@example.org").exists()

    # The old login no longer works.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mailadres").fill("robin@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_text("Dit e-mailadres en wachtwoord horen niet bij elkaar.")).to_be_visible()


def test_it_tells_a_locked_out_learner_how_long_to_wait(live_server, tab, settings):
    settings.LOGIN_RATE_LIMIT_ATTEMPTS = 2
    User.objects.create_user(email="sam@example.org", password=PASSWORD)
    page = tab
    for password in ("fout-1", "fout-2", PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("E-mailadres").fill("sam@example.org")
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Inloggen").click()
    alert = page.get_by_role("alert")
    assert "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw." in alert.inner_text()
    assert "/accounts/login/" in page.url
