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
