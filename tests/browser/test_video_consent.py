"""A YouTube video in a real chromium: the author adds the link, the learner sees a consent notice,
nothing is requested from youtube-nocookie.com until "Video laden" is pressed (from the keyboard),
and a remembered choice loads the player straight away on the next visit."""

import os
from urllib.parse import urlsplit

import pytest

from courses import publishing, services
from courses.models import MediaBlock
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOCOOKIE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


def tab_to(page, locator, limit=60):
    """Press Tab until `locator` has the focus, as a keyboard user would reach it."""
    handle = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_a_learner_loads_a_youtube_video_only_after_consent(live_server, page, browser):
    course = factories.make_course(slug="basis")
    author = factories.make_author(course, email="auteur@example.org")
    draft = publishing.create_draft(course, author)

    # The author adds the video with the link copied from YouTube's share button.
    login(page, live_server, author, next_path="/auteur/")
    page.goto(f"{live_server.url}/auteur/basis/lessen/les-1/blokken/nieuw/media/")
    page.wait_for_selector("html[data-rich-text=ready]")
    page.get_by_role("textbox", name="Titel").fill("Uitleg over gender")
    page.get_by_label("Externe URL").fill("https://youtu.be/dQw4w9WgXcQ")
    page.get_by_role("textbox", name="Transcript").click()
    page.keyboard.type("Wat de spreker zegt, uitgeschreven.")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Het blok is toegevoegd.").wait_for()
    block = MediaBlock.objects.get(lesson__module__version=draft)
    assert block.url == "https://youtu.be/dQw4w9WgXcQ"
    publishing.publish_draft(draft, author)
    course.refresh_from_db()

    learner = factories.make_user(email="leerling@example.org")
    services.enroll_learner(learner, course)
    context = browser.new_context(locale="nl-NL")
    learner_page = context.new_page()
    learner_page.set_default_timeout(15000)
    problems, elsewhere = [], []
    learner_page.on("pageerror", lambda e: problems.append(str(e)))
    learner_page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # The machine has no internet: every request to another host is noted and aborted.
    site = urlsplit(live_server.url).netloc

    def route(request_route):
        if urlsplit(request_route.request.url).netloc == site:
            request_route.continue_()
        else:
            elsewhere.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    try:
        login(learner_page, live_server, learner, next_path="/cursus/basis/les/les-1/")
        notice = learner_page.locator(".video-consent")
        notice.wait_for()
        assert "Deze video staat bij YouTube." in notice.inner_text()
        link = notice.get_by_role("link", name="Bekijk de video op YouTube")
        assert link.get_attribute("href") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
        assert learner_page.locator("iframe").count() == 0
        assert_accessible(learner_page)
        learner_page.wait_for_timeout(300)
        assert elsewhere == []  # nothing from YouTube before the choice

        # Keyboard only: Tab to the button, Enter.
        load = learner_page.get_by_role("button", name="Video laden")
        tab_to(learner_page, load)
        learner_page.keyboard.press("Enter")
        frame = learner_page.locator("iframe.video-frame")
        frame.wait_for(state="attached")
        assert frame.get_attribute("src") == NOCOOKIE
        assert frame.get_attribute("title") == "Video: Uitleg over gender (YouTube)"
        assert learner_page.evaluate("document.activeElement.tagName") == "IFRAME"
        assert learner_page.locator(".video-consent").count() == 0
        learner_page.wait_for_timeout(300)  # let the frame's request reach the router
        assert any(u.startswith(NOCOOKIE) for u in elsewhere), elsewhere
        assert all(urlsplit(u).netloc == "www.youtube-nocookie.com" for u in elsewhere), elsewhere

        # Not remembered: the next visit asks again.
        elsewhere.clear()
        learner_page.reload()
        learner_page.locator(".video-consent").wait_for()
        learner_page.wait_for_timeout(300)
        assert elsewhere == [] and learner_page.locator("iframe").count() == 0

        # Remembered (checkbox with Space): later visits load the player straight away.
        tab_to(learner_page, learner_page.get_by_label("Onthoud mijn keuze voor YouTube"))
        learner_page.keyboard.press("Space")
        learner_page.get_by_role("button", name="Video laden").press("Enter")
        learner_page.locator("iframe.video-frame").wait_for(state="attached")
        learner_page.reload()
        learner_page.locator("iframe.video-frame").wait_for(state="attached")
        assert learner_page.locator(".video-consent").count() == 0
        assert learner_page.locator("iframe.video-frame").get_attribute("src") == NOCOOKIE
        assert problems == []
    finally:
        context.close()
