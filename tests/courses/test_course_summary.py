"""The learner's printable course summary: objectives, each lesson's key points, their own
self-assessment shift; reflections only when they ask; nobody else's."""

import pytest
from django.urls import reverse

from courses import services
from courses.models import CalloutBlock, Enrollment, Lesson, QuizAttempt, ReflectionBlock
from courses.summary import course_summary
from tests import factories
from tests.courses.learning_fixtures import add_self_assessment

pytestmark = pytest.mark.django_db

SECRET = "Ik schaam me eigenlijk over dat gesprek met mijn patiënt"


@pytest.fixture
def world():
    course = factories.make_course(slug="samenvatting", publish=False)
    version = course.versions.get()
    version.learning_objectives = ["Je kunt open vragen stellen over seksuele oriëntatie."]
    version.save(update_fields=["learning_objectives"])
    lesson = Lesson.objects.get(module__version=version, key="les-1")
    lesson.blocks.all().delete()
    factories.add_every_block_kind(lesson)
    # Key points are the lesson's information, tip and warning boxes; a quote is not one.
    CalloutBlock.objects.filter(lesson=lesson).update(
        style="tip", title="Vraag het gewoon", html="<p>Neem het woord van de patiënt over.</p>"
    )
    CalloutBlock.objects.create(
        lesson=lesson, position=20, key="citaat", style="quote", html="<p>Een citaat</p>"
    )
    add_self_assessment(version)
    factories.publish_version(version)
    course.refresh_from_db()
    learner = factories.make_user(email="samen@example.org", first_name="Lot", last_name="Smit")
    enrollment = services.enroll_learner(learner, course)
    quiz = version.quizzes.get(kind="self_assessment")
    for phase, value in ((QuizAttempt.Phase.PRE, "2"), (QuizAttempt.Phase.POST, "4")):
        attempt = services.start_attempt(enrollment, quiz, phase=phase)
        answers = {f"q-{q.pk}": value for q in quiz.questions.all()}
        services.submit_attempt(attempt.pk, answers, learner)
    block = ReflectionBlock.objects.get(lesson=lesson)
    services.save_reflection(learner, block, SECRET)
    other = factories.make_user(email="ander-samen@example.org")
    services.enroll_learner(other, course)
    return {"course": course, "learner": learner, "other": other, "enrollment": enrollment}


def test_it_shows_objectives_key_points_and_the_self_assessment_shift_without_reflections(
    client, world
):
    client.force_login(world["learner"])
    response = client.get(reverse("courses:course_summary", args=["samenvatting"]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert "Samenvatting: Testcursus" in page
    assert "Na deze cursus kun je:" in page
    assert "<li>open vragen stellen over seksuele oriëntatie.</li>" in page
    assert "Les 1" in page and "Les 2" in page
    assert "Vraag het gewoon" in page and "Neem het woord van de patiënt over." in page
    assert "Een citaat" not in page  # quotes are not key points
    assert "Deze les heeft geen kaders met kernpunten." in page  # the plain second lesson
    assert page.count("2 van 5") == 2 and page.count("4 van 5") == 2
    assert page.count("<td>+2</td>") == 2
    assert SECRET not in page  # never the reflections unless asked
    assert 'name="reflecties"' in page


def test_it_includes_the_reflections_only_when_the_learner_ticks_the_box(client, world):
    client.force_login(world["learner"])
    url = reverse("courses:course_summary", args=["samenvatting"])
    page = client.get(url, {"reflecties": "on"}).content.decode()
    assert SECRET in page
    assert "Wat vind jij?" in page  # beside its prompt
    assert "checked" in page
    assert SECRET not in client.get(url).content.decode()


def test_nobody_else_sees_it(client, world):
    url = reverse("courses:course_summary", args=["samenvatting"])
    response = client.get(url, {"reflecties": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world["other"])  # enrolled in the same course: sees only their own
    page = client.get(url, {"reflecties": "on"}).content.decode()
    assert SECRET not in page and "2 van 5" not in page
    outsider = factories.make_user(email="buiten-samen@example.org")
    client.force_login(outsider)  # not enrolled at all
    assert client.get(url, {"reflecties": "on"}).status_code == 404
    author = factories.make_author(world["course"], email="auteur-samen@example.org")
    client.force_login(author)  # the course's own author may not read a learner's summary
    assert client.get(url, {"reflecties": "on"}).status_code == 404


def test_it_is_linked_from_the_course_page_and_prints_without_navigation(client, world):
    client.force_login(world["learner"])
    page = client.get(reverse("courses:course_detail", args=["samenvatting"])).content.decode()
    assert reverse("courses:course_summary", args=["samenvatting"]) in page
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/spreekkamer.css")).read()
    print_rules = css[css.index("@media print") :]
    assert ".site-header" in print_rules and ".no-print" in print_rules


def test_it_reads_the_summary_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    # As the view reads it: with its version.
    enrollment = Enrollment.objects.select_related("version", "user").get(pk=world["enrollment"].pk)
    # lessons 1, key points 1, reflections 1, self-assessment quiz 1 + questions 1 + one per
    # question type 1 + options 1, answers 1: the same for any number of lessons.
    with django_assert_num_queries(8):
        summary = course_summary(enrollment, include_reflections=True)
        points = [p.title for lesson in summary.lessons for p in lesson.key_points]
        texts = [r.block.prompt for lesson in summary.lessons for r in lesson.reflections]
        shifts = [row["shift"] for row in summary.self_assessment_rows]
    assert points == ["Vraag het gewoon"]
    assert len(texts) == 1
    assert shifts == [2, 2]
