"""axe-core (WCAG 2.1 A/AA) on every page a staff member (superuser: author, reviewer and
accreditation pages included) can open from the authorisation matrix's URL list, at 320, 390
and 768 px and on a desktop. Django's own admin is left out (not our markup)."""

import os

import pytest

from courses import services
from tests import factories
from tests.browser.axe import axe_violations
from tests.browser.test_every_screen import html_pages, matrix_urls, session_cookie
from tests.courses.learning_fixtures import make_rich_course
from tests.lms.test_authorisation_matrix import world  # noqa: F401 (fixture)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 390, 768, 1280)


def test_it_has_no_wcag_violations_on_any_staff_page_at_any_width(live_server, browser, world):  # noqa: F811
    course = make_rich_course(slug="staf")
    learner = factories.make_user(email="staf-learner@example.org")
    enrollment = services.enroll_learner(learner, course)
    staff = factories.make_user(email="staf@example.org", is_staff=True, is_superuser=True)
    services.enroll_learner(staff, course)  # the learner pages of the course too
    urls = [u for u in matrix_urls(world, course, enrollment) if not u.startswith("/admin/")]
    pages = html_pages(urls, staff, "nl")
    assert len(pages) > 30

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([session_cookie(live_server, staff)])
    page = context.new_page()
    problems = {}
    for url in pages:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(live_server.url + url, wait_until="load")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            found = axe_violations(page)
            if found:
                problems[f"{url} at {width}px"] = [
                    f"{v['id']}: {v['help']} {v['targets'][:2]}" for v in found
                ]
    context.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
