"""axe-core finds no WCAG 2.1 A/AA violations on the author area's pages (and no CSP errors)."""

import os

import pytest

from courses import publishing, services
from courses.models import CourseRole, Lesson
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_has_no_wcag_violations_in_the_author_area(live_server, page):
    course = factories.make_course(slug="toegankelijk")
    author = factories.make_author(course, email="auteur-a11y@example.org")
    reviewer = factories.make_user(email="reviewer-a11y@example.org")
    CourseRole.objects.create(course=course, user=reviewer, role=CourseRole.Role.REVIEWER)
    draft = publishing.create_draft(course, author)
    lesson = Lesson.objects.get(module__version=draft, key="les-1")
    factories.add_every_block_kind(lesson, start=1)
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    publishing.add_review_comment(
        draft, reviewer, "Graag ‘partner’ in plaats van ‘vriend’.", "les-1"
    )

    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, live_server, author, next_path="/auteur/")
    base = "/auteur/toegankelijk"
    paths = [
        "/auteur/",
        "/auteur/nieuw/",
        f"{base}/",
        f"{base}/gegevens/",
        f"{base}/lessen/les-1/",
        f"{base}/lessen/les-1/voorbeeld/",
        f"{base}/lessen/les-1/blokken/nieuw/image/",
        f"{base}/lessen/les-1/blokken/nieuw/media/",
        f"{base}/lessen/les-1/blokken/p1/",
        f"{base}/lessen/les-1/blokken/s1/",
        f"{base}/lessen/les-1/blokken/s1/stappen/start/",
        f"{base}/quizzen/eindtoets/",
        f"{base}/quizzen/eindtoets/voorbeeld/",
        f"{base}/quizzen/eindtoets/voorbeeld/?antwoorden=1",
        "/auteur/te-reviewen/",
        f"{base}/quizzen/eindtoets/vragen/q0/",
        f"{base}/quizzen/eindtoets/vragen/nieuw/matching/",
        f"{base}/publiceren/",
        f"{base}/wijzigingen/",
        f"{base}/rollen/",
        f"{base}/rapport/",
        "/auteur/personas/nieuw/",
    ]
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert_accessible(page)
    # A form with errors is accessible too.
    page.goto(f"{live_server.url}{base}/lessen/les-1/blokken/nieuw/image/")
    page.get_by_role("button", name="Opslaan").click()
    page.locator(".errorlist").first.wait_for()
    assert_accessible(page)
    assert violations == []
