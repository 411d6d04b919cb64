"""Catalog, tracks, the course page and the dashboard."""

import pytest

from courses import services
from courses.models import LearningTrack, Lesson, TrackCourse
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers

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


def test_it_shows_the_dashboard_with_a_constant_number_of_queries(
    client, learner, django_assert_num_queries
):
    for i in range(3):
        enrollment = services.enroll_learner(learner, factories.make_course(slug=f"c{i}"))
        lesson = Lesson.objects.get(module__version=enrollment.version, key="les-2")
        lesson.title = f"Les 2 van cursus {i}"  # same key in every course, different titles
        with factories.unpublished(enrollment.version):
            lesson.save(update_fields=["title"])
        services.start_lesson(enrollment, lesson)
    client.force_login(learner)
    # session, user, enrolments with progress, resume titles, leerlijnen (none here)
    with django_assert_num_queries(5):
        html = client.get("/dashboard/").content.decode()
    for i in range(3):
        assert f"Verder met: Les 2 van cursus {i}" in html


def test_it_switches_the_learner_pages_to_english(client, learner, course):
    client.force_login(learner)
    client.post("/cursus/basis/inschrijven/")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/cursus/basis/les/les-1/").content.decode()
    assert 'lang="en"' in html
    assert "Lesson 1 of 2" in html and "Complete lesson and continue" in html
    assert "0% – 0 of 2 lessons completed" in html


@pytest.mark.parametrize("n", [2, 8])
def test_it_lists_the_catalog_with_a_constant_number_of_queries(
    client, learner, n, django_assert_num_queries
):
    for i in range(n):
        course = factories.make_course(slug=f"k{i}")
        if i % 2:
            services.enroll_learner(learner, course)
    client.force_login(learner)
    # session, user, courses, tracks (none), enrolments, accredited course ids
    with django_assert_num_queries(6):
        response = client.get("/")
    assert response.content.decode().count('class="card"') == n


def test_it_shows_a_course_page_with_a_fixed_number_of_queries(
    client, learner, course, django_assert_num_queries
):
    enrollment = services.enroll_learner(learner, course)
    services.start_lesson(
        enrollment, Lesson.objects.get(module__version=enrollment.version, key="les-1")
    )
    client.force_login(learner)
    # session, user, course, enrolment with progress, modules, lessons, quizzes, progress,
    # self-assessment done, final passed, prerequisites (2: completed courses, required courses),
    # the course's register accreditations (for the registration warnings and the facts list)
    with django_assert_num_queries(14):
        client.get("/cursus/basis/")
