"""Catalog, tracks, the course page and the dashboard."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses import catalog_content, learner_rows, publishing, services
from courses.models import Course, Enrollment, LearningTrack, Lesson, TrackCourse
from records.models import CourseAccreditation
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers, wrong_final_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def track(db):
    basis = factories.make_course(slug="basis", title="Basis seksuele diversiteit")
    verdieping = factories.make_course(slug="verdieping", title="Verdieping trans zorg")
    track = LearningTrack.objects.create(slug="leerlijn", title="Leerlijn diversiteit")
    TrackCourse.objects.create(track=track, course=basis, position=0)
    entry = TrackCourse.objects.create(track=track, course=verdieping, position=1)
    entry.prerequisites.add(basis)
    return track


def complete(user, course):
    enrollment = services.enroll_learner(user, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, quiz).pk, correct_final_answers(quiz), user
    )
    return enrollment


def test_it_lists_courses_and_tracks_with_study_load_for_everyone(client, track):
    html = client.get("/").content.decode()
    assert "Leerlijn diversiteit" in html
    assert "Basis seksuele diversiteit" in html and "Verdieping trans zorg" in html
    assert "Studiebelasting: 2 uur" in html
    assert "Ingeschreven" not in html


def test_it_shows_enrolment_and_progress_in_the_catalog(client, learner, track):
    enrollment = services.enroll_learner(learner, track.courses.get(slug="basis"))
    services.complete_lesson(
        enrollment, Lesson.objects.get(module__version=enrollment.version, key="les-1")
    )
    client.force_login(learner)
    html = client.get("/").content.decode()
    assert "Ingeschreven" in html
    assert '<progress id="progress-basis" max="100" value="50">' in html
    assert "50% – 1 van 2 lessen afgerond" in html


def test_it_advises_the_basics_first_until_they_are_completed(client, learner, track):
    client.force_login(learner)
    html = client.get("/leerlijn/leerlijn/").content.decode()
    assert "Begin eerst met:" in html and 'href="/cursus/basis/">Basis seksuele diversiteit' in html
    course_page = client.get("/cursus/verdieping/").content.decode()
    assert "Begin eerst met:" in course_page
    assert "Inschrijven" in course_page  # advisory: enrolling stays possible
    assert client.post("/cursus/verdieping/inschrijven/").status_code == 302

    complete(learner, track.courses.get(slug="basis"))
    html = client.get("/leerlijn/leerlijn/").content.decode()
    assert "Begin eerst met:" not in html
    assert '<progress id="track-progress" max="2" value="1">' in html
    assert "1 van 2 cursussen afgerond" in html
    assert "Begin eerst met:" not in client.get("/cursus/verdieping/").content.decode()
    client.logout()  # a visitor is shown every prerequisite
    assert "Begin eerst met:" in client.get("/cursus/verdieping/").content.decode()


def test_it_shows_lesson_status_objectives_and_the_enrol_button_on_the_course_page(
    client, learner, course
):
    version = course.published_version
    version.learning_objectives = ["Open vragen stellen over seksualiteit"]
    version.save(update_fields=["learning_objectives"])
    client.force_login(learner)
    html = client.get("/cursus/basis/").content.decode()
    assert "Open vragen stellen over seksualiteit" in html
    assert ">Inschrijven</button>" in html
    client.post("/cursus/basis/inschrijven/")
    client.get("/cursus/basis/les/les-1/")
    client.post("/cursus/basis/les/les-1/afronden/")
    client.get("/cursus/basis/les/les-2/")
    html = client.get("/cursus/basis/").content.decode()
    assert html.count('class="lesson-row lesson-done') == 1 and "bezig</span>" in html
    assert '<progress id="course-progress" max="100" value="50">' in html
    assert "Verder waar je gebleven was: Les 2" in html


def test_it_switches_the_learner_pages_to_english(client, learner, course):
    client.force_login(learner)
    client.post("/cursus/basis/inschrijven/")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/cursus/basis/les/les-1/").content.decode()
    assert 'lang="en"' in html
    assert "Lesson 1 of 2" in html and "Complete lesson and continue" in html
    assert "0% – 0 of 2 lessons completed" in html


def learner_with_saved_state(n: int):
    """A learner in `n` courses of `n + 2` lessons, one track holding them all (each course
    requires the one before): every course with a lesson done, one started and a failed final
    test. Returns the learner and the paths of their catalog, dashboard, last course page and
    last final-test page."""
    learner = factories.make_user()
    track = LearningTrack.objects.create(slug=f"leerlijn-{n}", title=f"Leerlijn {n}")
    previous = None
    for i in range(n):
        course = factories.make_course(slug=f"c{n}-{i}", lessons=n + 2, title=f"Cursus {i}")
        entry = TrackCourse.objects.create(track=track, course=course, position=i)
        if previous is not None:
            entry.prerequisites.add(previous)
        previous = course
        enrollment = services.enroll_learner(learner, course)
        first, second = Lesson.objects.filter(module__version=enrollment.version)[:2]
        services.complete_lesson(enrollment, first)
        services.start_lesson(enrollment, second)
        final = enrollment.version.final_test
        attempt = services.start_attempt(enrollment, final)
        services.submit_attempt(attempt.pk, wrong_final_answers(final), learner)
    return learner, {
        "catalog": "/",
        "dashboard": "/dashboard/",
        "course page": f"/cursus/{course.slug}/",
        "final-test page": f"/cursus/{course.slug}/toets/{final.key}/",
    }


def test_it_serves_the_learner_pages_with_a_constant_number_of_queries(client):
    counts = {}
    for n in (1, 4):
        learner, paths = learner_with_saved_state(n)
        client.force_login(learner)
        for page, path in paths.items():
            assert client.get(path).status_code == 200  # the versions' outlines are read once
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200
            counts[page, n] = len(queries)
    # Every page: session, user. What is the same for every learner (the catalog's courses and
    # tracks, the dashboard's tracks with their steps, a course's accreditations and the courses
    # a track puts before it) is kept in memory under a generation token, read once per request:
    # a cache read, which is a query with the tests' database cache and none with Redis.
    # Catalog: token, enrolments with their completed lessons. Dashboard: enrolments with their
    # completion and completed lessons and masterclass places (one query), token. Course page:
    # token (the course, its prerequisites and accreditations, which the registration warnings
    # read too); enrolment (self-assessment done, final test passed) with its lesson progress and
    # the courses completed (one query). Final-test page: the learner's rows (enrolment,
    # attempts, completed lessons: one query), token. Lessons and tests come from the versions'
    # outlines.
    expected = {"catalog": 4, "dashboard": 4, "course page": 4, "final-test page": 4}
    assert counts == {(page, n): expected[page] for page in expected for n in (1, 4)}


def test_it_counts_progress_from_the_outline_as_with_progress_does(learner):
    course = factories.make_course(slug="voortgang", lessons=3)
    enrollment = services.enroll_learner(learner, course)
    first, _second, third = Lesson.objects.filter(module__version=enrollment.version)
    services.complete_lesson(enrollment, first)
    services.complete_lesson(enrollment, third)
    # Version 2 makes the third lesson optional; the learner moves, their progress by key stays.
    draft = publishing.create_draft(course, factories.make_author(course))
    Lesson.objects.filter(module__version=draft, key=third.key).update(required=False)
    publishing.swap_published_version(draft)
    publishing.move_enrollments(course.pk)  # the sweep queued after commit
    other = services.enroll_learner(learner, factories.make_course(slug="andere"))
    counted = [
        (e.pk, e.version_id, e.lessons_required, e.lessons_done)
        for e in Enrollment.objects.for_dashboard(learner).with_progress()
    ]
    enrollments = learner_rows.enrollments_with_progress(learner)
    assert [(e.pk, e.version_id, e.lessons_required, e.lessons_done) for e in enrollments] == (
        counted
    )
    assert counted == [(other.pk, other.version_id, 2, 0), (enrollment.pk, draft.pk, 2, 1)]


def test_its_course_page_shows_a_completed_learner_the_version_they_completed(client, learner):
    course = factories.make_course(slug="afgerond", title="Versie een")
    enrollment = complete(learner, course)
    draft = publishing.create_draft(course, factories.make_author(course))
    draft.title = "Versie twee"
    draft.save(update_fields=["title"])
    publishing.publish_draft(draft, factories.make_author(course))
    enrollment.refresh_from_db()
    assert enrollment.version_id != draft.pk  # a completed learner stays on their version
    client.force_login(learner)
    html = client.get("/cursus/afgerond/").content.decode()
    assert "<title>Versie een · Spreekkamer</title>" in html
    assert '<progress id="course-progress" max="100" value="100">' in html


def accredit(course) -> CourseAccreditation:
    return factories.make_accreditation(course, valid_until=datetime.date(2030, 12, 31))


def card_of(html: str, link: str) -> str:
    """The catalog card holding the link `link` (empty when there is none)."""
    start = html.find(f'<a href="{link}">')
    if start < 0:
        return ""
    return html[html.rfind("<li", 0, start) : html.find("</li>", start)]


def test_its_catalog_shows_each_change_on_the_next_request(client, track, learner):
    """The courses and tracks are kept in memory between requests (courses.catalog_content):
    every change to what the catalog shows is on the next page, with no stale copy."""
    client.force_login(learner)
    basis = Course.objects.get(slug="basis")

    def catalog() -> str:
        response = client.get("/")
        assert response.status_code == 200
        return response.content.decode()

    html = catalog()
    assert "Basis seksuele diversiteit" in html and "geaccrediteerd" not in card_of(
        html, "/cursus/basis/"
    )
    assert "2 cursussen" in card_of(html, "/leerlijn/leerlijn/")

    draft = publishing.create_draft(basis, factories.make_author(basis))
    draft.title = "Basis, tweede versie"
    draft.save(update_fields=["title"])
    publishing.publish_draft(draft, factories.make_author(basis))
    html = catalog()
    assert "Basis, tweede versie" in html and "Basis seksuele diversiteit" not in html

    extra = factories.make_course(slug="extra", title="Extra cursus")
    assert "Extra cursus" in catalog()
    TrackCourse.objects.create(track=track, course=extra, position=2)
    assert "3 cursussen" in card_of(catalog(), "/leerlijn/leerlijn/")
    TrackCourse.objects.filter(course=extra).get().delete()
    assert "2 cursussen" in card_of(catalog(), "/leerlijn/leerlijn/")

    accreditation = accredit(basis)
    assert "geaccrediteerd" in card_of(catalog(), "/cursus/basis/")
    accreditation.delete()
    assert "geaccrediteerd" not in card_of(catalog(), "/cursus/basis/")

    LearningTrack.objects.create(slug="tweede", title="Tweede leerlijn")
    assert "Tweede leerlijn" in catalog()
    track.title = "Hernoemde leerlijn"
    track.save(update_fields=["title"])
    assert "Hernoemde leerlijn" in catalog()

    extra.published_version = None  # retired from the catalog
    extra.save(update_fields=["published_version"])
    assert "Extra cursus" not in catalog()


def test_its_catalog_content_gets_a_new_generation_after_commit():
    """The writing transaction reads its own writes at once (this process forgets its copy);
    the shared generation changes after commit, once however many rows the transaction saved, so
    no other process keeps the rows it read before the commit."""
    factories.make_course(slug="eerste")
    assert [c.slug for c in catalog_content.catalog_content().courses] == ["eerste"]
    before = cache.get(catalog_content.GENERATION_KEY)
    LearningTrack.objects.create(slug="nieuw", title="Nieuw")
    assert [t.slug for t in catalog_content.catalog_content().tracks] == ["nieuw"]
    LearningTrack.objects.create(slug="ander", title="Ander")
    assert [t.slug for t in catalog_content.catalog_content().tracks] == ["ander", "nieuw"]
    assert cache.get(catalog_content.GENERATION_KEY) == before
    # The test's transaction never commits: its pending hooks are still there to look at.
    hooks = [h[1] for h in connection.run_on_commit if h[1] is catalog_content._new_generation]
    assert len(hooks) == 1
    hooks[0]()
    assert cache.get(catalog_content.GENERATION_KEY) != before


def test_its_dashboard_and_course_page_show_each_change_on_the_next_request(client, track, learner):
    """The dashboard's tracks and the course page's accreditations are kept in memory too."""
    client.force_login(learner)
    basis = Course.objects.get(slug="basis")
    services.enroll_learner(learner, basis)

    def page(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200
        return response.content.decode()

    assert "Verdieping trans zorg" in page("/dashboard/")
    extra = factories.make_course(slug="extra", title="Extra cursus")
    assert "Extra cursus" not in page("/dashboard/")
    entry = TrackCourse.objects.create(track=track, course=extra, position=2)
    assert "Extra cursus" in page("/dashboard/")
    draft = publishing.create_draft(extra, factories.make_author(extra))
    draft.title = "Extra, tweede versie"
    draft.save(update_fields=["title"])
    publishing.publish_draft(draft, factories.make_author(extra))
    assert "Extra, tweede versie" in page("/dashboard/")
    entry.delete()
    assert "Extra, tweede versie" not in page("/dashboard/")

    shown_points = re.compile(r": (\d+) punten</li>")  # an accreditation on the course page
    assert shown_points.findall(page("/cursus/basis/")) == []
    accreditation = accredit(basis)
    assert shown_points.findall(page("/cursus/basis/")) == ["2"]
    accreditation.points = 3
    accreditation.save(update_fields=["points"])
    assert shown_points.findall(page("/cursus/basis/")) == ["3"]
    accreditation.valid_until = datetime.date(2020, 12, 31)  # expired: no longer shown
    accreditation.valid_from = datetime.date(2020, 1, 1)
    accreditation.save(update_fields=["valid_from", "valid_until"])
    assert shown_points.findall(page("/cursus/basis/")) == []


def lesson_rows(html: str) -> list[str]:
    """The course page's lesson rows, each as its text (tags dropped, spaces collapsed)."""
    rows = re.findall(r'<li class="lesson-row.*?</li>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_its_course_page_shows_a_prerequisite_added_or_removed_at_once(client, track, learner):
    """The courses a track puts before another are kept in memory: adding or removing one (no
    save of the track entry) is on the next course page, for a learner and a visitor."""
    entry = TrackCourse.objects.get(course__slug="verdieping")
    extra = factories.make_course(slug="extra", title="Extra cursus")
    visitor = Client()
    client.force_login(learner)

    def notice(page_client) -> str:
        html = page_client.get("/cursus/verdieping/").content.decode()
        start = html.find("Begin eerst met:")
        return (
            ""
            if start < 0
            else " ".join(re.sub(r"<[^>]+>", " ", html[start : html.find("</p>", start)]).split())
        )

    assert notice(client) == notice(visitor) == "Begin eerst met: Basis seksuele diversiteit"
    entry.prerequisites.add(extra)
    assert notice(client) == "Begin eerst met: Basis seksuele diversiteit , Extra cursus"
    assert notice(visitor) == "Begin eerst met: Basis seksuele diversiteit , Extra cursus"
    complete(learner, extra)
    assert notice(client) == "Begin eerst met: Basis seksuele diversiteit"
    entry.prerequisites.clear()
    assert notice(client) == notice(visitor) == ""


def test_its_course_page_shows_each_learner_their_own_state_in_their_language(course):
    """The parts of the course page are rendered once per process (courses.course_pages) and
    shared: each learner still sees their own progress, and each language its own words."""
    ahead, behind = factories.make_user(), factories.make_user()
    enrollment = services.enroll_learner(ahead, course)
    first, second = Lesson.objects.filter(module__version=enrollment.version)
    services.complete_lesson(enrollment, first)
    services.start_lesson(enrollment, second)
    services.enroll_learner(behind, course)

    def page(user=None, language="nl") -> str:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_login(user)
        response = client.get("/cursus/basis/")
        assert response.status_code == 200
        return response.content.decode()

    html = page(ahead)
    assert lesson_rows(html) == [
        "Les 1 10 minuten afgerond",
        "Les 2 10 minuten hier was je gebleven · bezig",
    ]
    assert "Verder waar je gebleven was: Les 2" in html
    assert '<progress id="course-progress" max="100" value="50">' in html
    html = page(behind)
    assert lesson_rows(html) == [
        "Les 1 10 minuten nog niet begonnen",
        "Les 2 10 minuten nog niet begonnen",
    ]
    assert "Begin met de eerste les" in html and "Verder waar je gebleven was" not in html
    assert '<progress id="course-progress" max="100" value="0">' in html
    html = page()  # a visitor: no links to the lessons, no status
    assert lesson_rows(html) == ["Les 1 10 minuten", "Les 2 10 minuten"]
    assert 'href="/cursus/basis/les/' not in html and "Log in om je in te schrijven" in html
    html = page(ahead, "en")
    assert lesson_rows(html) == [
        "Les 1 10 minutes completed",
        "Les 2 10 minutes where you left off · in progress",
    ]
    assert "Continue where you left off: Les 2" in html and "Study load" in html
    assert lesson_rows(page(behind)) == [
        "Les 1 10 minuten nog niet begonnen",
        "Les 2 10 minuten nog niet begonnen",
    ]
    services.complete_lesson(enrollment, second)  # the learner's own change: on the next page
    assert lesson_rows(page(ahead))[1] == "Les 2 10 minuten hier was je gebleven · afgerond"


def test_its_course_page_shows_a_new_version_at_once(course, learner):
    """Parts are keyed by version: a new version is on the next page of a learner who moves to
    it, and of a visitor; a learner who completed the old one keeps seeing theirs."""
    unfinished = services.enroll_learner(learner, course)
    finished = factories.make_user()
    complete(finished, course)
    old_pages = {
        "learner": Client(),
        "finished": Client(),
        "visitor": Client(),
    }
    old_pages["learner"].force_login(learner)
    old_pages["finished"].force_login(finished)
    for client in old_pages.values():
        assert "<h1>Testcursus</h1>" in client.get("/cursus/basis/").content.decode()

    draft = publishing.create_draft(course, factories.make_author(course))
    draft.title = "Testcursus, tweede versie"
    draft.save(update_fields=["title"])
    Lesson.objects.filter(module__version=draft, key="les-2").update(title="Les twee")
    publishing.publish_draft(draft, factories.make_author(course))

    for who in ("learner", "visitor"):
        html = old_pages[who].get("/cursus/basis/").content.decode()
        assert "<h1>Testcursus, tweede versie</h1>" in html
        assert [row.split(" 10 minu")[0] for row in lesson_rows(html)] == ["Les 1", "Les twee"]
    unfinished.refresh_from_db()
    assert unfinished.version_id == draft.pk
    html = old_pages["finished"].get("/cursus/basis/").content.decode()
    assert "<h1>Testcursus</h1>" in html and "Les twee" not in html


def test_its_dashboard_shows_each_learner_their_own_cards(course):
    """The dashboard's cards are rendered once per process for each state and shared: each
    learner sees their own progress, resume point and certificates, in their language."""
    ahead, behind = factories.make_user(), factories.make_user()
    enrollment = services.enroll_learner(ahead, course)
    first = Lesson.objects.get(module__version=enrollment.version, key="les-1")
    services.start_lesson(enrollment, first)
    services.complete_lesson(enrollment, first)
    services.enroll_learner(behind, course)
    done = factories.make_course(slug="afgerond", title="Afgeronde cursus")
    with time_machine.travel(datetime.datetime(2026, 5, 4, 12, tzinfo=datetime.UTC)):
        complete(ahead, done)

    def dashboard(user, language="nl") -> str:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client.get("/dashboard/").content.decode()

    html = dashboard(ahead)
    assert '<progress id="progress-basis" max="100" value="50">' in html
    assert "Verder met: Les 1" in html
    assert "Afgerond op 4 mei 2026" in html and "/cursus/afgerond/certificaat.pdf" in html
    html = dashboard(behind)
    assert '<progress id="progress-basis" max="100" value="0">' in html
    assert ">Beginnen</a>" in html and "Verder met:" not in html
    assert "Afgerond op" not in html and "Je hebt nog geen certificaten" in html
    html = dashboard(ahead, "en")
    assert "50% – 1 of 2 lessons completed" in html and "Continue with: Les 1" in html
    assert "Completed on 4 May 2026" in html


def test_its_catalog_shows_each_learner_their_own_cards(course):
    """The catalog's cards are rendered once per process for each state and shared."""
    ahead, newcomer, finished = (factories.make_user() for _ in range(3))
    enrollment = services.enroll_learner(ahead, course)
    services.complete_lesson(
        enrollment, Lesson.objects.filter(module__version=course.published_version)[0]
    )
    complete(finished, course)

    def card(user, language="nl") -> str:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        html = client.get("/").content.decode()
        return " ".join(re.sub(r"<[^>]+>", " ", card_of(html, "/cursus/basis/")).split())

    assert card(ahead).endswith("Ingeschreven Voortgang 50% 50% – 1 van 2 lessen afgerond")
    assert card(newcomer).endswith("Studiebelasting: 2 uur")
    assert card(finished).endswith("Afgerond")
    assert card(ahead, "en").endswith("Progress 50% 50% – 1 of 2 lessons completed")


def test_its_catalog_content_reads_the_generation_once_per_request(django_assert_num_queries):
    """A request reads the generation token once (the tests' cache is the database: a query),
    however many parts it reads; another process's change is seen from the next request on."""
    factories.make_course(slug="eerste")
    catalog_content.catalog_content()  # the generation token is set
    catalog_content.forget_local()
    catalog_content._request_started()  # as the signals do (these close the test database)
    # Token; courses, tracks; accreditations; prerequisites (none: their courses are not read).
    with django_assert_num_queries(1 + 2 + 1 + 1):
        catalog_content.catalog_content()
        catalog_content.course_accreditations(0)
        catalog_content.track_prerequisites(0)
    cache.set(catalog_content.GENERATION_KEY, "another process's")
    with django_assert_num_queries(0):
        assert [c.slug for c in catalog_content.catalog_content().courses] == ["eerste"]
    catalog_content._request_finished()
    catalog_content._request_started()
    with django_assert_num_queries(1 + 2):  # the new token; the catalog read afresh
        catalog_content.catalog_content()
    catalog_content._request_finished()
