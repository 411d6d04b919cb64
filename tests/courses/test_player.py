"""The lesson player: blocks, navigation, completion, heartbeat, scenarios, reflections, quizzes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import services
from courses.models import (
    Lesson,
    LessonProgress,
    QuizAttempt,
    Reflection,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioDecision,
)
from courses.player import blocks_for_player
from tests import factories
from tests.courses.learning_fixtures import make_rich_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_course(db):
    return make_rich_course()


@pytest.fixture
def enrolled(client, learner, rich_course):
    enrollment = services.enroll_learner(learner, rich_course)
    client.force_login(learner)
    return enrollment


def lesson_url(course, key="les-1"):
    return f"/cursus/{course.slug}/les/{key}/"


def test_it_renders_every_block_kind_and_records_the_resume_point(client, enrolled, rich_course):
    response = client.get(lesson_url(rich_course))
    html = response.content.decode()
    assert response.status_code == 200
    for kind in ["text", "callout", "persona_story", "reflection", "scenario", "quiz"]:
        assert f'class="block block-{kind}"' in html
    assert "Het verhaal van Levi" in html
    assert '<progress id="lesson-progress" max="100" value="0">' in html
    assert "Les 1 van 2" in html
    assert 'rel="next" href="/cursus/rijk/les/les-2/"' in html
    assert 'name="csrf-token"' in html
    enrolled.refresh_from_db()
    assert enrolled.last_lesson_key == "les-1"
    assert LessonProgress.objects.filter(
        enrollment=enrolled, lesson_key="les-1", completed_at=None
    ).exists()


def test_it_sends_learners_who_are_not_enrolled_to_the_course_page(client, learner, rich_course):
    client.force_login(learner)
    response = client.get(lesson_url(rich_course))
    assert response.status_code == 302
    assert response["Location"] == f"/cursus/{rich_course.slug}/"


def add_rounds(lesson, rounds):
    persona = factories.make_persona()
    for i in range(rounds):
        factories.add_every_block_kind(lesson, persona=persona, start=i * 6)


def visited_lesson(client, learner, slug, rounds):
    """A published one-lesson course with `rounds` of every block kind, which the logged-in
    learner has visited once (the snapshot is built, the progress row written)."""
    course = factories.make_course(slug=slug, lessons=1, blocks_per_lesson=0, publish=False)
    lesson = Lesson.objects.get(module__version__course=course)
    add_rounds(lesson, rounds)
    factories.publish_version(course.versions.get())
    enrollment = services.enroll_learner(learner, course)
    client.force_login(learner)
    url = lesson_url(course, lesson.key)
    client.get(url)
    return lesson, enrollment, url


@pytest.mark.parametrize("rounds", [1, 9])
def test_it_renders_a_lesson_with_a_constant_number_of_queries(
    client, learner, django_assert_num_queries, rounds
):
    # 6 blocks, or 54 blocks of the same six kinds
    lesson, enrollment, url = visited_lesson(client, learner, f"veel-{rounds}", rounds)

    # Repeat visit, nothing touched: session, user, the learner's own rows (one statement).
    # The snapshot comes from this process's memory; no writes.
    with django_assert_num_queries(3):
        response = client.get(url)
    assert response.content.decode().count('class="block block-scenario"') == rounds

    # One scenario touched: that block is rendered from the snapshot's copy of it, with the
    # learner's rows for every touched block of the lesson in one more statement.
    ScenarioDecision.objects.create(
        enrollment=enrollment,
        choice=ScenarioChoice.objects.filter(step__scenario__lesson=lesson).first(),
    )
    with django_assert_num_queries(3 + 1):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Jouw keuze:") == 1


@pytest.mark.parametrize("rounds", [1, 10])
def test_it_renders_touched_blocks_in_one_more_query_however_many_there_are(
    client, learner, django_assert_num_queries, rounds
):
    """3 or 30 touched blocks: a reflection, a scenario choice and a practice attempt per round."""
    lesson, enrollment, url = visited_lesson(client, learner, f"aangeraakt-{rounds}", rounds)
    for block in blocks_for_player(lesson):
        if block.kind == "reflection":
            services.save_reflection(learner, block, f"Reflectie <{block.key}>")
        elif block.kind == "scenario":
            first_step = block.steps.all()[0]
            services.record_scenario_choice(enrollment, first_step.choices.all()[0])
        elif block.kind == "quiz":
            attempt = services.start_attempt(enrollment, block.quiz)
            services.submit_attempt(attempt.pk, factories.correct_answers(block.quiz), learner)

    # Session, user, the learner's own rows, and the rows behind every touched block.
    with django_assert_num_queries(4):
        response = client.get(url)
    page = response.content.decode()
    assert page.count("Jouw keuze:") == rounds
    assert page.count('class="status practice-score"') == rounds
    assert page.count("Reflectie &lt;r") == rounds


def test_it_builds_a_lesson_snapshot_with_a_constant_number_of_queries(client, learner):
    counts = {}
    client.force_login(learner)
    for rounds in (1, 9):
        course = factories.make_course(
            slug=f"bouw-{rounds}", lessons=1, blocks_per_lesson=0, publish=False
        )
        lesson = Lesson.objects.get(module__version__course=course)
        add_rounds(lesson, rounds)
        factories.publish_version(course.versions.get())
        services.enroll_learner(learner, course)
        # First visit, no snapshot anywhere: the cache, the version, the lessons, blocks and
        # their relations per type, the progress row and resume point.
        with CaptureQueriesContext(connection) as captured:
            assert client.get(lesson_url(course, lesson.key)).status_code == 200
        counts[rounds] = len(captured.captured_queries)
    assert counts[1] == counts[9]


def test_it_completes_a_lesson_and_goes_to_the_next(client, enrolled, rich_course):
    response = client.post(lesson_url(rich_course) + "afronden/")
    assert response.status_code == 302
    assert response["Location"] == lesson_url(rich_course, "les-2")
    progress = LessonProgress.objects.get(enrollment=enrolled, lesson_key="les-1")
    assert progress.completed_at is not None
    page = client.get(lesson_url(rich_course, "les-2")).content.decode()
    assert '<progress id="lesson-progress" max="100" value="50">' in page
    assert "Les “Les 1” afgerond." in page


def test_it_goes_to_the_final_test_after_the_last_lesson(client, enrolled, rich_course):
    client.post(lesson_url(rich_course) + "afronden/")
    response = client.post(lesson_url(rich_course, "les-2") + "afronden/")
    assert response["Location"] == f"/cursus/{rich_course.slug}/toets/eindtoets/"


def test_it_refuses_a_get_on_the_complete_button(client, enrolled, rich_course):
    assert client.get(lesson_url(rich_course) + "afronden/").status_code == 405
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_it_counts_time_from_heartbeats(client, enrolled, rich_course):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(lesson_url(rich_course))
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        response = client.post(lesson_url(rich_course) + "tijd/")
    assert response.json() == {"added_seconds": 30}
    with time_machine.travel(start + timedelta(seconds=600), tick=False):  # away for 9 minutes
        assert client.post(lesson_url(rich_course) + "tijd/").json() == {"added_seconds": 0}
    assert LessonProgress.objects.get(enrollment=enrolled, lesson_key="les-1").seconds_spent == 30


def scenario_url(course, block_key="s0"):
    return lesson_url(course) + f"scenario/{block_key}/"


def test_it_records_a_scenario_choice_and_shows_feedback_and_the_next_step_without_js(
    client, enrolled, rich_course
):
    first = ScenarioChoice.objects.get(text="Vraag door")
    response = client.post(scenario_url(rich_course), {"choice": first.pk})
    assert response.status_code == 302
    assert response["Location"] == lesson_url(rich_course) + "#block-s0"
    assert ScenarioDecision.objects.filter(enrollment=enrolled, choice=first).count() == 1
    html = client.get(lesson_url(rich_course)).content.decode()
    assert "Jouw keuze:</strong> Vraag door" in html
    assert "<p>Goed</p>" in html
    assert "Aanbevolen keuze" in html
    assert "<p>Vervolg</p>" in html  # the next step
    assert "Rond af" in html


def test_it_returns_the_scenario_partial_for_the_script(client, enrolled, rich_course):
    choice = ScenarioChoice.objects.get(text="Ga ervan uit")
    response = client.post(
        scenario_url(rich_course),
        {"choice": choice.pk},
        HTTP_X_SPREEKKAMER_PARTIAL="1",
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == scenario_url(rich_course)
    assert "<html" not in html  # only the partial
    assert "Denk hier nog eens over na" in html and "<p>Liever niet</p>" in html
    assert "Einde van het scenario." in html  # this choice has no next step


def test_it_refuses_a_choice_from_another_scenario_with_a_dutch_error(
    client, enrolled, rich_course
):
    other_lesson = Lesson.objects.get(module__version=enrolled.version, key="les-2")
    with factories.unpublished(enrolled.version):
        other = factories.add_every_block_kind(other_lesson, start=10)
    foreign = ScenarioChoice.objects.filter(
        step__scenario=[b for b in other if isinstance(b, ScenarioBlock)][0]
    ).first()
    response = client.post(scenario_url(rich_course), {"choice": foreign.pk})
    assert response.status_code == 400
    assert "Deze keuze hoort niet bij dit scenario." in response.content.decode()
    response = client.post(scenario_url(rich_course), {})
    assert "Kies wat je zou doen." in response.content.decode()
    assert not ScenarioDecision.objects.exists()


def test_it_saves_a_private_reflection_and_shows_it_only_to_its_author(
    client, enrolled, rich_course, outsider
):
    url = lesson_url(rich_course) + "reflectie/r0/"
    response = client.post(url, {"r0-text": "Ik <b>schrik</b> van mijn eigen aannames."})
    assert response.status_code == 302
    reflection = Reflection.objects.get()
    assert reflection.user == enrolled.user
    html = client.get(lesson_url(rich_course)).content.decode()
    assert "Ik &lt;b&gt;schrik&lt;/b&gt; van mijn eigen aannames." in html  # escaped
    assert "Alleen voor jou zichtbaar" in html
    services.enroll_learner(outsider, rich_course)
    client.force_login(outsider)
    assert "eigen aannames" not in client.get(lesson_url(rich_course)).content.decode()


def test_it_rejects_an_empty_reflection_with_a_dutch_error(client, enrolled, rich_course):
    response = client.post(lesson_url(rich_course) + "reflectie/r0/", {"r0-text": "   "})
    assert response.status_code == 400
    assert "Schrijf eerst je reflectie." in response.content.decode()
    assert not Reflection.objects.exists()


def practice_quiz(rich_course):
    return rich_course.published_version.quizzes.get(kind="practice")


def test_it_gives_practice_feedback_in_place(client, enrolled, rich_course):
    quiz = practice_quiz(rich_course)
    single, multiple, true_false = quiz.questions.order_by("position")
    data = {
        f"q-{single.pk}": single.options.get(position=1).pk,  # wrong
        f"q-{multiple.pk}": [multiple.options.get(position=0).pk],  # right
        f"q-{true_false.pk}": true_false.options.get(key="waar").pk,  # right
    }
    response = client.post(lesson_url(rich_course) + "oefenen/q0/", data)
    assert response["Location"] == lesson_url(rich_course) + "#block-q0"
    attempt = QuizAttempt.objects.get(enrollment=enrolled, quiz=quiz)
    assert attempt.score_percent == 67
    html = client.get(lesson_url(rich_course)).content.decode()
    assert "Je oefenscore: 67%" in html
    assert "<p>Feedback 1</p>" in html  # the feedback of the option chosen
    assert html.count("Niet goed") == 1 and html.count("✓ </span>Goed") == 2
    assert "<strong>Uitleg:</strong> <p>Uitleg</p>" in html
    assert "juiste antwoord" in html


def test_it_asks_for_every_practice_answer_before_grading(client, enrolled, rich_course):
    response = client.post(lesson_url(rich_course) + "oefenen/q0/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Je hebt 3 vragen nog niet (volledig) beantwoord." in html
    assert "Kies een antwoord." in html and "Kies ten minste één antwoord." in html
    assert not QuizAttempt.objects.exists()


def test_it_renders_the_blocks_inert_in_the_authors_preview(rich_course):
    lesson = Lesson.objects.get(module__version=rich_course.published_version, key="les-1")
    html = render_to_string(
        "courses/_lesson_blocks.html", {"blocks": blocks_for_player(lesson), "preview": True}
    )
    assert "<form" in html
    assert 'method="post"' not in html and "action=" not in html
    assert "csrfmiddlewaretoken" not in html
    assert html.count("disabled") >= 8
    assert 'type="submit"' not in html


def test_it_resumes_where_the_learner_left_off(client, enrolled, rich_course):
    client.get(lesson_url(rich_course, "les-2"))
    response = client.get(f"/cursus/{rich_course.slug}/verder/")
    assert response["Location"] == lesson_url(rich_course, "les-2")
    page = client.get(f"/cursus/{rich_course.slug}/").content.decode()
    assert f'href="{lesson_url(rich_course, "les-2")}">Verder waar je gebleven was: Les 2' in page


def test_it_renders_question_options_for_a_preview_that_did_not_use_the_player_loader(rich_course):
    """The authoring side may pass plain blocks; options still show (in authored order)."""
    lesson = Lesson.objects.get(module__version=rich_course.published_version, key="les-1")
    blocks = list(lesson.blocks.all())
    html = render_to_string("courses/_lesson_blocks.html", {"blocks": blocks, "preview": True})
    assert html.count('type="radio" name="q-') == 5  # 3 single-choice options + 2 true/false
    assert "action=" not in html


def test_it_returns_the_practice_partial_with_feedback_for_the_script(
    client, enrolled, rich_course
):
    quiz = practice_quiz(rich_course)
    data = {f"q-{q.pk}": q.options.get(is_correct=True).pk for q in quiz.questions.all()}
    url = lesson_url(rich_course) + "oefenen/q0/"
    response = client.post(url, data, HTTP_X_SPREEKKAMER_PARTIAL="1", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert "<html" not in html
    assert "Je oefenscore: 100%" in html and html.count("✓ </span>Goed") == 3


def test_it_returns_the_practice_partial_with_errors_for_the_script(client, enrolled, rich_course):
    url = lesson_url(rich_course) + "oefenen/q0/"
    response = client.post(url, {}, HTTP_X_SPREEKKAMER_PARTIAL="1")
    html = response.content.decode()
    assert response.status_code == 400 and "<html" not in html
    assert "Je hebt 3 vragen nog niet (volledig) beantwoord." in html
    assert not QuizAttempt.objects.exists()
