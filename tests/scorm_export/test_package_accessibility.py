"""The package pages pass axe-core's WCAG 2 A/AA rules and load nothing from outside the package."""

from pathlib import Path

import pytest
from django.conf import settings

from scorm_export.packaging.builder import builder_for
from tests.scorm_export import learner
from tests.scorm_export.harness import browser_page, make_site, serve

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(frame):
    frame.evaluate(AXE.read_text())
    result = frame.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def test_every_page_passes_axe_and_stays_inside_the_package(rich_course, tmp_path):
    package = builder_for("scorm2004", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(base + "/lms/lms.html")
        page.evaluate("([s, u]) => launchSco(s, null, u)", ["scorm2004", base + "/pkg/index.html"])
        frame_locator = page.frame_locator("#sco")
        learner.wait_ready(frame_locator)
        sco = page.frames[1]
        # Keyboard: from the LMS page, the first Tab stop inside the course is the skip link.
        page.keyboard.press("Tab")
        assert sco.evaluate("() => document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert sco.evaluate("() => document.activeElement.id") == "content"
        titles = []
        for _ in range(4):  # Les 1 (every block kind), Les 2, Eindtoets, the end page
            titles.append(learner.visible_page_title(frame_locator))
            # Open the scenario's feedback and the next step too, so axe sees them.
            for button in frame_locator.locator(".spk-page:not([hidden]) button.choice").all()[:1]:
                button.click()
            assert axe_violations(sco) == [], titles[-1]
            next_button = frame_locator.locator("#spk-next")
            if next_button.is_enabled():
                next_button.click()
        assert titles == ["Les 1", "Les 2", "Eindtoets", "Einde van de cursus"]
        # Everything the SCO loaded came from the package itself: no call to any other server.
        package_urls = [u for u in requested if not u.startswith(base + "/lms/")]
        assert package_urls and all(u.startswith(base + "/pkg/") for u in package_urls), (
            package_urls
        )
        assert console_errors == []
