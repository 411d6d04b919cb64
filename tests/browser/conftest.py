"""Shared Playwright fixtures: Debian's chromium, never a downloaded browser."""

import pytest

from tests.browser_support import shared_browser


@pytest.fixture(scope="session")
def browser():
    return shared_browser()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def login(page, live_server, user, password=None, next_path="/"):
    """Log `user` in through the real login page and wait until the redirect has landed."""
    from tests import factories

    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(password or factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{live_server.url}{next_path}")


def drag_above(page, handle, target):
    """Drag `handle` (a SortableJS drag handle) with the mouse to just above `target`; returns the
    response to the POST the drop sends."""
    box, goal = handle.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + 5, box["y"] - (box["y"] - goal["y"] + 5) * step / 10)
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.mouse.up()
    return response.value
