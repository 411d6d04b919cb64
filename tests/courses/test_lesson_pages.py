"""Lesson pages served from snapshots (courses.lesson_pages): the same page, less work."""

import re
from datetime import UTC, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape

from courses import lesson_pages, publishing, services
from courses.models import (
    CourseVersion,
    Lesson,
    Persona,
    Quiz,
    ScenarioChoice,
)
from courses.player import attach_learner_state, blocks_for_player
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def two_round_course(db):
    """One published lesson with every stateful kind twice (keys *0 and *6), then a second."""
    course = factories.make_course(
        slug="twee-rondes", lessons=2, blocks_per_lesson=0, publish=False
    )
    lesson = Lesson.objects.get(module__version__course=course, key="les-1")
    persona = factories.make_persona()
    for start in (0, 6):
        factories.add_every_block_kind(lesson, persona=persona, start=start)
    factories.publish_version(course.versions.get())
    course.refresh_from_db()
    return course


def lesson_url(course, key="les-1"):
    return f"/cursus/{course.slug}/les/{key}/"


def blocks_html(page: str) -> str:
    """The block sections of a page, with every CSRF token made the same."""
    start = page.index('<section class="block')
    end = page.rindex("</section>") + len("</section>")
    return TOKEN.sub('name="csrfmiddlewaretoken" value="T"', page[start:end])


def rendered_from_the_database(course, enrollment, user) -> str:
    """Every block rendered live with the learner's state: what the page must equal."""
    lesson = Lesson.objects.get(module__version=course.published_version, key="les-1")
    blocks = blocks_for_player(lesson)
    attach_learner_state(blocks, enrollment, user)
    return "".join(
        lesson_pages.render_block(block, course=course, lesson=lesson, csrf_token="T")
        for block in blocks
    ).rstrip()


def touch_the_first_round(course, enrollment, user):
    """A reflection, a scenario choice and a practice attempt in the blocks with keys *0."""
    lesson = Lesson.objects.get(module__version=course.published_version, key="les-1")
    blocks = {b.key: b for b in blocks_for_player(lesson)}
    services.save_reflection(user, blocks["r0"], "Mijn <eigen> aannames")
    services.record_scenario_choice(
        enrollment,
        ScenarioChoice.objects.get(step__scenario=blocks["s0"], step__position=0, position=0),
    )
    quiz = blocks["q0"].quiz
    attempt = services.start_attempt(enrollment, quiz)
    answers = {f"q-{q.pk}": str(q.options.get(is_correct=True).pk) for q in quiz.questions.all()}
    services.submit_attempt(attempt.pk, answers, user)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_it_serves_the_page_a_full_rendering_from_the_database_would_give(
    client, learner, two_round_course, language
):
    enrollment = services.enroll_learner(learner, two_round_course)
    client.force_login(learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = lesson_url(two_round_course)
    with translation.override(language):
        untouched = rendered_from_the_database(two_round_course, enrollment, learner)
    assert blocks_html(client.get(url).content.decode()) == untouched

    touch_the_first_round(two_round_course, enrollment, learner)
    page = client.get(url).content.decode()
    with translation.override(language):
        touched = rendered_from_the_database(two_round_course, enrollment, learner)
    assert touched != untouched
    assert blocks_html(page) == touched
    # The learner's own text is escaped; the second round stays untouched.
    assert "Mijn &lt;eigen&gt; aannames" in page
    assert page.count('class="scenario-choice-made"') == 1
    assert page.count('class="status practice-score"') == 1


def test_it_shows_another_learner_nothing_of_the_first_learners_state(
    client, learner, outsider, two_round_course
):
    enrollment = services.enroll_learner(learner, two_round_course)
    touch_the_first_round(two_round_course, enrollment, learner)
    client.force_login(learner)
    assert "aannames" in client.get(lesson_url(two_round_course)).content.decode()
    services.enroll_learner(outsider, two_round_course)
    client.force_login(outsider)
    page = client.get(lesson_url(two_round_course)).content.decode()
    assert "aannames" not in page and "scenario-choice-made" not in page
    assert "practice-score" not in page


def test_it_renders_a_touched_block_again_once_the_learners_rows_behind_it_change(
    client, learner, two_round_course
):
    """Touched blocks are kept as rendered per digest of the rows behind them: a later answer,
    choice or text shows at once, and the page still equals a full rendering."""
    enrollment = services.enroll_learner(learner, two_round_course)
    touch_the_first_round(two_round_course, enrollment, learner)
    client.force_login(learner)
    url = lesson_url(two_round_course)
    assert "Mijn &lt;eigen&gt; aannames" in client.get(url).content.decode()
    lesson = Lesson.objects.get(module__version=two_round_course.published_version, key="les-1")
    blocks = {b.key: b for b in blocks_for_player(lesson)}
    services.save_reflection(learner, blocks["r0"], "Tweede gedachte")
    services.record_scenario_choice(
        enrollment,
        ScenarioChoice.objects.get(step__scenario=blocks["s0"], step__position=1, position=0),
    )
    quiz = blocks["q0"].quiz
    attempt = services.start_attempt(enrollment, quiz)
    services.submit_attempt(attempt.pk, {f"q-{q.pk}": "" for q in quiz.questions.all()}, learner)
    page = client.get(url).content.decode()
    assert "Tweede gedachte" in page and "aannames" not in page
    assert blocks_html(page) == rendered_from_the_database(two_round_course, enrollment, learner)


def test_it_puts_the_requests_own_csrf_token_in_every_form(learner, two_round_course):
    services.enroll_learner(learner, two_round_course)
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    page = client.get(lesson_url(two_round_course)).content.decode()
    assert "csrf-placeholder" not in page and "slot-" not in page
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    # complete-lesson (the two reflections' fields belong to it), two scenarios, two practice
    # quizzes, logout, language
    assert len(tokens) == 7 and len(set(tokens)) == 1
    response = client.post(
        lesson_url(two_round_course) + "reflectie/r6/",
        {"r6-text": "Een reflectie", "csrfmiddlewaretoken": tokens[0]},
    )
    assert response.status_code == 302
    forged = client.post(lesson_url(two_round_course) + "reflectie/r6/", {"r6-text": "x"})
    assert forged.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_it_shows_a_renamed_persona_once_a_version_with_it_is_published(
    client, learner, two_round_course
):
    """Personas are shared, but a published lesson shows them as they were approved; a rename
    reaches learners with the next published version."""
    services.enroll_learner(learner, two_round_course)
    client.force_login(learner)
    url = lesson_url(two_round_course)
    persona = Persona.objects.get()
    approved = persona.name
    assert approved in client.get(url).content.decode()
    persona.name = "Jaimy"
    persona.save()
    cache.clear()  # a cold cache and another process: the page is rebuilt, the same
    lesson_pages.forget_local()
    page = client.get(url).content.decode()
    assert "Jaimy" not in page and approved in page
    author = factories.make_author(two_round_course)
    publishing.swap_published_version(publishing.create_draft(two_round_course, author), author)
    page = client.get(url).content.decode()
    assert "Jaimy" in page and page.count("Jaimy") >= 2


def test_it_never_keeps_a_snapshot_of_a_draft(two_round_course):
    author = factories.make_author(two_round_course)
    draft = publishing.create_draft(two_round_course, author)
    lesson_key = "les-1"
    snapshot = lesson_pages.get_snapshot(draft.pk, lesson_key)
    assert snapshot["lesson"]["key"] == lesson_key
    key = lesson_pages.snapshot_key(draft.pk, lesson_key, translation.get_language())
    assert cache.get(key) is None
    assert key not in lesson_pages._local_snapshots


def test_it_answers_404_for_a_lesson_the_version_does_not_have(client, learner, two_round_course):
    services.enroll_learner(learner, two_round_course)
    client.force_login(learner)
    assert client.get(lesson_url(two_round_course, "bestaat-niet")).status_code == 404


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def test_it_writes_only_when_the_resume_point_moves(client, learner, two_round_course):
    enrollment = services.enroll_learner(learner, two_round_course)
    client.force_login(learner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(lesson_url(two_round_course))  # first visit: progress row, resume point
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        with CaptureQueriesContext(connection) as again:
            client.get(lesson_url(two_round_course))
        assert writes(again.captured_queries) == []
        client.get(lesson_url(two_round_course, "les-2"))
        with CaptureQueriesContext(connection) as back:
            client.get(lesson_url(two_round_course))
        assert len(writes(back.captured_queries)) == 1
    enrollment.refresh_from_db()
    assert enrollment.last_lesson_key == "les-1"
    # Back after a long break: the activity clock restarts (the gap is not counted as time).
    later = start + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        client.get(lesson_url(two_round_course))
    enrollment.refresh_from_db()
    assert enrollment.last_activity_at == later


def test_it_renders_every_lesson_of_a_version_when_it_is_published(
    learner, django_capture_on_commit_callbacks
):
    course = factories.make_course(slug="warm", lessons=3, publish=False)
    version = course.versions.get()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.swap_published_version(version)
    version.refresh_from_db()
    assert version.status == CourseVersion.Status.PUBLISHED
    for language, _name in settings.LANGUAGES:
        for key in ("les-1", "les-2", "les-3"):
            snapshot = cache.get(lesson_pages.snapshot_key(version.pk, key, language))
            assert snapshot is not None and snapshot["lesson"]["key"] == key


def test_it_reads_the_learners_rows_in_one_statement(learner, two_round_course):
    enrollment = services.enroll_learner(learner, two_round_course)
    touch_the_first_round(two_round_course, enrollment, learner)
    final = two_round_course.published_version.quizzes.get(kind=Quiz.Kind.FINAL)
    services.start_attempt(enrollment, final)  # not submitted: not state
    with CaptureQueriesContext(connection) as captured:
        state = lesson_pages.learner_state(learner, two_round_course.slug)
    assert len(captured.captured_queries) == 1
    assert state.enrollment.pk == enrollment.pk
    assert state.enrollment.version_id == two_round_course.published_version_id
    assert set(state.progress) == set()
    kinds = {kind for kind, _pk in state.touched}
    assert kinds == {"reflection", "scenario", "quiz"}
    assert ("quiz", final.pk) not in state.touched
    assert lesson_pages.learner_state(learner, "een-andere-cursus") is None


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("staff", [False, True])
def test_it_serves_the_page_shell_exactly_as_the_template_renders_it(
    rf, learner, two_round_course, language, staff
):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.shortcuts import render

    learner.is_staff = staff
    services.enroll_learner(learner, two_round_course)
    request = rf.get(lesson_url(two_round_course) + "?x=<b>")
    request.user, request.session = learner, SessionStore()
    request._messages = FallbackStorage(request)
    with translation.override(language):
        state = lesson_pages.learner_state(learner, two_round_course.slug)
        snapshot = lesson_pages.get_snapshot(state.enrollment.version_id, "les-1")
        page = lesson_pages.lesson_page(request, state, snapshot)
        expected = render(request, "courses/lesson.html", page.context()).content.decode()
        for _ in range(2):  # builds the shell, then serves from it
            served = lesson_pages.render_page(request, page).content.decode()
            assert served == expected
    assert ("Auteursomgeving" in served or "Author" in served) == staff
    assert f'name="next" type="hidden" value="{escape(request.get_full_path())}"' in served
    assert "slot-" not in served


def test_it_reads_timestamps_from_raw_rows_of_either_database():
    aware = timezone.now().replace(microsecond=0)
    naive_utc = aware.astimezone(UTC).replace(tzinfo=None)
    assert lesson_pages.db_datetime(aware) == aware  # PostgreSQL
    assert lesson_pages.db_datetime(naive_utc) == aware  # SQLite, column type known
    assert lesson_pages.db_datetime(naive_utc.isoformat(sep=" ")) == aware  # SQLite, in a UNION
    assert lesson_pages.db_datetime(None) is None
