"""Review in a real chromium, at phone width: an author asks for a review, the reviewer finds the
draft in their queue, comments on a quiz question and approves, the author publishes. On an
accredited course the author cannot drop the reviewer to publish unreviewed."""

import os

import pytest
from django.core import mail

from courses import publishing
from courses.models import CourseRole, ReviewComment
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login
from tests.records.registers_support import accredit

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):
    wide = page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 8)"""
    )
    assert not wide, wide
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_it_requests_review_approves_as_another_user_and_publishes(live_server, browser, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    course = factories.make_course(slug="basis")
    accredit(course, "big")
    author = factories.make_author(course, email="auteur@example.org")
    reviewer = factories.make_user(email="ervaring@example.org", first_name="Sam")
    CourseRole.objects.create(course=course, user=reviewer, role=CourseRole.Role.REVIEWER)
    draft = publishing.create_draft(course, author)

    author_page = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
    page = author_page.new_page()
    login(page, live_server, author, next_path="/auteur/basis/")
    page.get_by_label("Bericht aan de reviewers (optioneel)").fill("Kijk vooral naar de toets.")
    page.get_by_role("button", name="Vraag review aan").click()
    page.get_by_text("De reviewers hebben een e-mail gekregen.").wait_for()
    assert [m.to for m in mail.outbox] == [["ervaring@example.org"]]
    assert fits(page)

    # The bypass: no role buttons for the author on an accredited course, and a forged
    # request is refused; publishing without an approval is refused.
    page.goto(f"{live_server.url}/auteur/basis/rollen/")
    page.get_by_text("alleen een beheerder kan rollen wijzigen").first.wait_for()
    assert page.get_by_role("button", name="Verwijderen").count() == 0
    role_id = CourseRole.objects.get(user=reviewer).pk
    token = page.evaluate("document.cookie.match(/csrftoken=([^;]+)/)[1]")
    page.request.post(
        f"{live_server.url}/auteur/basis/rollen/",
        form={"remove": str(role_id), "csrfmiddlewaretoken": token},
        headers={"Referer": f"{live_server.url}/auteur/basis/rollen/"},
    )
    assert CourseRole.objects.filter(pk=role_id).exists()
    page.goto(f"{live_server.url}/auteur/basis/publiceren/")
    page.get_by_text("Deze cursus is geaccrediteerd").wait_for()
    assert page.get_by_role("button", name="Nu publiceren").count() == 0

    # The reviewer, on a phone: the queue, the final test as learners see it, a comment on one
    # question, the approval.
    reviewer_context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
    other = reviewer_context.new_page()
    login(other, live_server, reviewer, next_path="/auteur/te-reviewen/")
    other.get_by_text("wacht op jou").wait_for()
    assert fits(other)
    assert_accessible(other)
    other.get_by_role("link", name="Testcursus").click()
    other.locator("#quizzes").get_by_role("link", name="Voorbeeld").first.click()
    other.get_by_role("heading", name="Eindtoets").wait_for()
    assert fits(other)
    other.get_by_label("Over").select_option(label="Vraag 2: Vraag 1")
    other.get_by_role("textbox", name="Opmerking").fill("Afleider B is te makkelijk.")
    other.get_by_role("button", name="Opmerking plaatsen").click()
    other.get_by_text("Je opmerking is geplaatst.").wait_for()
    assert ReviewComment.objects.get().question_key == "q1"
    other.goto(f"{live_server.url}/auteur/basis/")
    other.get_by_role("button", name="Concept goedkeuren").click()
    other.get_by_text("Je hebt dit concept goedgekeurd.").wait_for()
    reviewer_context.close()

    page.goto(f"{live_server.url}/auteur/basis/publiceren/")
    page.get_by_role("button", name="Nu publiceren").click()
    page.get_by_text(f"Versie {draft.number} is gepubliceerd.").wait_for()
    page.goto(f"{live_server.url}/auteur/basis/wijzigingen/")
    page.get_by_text(f"Versie {draft.number} gepubliceerd door").wait_for()
    assert fits(page)
    author_page.close()
