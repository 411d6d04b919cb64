"""The whole learner path with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys):
log in, enrol, self-assessment, a lesson's scenario and reflection, the final test, the
evaluation and the certificate; every element that takes focus on the way shows it."""

import os

import pytest

from tests import factories
from tests.courses.learning_fixtures import make_rich_course

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    text: (label || el.getAttribute("aria-label") || el.innerText || el.value || "").trim(),
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.name || "",
    value: el.value || "",
    checked: !!el.checked,
    visible: outline || style.boxShadow !== "none",
  };
}"""


class Keyboard:
    def __init__(self, page):
        self.page = page
        self.stops = 0

    def focused(self):
        info = self.page.evaluate(FOCUSED)
        if info is not None:
            assert info["visible"], f"no visible focus indicator on {info}"
        return info

    def tab_to(self, matches, backwards=False, limit=250):
        """Press Tab (or Shift+Tab) until the focused element `matches`; asserts a visible
        focus indicator on every element passed on the way. Returns the focused element."""
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self.stops += 1
            info = self.focused()
            if info is not None and matches(info):
                return info
        raise AssertionError(f"nothing matching reached with Tab on {self.page.url}")

    def activate(self, text, key="Enter"):
        self.tab_to(lambda i: i["text"] == text and i["tag"] in {"a", "button"})
        self.page.keyboard.press(key)

    def choose(self, name, wanted):
        """Tab into the radio group `name`, then arrow to the option whose label is `wanted`."""
        info = self.tab_to(lambda i: i["type"] == "radio" and i["name"] == name)
        for _ in range(12):
            if info["text"] == wanted:
                if not info["checked"]:
                    self.page.keyboard.press("Space")
                return
            self.page.keyboard.press("ArrowDown")
            info = self.focused()
        raise AssertionError(f"no option {wanted!r} in {name}")

    def type_into(self, label, text):
        self.tab_to(lambda i: i["text"].startswith(label) and i["tag"] in {"input", "textarea"})
        self.page.keyboard.type(text)


def radio_names(page, scope="main"):
    names = page.locator(f"{scope} input[type=radio]").evaluate_all("els => els.map(e => e.name)")
    return list(dict.fromkeys(names))


def test_a_learner_goes_the_whole_way_with_the_keyboard(live_server, page):
    course = make_rich_course(slug="toetsenbord")
    factories.make_user(email="toets@example.org", first_name="Mila", last_name="Kok")
    keys = Keyboard(page)
    page.set_default_timeout(60_000)  # a shared CI machine: many key presses, each a round trip

    page.goto(f"{live_server.url}/cursus/{course.slug}/")
    keys.activate("Log in om je in te schrijven")
    page.wait_for_url("**/accounts/login/**")
    keys.type_into("E-mailadres", "toets@example.org")
    keys.type_into("Wachtwoord", factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/cursus/{course.slug}/")

    keys.activate("Inschrijven")
    page.get_by_text("Je bent ingeschreven.").wait_for()
    keys.activate("Start de zelfevaluatie")
    page.wait_for_url("**/zelfevaluatie/voor/")
    for name in radio_names(page):
        keys.choose(name, "2")
    keys.activate("Opslaan")
    page.wait_for_url("**/les/les-1/")

    # The scenario: a choice with Space, confirmed with Enter, swapped in place.
    scenario = page.locator("#scenario-s0")
    keys.tab_to(lambda i: i["type"] == "radio" and i["text"] == "Vraag door")
    page.keyboard.press("Space")
    keys.activate("Bevestig je keuze")
    scenario.get_by_text("Jouw keuze:").wait_for()
    keys.tab_to(lambda i: i["type"] == "radio" and i["text"] == "Rond af")
    page.keyboard.press("Space")
    keys.activate("Bevestig je keuze")
    scenario.get_by_text("Einde van het scenario.").wait_for()

    # A reflection, typed and saved.
    keys.type_into("Jouw reflectie", "Ik vraag voortaan naar wie er thuis is.")
    keys.activate("Reflectie opslaan")
    page.get_by_text("Je reflectie is opgeslagen.").wait_for()

    keys.activate("Les afronden en verder")
    page.wait_for_url("**/les/les-2/")
    keys.activate("Les afronden")
    page.wait_for_url("**/toets/eindtoets/")

    # The final test: every answer with the arrow keys.
    keys.activate("Start de toets")
    page.wait_for_url("**/poging/**")
    for name in radio_names(page, "form"):
        keys.choose(name, "Optie 0")
    keys.activate("Toets inleveren")
    page.get_by_text("Je score: 100%").wait_for()
    keys.activate("Naar je certificaat")
    page.get_by_role("heading", name="Gefeliciteerd!").wait_for()

    keys.activate("Naar de evaluatie")
    page.wait_for_url("**/evaluatie/")
    for name in ("relevance", "quality", "independence"):
        keys.tab_to(lambda i, n=name: i["type"] == "radio" and i["name"] == n)
        for _ in range(10):
            if keys.focused()["value"] == "4":
                page.keyboard.press("Space")
                break
            page.keyboard.press("ArrowRight")
    keys.type_into("Hoeveel minuten", "60")
    keys.activate("Evaluatie versturen")
    page.get_by_role("link", name="Download je certificaat (pdf)").wait_for()

    with page.expect_download() as download:
        keys.activate("Download je certificaat (pdf)")
    assert open(download.value.path(), "rb").read().startswith(b"%PDF-")
    # Back through the page with Shift+Tab: focus stays visible that way too.
    keys.tab_to(lambda i: i["text"] == "Direct naar de inhoud", backwards=True)
    assert keys.stops > 30
