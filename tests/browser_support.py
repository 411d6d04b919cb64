"""One Playwright and one Debian chromium per test session, shared by every browser test.

Playwright's sync API allows a single running instance per thread, so fixtures and helpers
all take the browser from here instead of starting their own. Never a downloaded browser.
"""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_running: dict = {}


def shared_browser():
    """Return the session's chromium, starting Playwright on first use."""
    if "browser" not in _running:
        # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
        # same test would otherwise refuse to run.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _running["playwright"] = playwright
        _running["browser"] = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
    return _running["browser"]


def close_open_contexts():
    """Close every context (and so every page) a test left open in the shared browser: their
    pollers and heartbeat timers stop, their connections to the live server close. Starts no
    browser."""
    browser = _running.get("browser")
    if browser is not None:
        for context in list(browser.contexts):
            context.close()


def stop_shared_browser():
    browser = _running.pop("browser", None)
    playwright = _running.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()
