"""No horizontal scrolling: every page of the authorisation matrix's URL list, as anonymous user,
learner, author, reviewer and staff, in Dutch and English, at 320, 390 and 768 px wide.

One browser context per role and language; each page is loaded once and measured at every width
(the viewport is resized in place, which re-lays the page out without a reload).
"""

import os

import pytest
from django.test import Client
from django.urls import NoReverseMatch, get_resolver

from courses import services
from courses.models import CourseRole
from tests import factories
from tests.courses.learning_fixtures import make_rich_course
from tests.lms.test_authorisation_matrix import url_for, walk, world  # noqa: F401 (fixture)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 390, 768)
OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def matrix_urls(matrix, course, enrollment):
    """The matrix's URL list, its course-specific arguments pointing at `course`."""
    lesson = enrollment.version.lessons_in_order().first()
    kwargs = dict(matrix["kwargs"], slug=course.slug, lesson_key=lesson.key, key=lesson.key)
    kwargs["quiz_key"] = enrollment.version.final_test.key
    urls = set()
    for name, pattern in walk(get_resolver().url_patterns):
        try:
            urls.add(url_for(name, pattern, {**matrix, "kwargs": kwargs}))
        except NoReverseMatch:  # a regex route (uploaded media files): not a page
            continue
        except pytest.fail.Exception:  # an argument the matrix does not know yet: it fails there
            continue
    return sorted(urls) + ["/admin/", "/bestaat-niet/"]


def session_cookie(live_server, user):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def html_pages(urls, user, language):
    """The URLs that answer this user with an HTML page of their own; error pages once each.

    The test client decides quickly, so the browser only loads pages worth measuring.
    """
    client = Client()
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    pages, statuses = [], set()
    for url in urls:
        response = client.get(url)
        if "text/html" not in response.get("Content-Type", "") or not response.content:
            continue
        if response.status_code == 200:
            pages.append(url)
        elif response.status_code not in statuses and response.status_code >= 400:
            statuses.add(response.status_code)
            pages.append(url)
    return pages


def test_it_never_scrolls_sideways_on_any_page_for_any_role(live_server, browser, world):  # noqa: F811
    course = make_rich_course(slug="scherm")
    learner = factories.make_user(email="scherm-learner@example.org")
    enrollment = services.enroll_learner(learner, course)
    author = factories.make_author(course, email="scherm-author@example.org")
    reviewer = factories.make_user(email="scherm-reviewer@example.org")
    CourseRole.objects.create(course=course, user=reviewer, role=CourseRole.Role.REVIEWER)
    staff = factories.make_user(email="scherm-staff@example.org", is_staff=True, is_superuser=True)
    urls = matrix_urls(world, course, enrollment)
    roles = {"anonymous": None, "learner": learner, "author": author, "reviewer": reviewer}
    roles["staff"] = staff

    too_wide = {}
    measured = 0
    for role, user in roles.items():
        for language in ("nl", "en"):
            pages = html_pages(urls, user, language)
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 800})
            cookies = [{"name": "django_language", "value": language, "url": live_server.url}]
            if user is not None:
                cookies.append(session_cookie(live_server, user))
            context.add_cookies(cookies)
            page = context.new_page()
            for url in pages:
                page.set_viewport_size({"width": WIDTHS[0], "height": 800})
                page.goto(live_server.url + url, wait_until="domcontentloaded")
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    overflow = page.evaluate(OVERFLOW_JS)
                    measured += 1
                    if overflow > 0:
                        too_wide[(role, language, width, url)] = overflow
            context.close()
    assert measured > 300
    report = [" ".join(map(str, where)) + f": {px}px" for where, px in too_wide.items()]
    assert not too_wide, "too wide:\n" + "\n".join(sorted(report))
