"""axe-core (WCAG 2 A/AA rules) on every page of the learner path, in a real chromium."""

import os
from pathlib import Path

import pytest

from courses import services
from courses.models import CourseCompletion, LearningTrack, Lesson, TrackCourse
from tests import factories
from tests.courses.learning_fixtures import (
    correct_final_answers,
    make_rich_course,
    wrong_final_answers,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (320, 390, 768, 1280)
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_violations(page):
    if not page.evaluate("typeof axe !== 'undefined'"):  # once per page load
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("options => axe.run(document, options)", RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def test_it_has_no_wcag_violations_on_the_learner_pages(live_server, browser):
    assert AXE.exists(), "axe-core is missing: run `npm ci` (package.json)"
    course = make_rich_course(slug="toegankelijk")
    learner = factories.make_user(email="a11y@example.org")
    enrollment = services.enroll_learner(learner, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    failed = services.start_attempt(enrollment, quiz)
    services.submit_attempt(failed.pk, wrong_final_answers(quiz), learner)
    open_attempt = services.start_attempt(enrollment, quiz)
    # A second course, completed, in a track after the first.
    done_course = factories.make_course(slug="klaar", title="Afgeronde cursus")
    done = services.enroll_learner(learner, done_course)
    for lesson in Lesson.objects.filter(module__version=done.version):
        services.complete_lesson(done, lesson)
    final = done.version.final_test
    services.submit_attempt(
        services.start_attempt(done, final).pk, correct_final_answers(final), learner
    )
    track = LearningTrack.objects.create(slug="lijn", title="Leerlijn")
    TrackCourse.objects.create(track=track, course=done_course, position=0)
    TrackCourse.objects.create(track=track, course=course, position=1).prerequisites.add(
        done_course
    )

    # axe is injected as a script, which the site's CSP forbids; this context bypasses it.
    context = browser.new_context(locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mailadres").fill(learner.email)
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/dashboard/")

    slug = course.slug
    paths = [
        "/",
        "/dashboard/",
        f"/cursus/{slug}/",
        f"/cursus/{slug}/les/les-1/",
        f"/cursus/{slug}/zelfevaluatie/voor/",
        f"/cursus/{slug}/toets/eindtoets/",
        f"/cursus/{slug}/toets/eindtoets/poging/{open_attempt.pk}/",
        f"/cursus/{slug}/toets/eindtoets/poging/{failed.pk}/resultaat/",
        "/leerlijn/lijn/",
        "/cursus/klaar/afgerond/",
        "/cursus/klaar/samenvatting/?reflecties=on",  # the printable summary
        f"/cursus/{slug}/samenvatting/",
        f"/certificaat/{CourseCompletion.objects.get(enrollment=done).verification_code}/",
        "/begrippen/",
        "/accounts/profiel/",
        "/accounts/privacy/",
        "/bestaat-niet/",  # the 404 page
    ]
    problems = {}
    for path in paths:
        page.goto(live_server.url + path)
        for width in WIDTHS:  # one load, every width (the layout changes, the page does not)
            page.set_viewport_size({"width": width, "height": 900})
            if found := axe_violations(page):
                problems[f"{path} at {width}px"] = found
        page.set_viewport_size({"width": 1280, "height": 900})
    # The navigation menu opened on a phone.
    page.set_viewport_size({"width": 390, "height": 900})
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Mijn leeromgeving").wait_for()
    if found := axe_violations(page):
        problems["menu open at 390px"] = found
    page.set_viewport_size({"width": 1280, "height": 900})
    # A submitted form with errors, too.
    page.goto(f"{live_server.url}/cursus/{slug}/toets/eindtoets/poging/{open_attempt.pk}/")
    page.get_by_role("button", name="Toets inleveren").click()
    page.get_by_text("nog niet (volledig) beantwoord").wait_for()
    if found := axe_violations(page):
        problems["attempt with errors"] = found
    context.close()
    # The pages someone sees before logging in.
    context = browser.new_context(locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    for path in [
        "/accounts/login/",
        "/accounts/aanmelden/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/x/y/",  # an expired link
        "/accounts/herinneringen-uit/x/",  # a broken switch-off link from a reminder
    ]:
        page.goto(live_server.url + path)
        if found := axe_violations(page):
            problems[path] = found
    context.close()
    assert problems == {}
