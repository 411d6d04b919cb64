"""Tests, the final test and the self-assessment through their pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import publishing, services
from courses.models import (
    Answer,
    CourseCompletion,
    Lesson,
    MultipleChoiceQuestion,
    Quiz,
    QuizAttempt,
    ScaleQuestion,
)
from tests import factories
from tests.courses.learning_fixtures import (
    add_matching_question,
    add_ordering_question,
    correct_final_answers,
    make_rich_course,
    wrong_final_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(client, learner, course):
    enrollment = services.enroll_learner(learner, course)
    client.force_login(learner)
    return enrollment


def quiz_url(course, key="eindtoets"):
    return f"/cursus/{course.slug}/toets/{key}/"


def start(client, course, key="eindtoets"):
    response = client.post(quiz_url(course, key) + "starten/")
    assert response.status_code == 302, response
    return response["Location"]


def finish_lessons(enrollment):
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)


def test_it_fails_then_passes_the_final_test_and_completes_the_course(client, enrolled, course):
    finish_lessons(enrolled)
    quiz = enrolled.version.final_test
    attempt_url = start(client, course)
    response = client.post(attempt_url, wrong_final_answers(quiz))
    result_url = response["Location"]
    html = client.get(result_url).content.decode()
    assert "Je score: 0%" in html
    assert "Niet gehaald (je hebt 70% nodig)" in html
    assert "Je kunt de toets opnieuw maken." in html
    assert html.count("<p>Uitleg</p>") == 3
    assert "<p>Feedback 1</p>" in html  # feedback on the option the learner chose
    assert not CourseCompletion.objects.exists()

    attempt_url = start(client, course)
    result_url = client.post(attempt_url, correct_final_answers(quiz))["Location"]
    html = client.get(result_url).content.decode()
    assert "Je score: 100%" in html and "Gehaald" in html
    assert "Naar je certificaat" in html
    completion = CourseCompletion.objects.get(enrollment=enrolled)
    assert float(completion.score) == 1.0
    assert QuizAttempt.objects.filter(enrollment=enrolled, submitted_at__isnull=False).count() == 2


def test_it_scores_a_double_submit_from_two_tabs_once(client, enrolled, course):
    quiz = enrolled.version.final_test
    attempt_url = start(client, course)
    first = client.post(attempt_url, correct_final_answers(quiz))
    second = client.post(attempt_url, wrong_final_answers(quiz))  # the other tab
    assert first["Location"] == second["Location"]
    attempt = QuizAttempt.objects.get()
    assert attempt.score_percent == 100
    assert Answer.objects.filter(attempt=attempt).count() == 3


def test_it_shows_attempts_left_and_stops_at_the_maximum(client, learner):
    course = factories.make_course(slug="max", max_attempts=2)
    enrollment = services.enroll_learner(learner, course)
    client.force_login(learner)
    quiz = enrollment.version.final_test
    html = client.post(
        start(client, course), wrong_final_answers(quiz), follow=True
    ).content.decode()
    assert "Je hebt nog 1 poging over." in html
    html = client.post(
        start(client, course), wrong_final_answers(quiz), follow=True
    ).content.decode()
    assert "Je hebt geen pogingen meer." in html
    response = client.post(quiz_url(course) + "starten/", follow=True)
    assert "Je hebt geen pogingen meer voor deze toets." in response.content.decode()
    assert QuizAttempt.objects.count() == 2


def test_it_asks_for_every_answer_in_dutch_and_keeps_what_was_filled_in(client, enrolled, course):
    quiz = enrolled.version.final_test
    first = quiz.questions.order_by("position").first()
    chosen = first.options.get(position=2)
    attempt_url = start(client, course)
    response = client.post(attempt_url, {f"q-{first.pk}": chosen.pk})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Je hebt 2 vragen nog niet (volledig) beantwoord." in html
    assert html.count("Kies een antwoord.") == 2
    assert f'value="{chosen.pk}" id="q{first.pk}-o{chosen.pk}" checked' in html
    assert not QuizAttempt.objects.filter(submitted_at__isnull=False).exists()


def test_it_grades_ordering_and_matching_questions_from_their_selects(client, learner):
    course = factories.make_course(slug="soorten", final_questions=0, publish=False)
    version = course.versions.get()
    quiz = Quiz.objects.create(
        version=version, key="toets", title="Toets", kind=Quiz.Kind.TEST, pass_mark=100
    )
    ordering = add_ordering_question(quiz, 0)
    matching = add_matching_question(quiz, 1)
    factories.publish_version(version)
    services.enroll_learner(learner, course)
    client.force_login(learner)
    attempt_url = start(client, course, "toets")
    page = client.get(attempt_url).content.decode()
    assert f'<select name="q-{ordering.pk}-' in page and f'<select name="q-{matching.pk}-' in page
    bad = {f"q-{ordering.pk}-{o.pk}": "1" for o in ordering.options.all()}
    assert (
        "Geef elk onderdeel een ander nummer, van 1 tot en met 3."
        in client.post(attempt_url, bad).content.decode()
    )
    data = {f"q-{ordering.pk}-{o.pk}": str(o.position + 1) for o in ordering.options.all()}
    # The matching selects carry this attempt's opaque values, one per option.
    attempt = QuizAttempt.objects.get(enrollment__user=learner, quiz=quiz)
    value_of = {pk: value for value, pk in attempt.layout["match"][str(matching.pk)].items()}
    data.update({f"q-{matching.pk}-{o.pk}": value_of[o.pk] for o in matching.options.all()})
    html = client.post(attempt_url, data, follow=True).content.decode()
    assert "Je score: 100%" in html


def test_it_submits_with_a_constant_number_of_queries(client, learner, django_assert_num_queries):
    from courses import question_pools

    counts = []
    for n in (3, 30):
        course = factories.make_course(slug=f"vragen-{n}", final_questions=n)
        enrollment = services.enroll_learner(learner, course)
        client.force_login(learner)
        quiz = enrollment.version.final_test
        attempt_url = start(client, course)
        data = wrong_final_answers(quiz)
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(attempt_url, data)
        assert response.status_code == 302
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    course = factories.make_course(slug="vragen-pin", final_questions=5)
    enrollment = services.enroll_learner(learner, course)
    attempt_url = start(client, course)  # reads the version's outline and its questions
    data = wrong_final_answers(enrollment.version.final_test)
    # session, user, attempt (the questions from the process's pool, below); submit:
    # savepoint, lock of attempt and enrolment, the attempt limit checked again, insert answers,
    # update, the LRSs receiving the course (xAPI outbox, scorm_export), release.
    with django_assert_num_queries(10):
        client.post(attempt_url, data)
    # session, user, enrolment (the quiz from the version's outline); savepoint, lock of the
    # enrolment, the learner's attempts counted in one query (open one, limit, number), insert,
    # release.
    with django_assert_num_queries(8):
        attempt_url = start(client, course)
    # The questions of a published version are read once per process: 1 + one per type + 1.
    question_pools.forget_local()
    with django_assert_num_queries(10 + 3):
        client.post(attempt_url, data)
    assert counts == [10, 10]


def test_it_submits_with_the_same_queries_for_one_lrs_as_for_three(client, learner):
    """The xAPI outbox costs the submit one INSERT of one event row, however many LRSs receive
    the course: its statements, which LRSs and their delivery rows are worked out by the
    delivery task."""
    from records.models import LearningRecordStore, StatementOutbox, XapiEvent, XapiStatement
    from records.services import build_event_statements

    counts = {}
    client.force_login(learner)
    for lrss in (0, 1, 3):
        LearningRecordStore.objects.update(enabled=False)
        for n in range(lrss):
            # Never contacted: delivery is queued after commit, which this test never reaches.
            LearningRecordStore.objects.create(name=f"lrs-{lrss}-{n}", endpoint="http://lrs.test/")
        course = factories.make_course(slug=f"lrs-{lrss}", final_questions=10)
        enrollment = services.enroll_learner(learner, course)
        attempt_url = start(client, course)
        data = wrong_final_answers(enrollment.version.final_test)
        with CaptureQueriesContext(connection) as ctx:
            assert client.post(attempt_url, data).status_code == 302
        counts[lrss] = len(ctx)
        written = XapiStatement.objects.filter(course_id=course.pk).exclude(verb="registered")
        assert not written.exists()  # built off the request path, from one event row
        assert XapiEvent.objects.count() == (1 if lrss else 0)
        assert build_event_statements() == (1 if lrss else 0)
        assert written.count() == (11 if lrss else 0)  # ten answers and the result, once each
        assert not XapiEvent.objects.exists()
    # No LRS: the one query asking which LRSs receive the course; with any: one INSERT more (of
    # the event row).
    assert counts == {0: counts[0], 1: counts[0] + 1, 3: counts[0] + 1}
    assert not StatementOutbox.objects.exists()  # fan-out happens at delivery, not here


def make_self_assessed_course(learner, client):
    course = make_rich_course(slug="zelf")
    enrollment = services.enroll_learner(learner, course)
    client.force_login(learner)
    return course, enrollment


def scale_data(quiz, value):
    return {f"q-{q.pk}": str(value) for q in quiz.questions.all()}


def test_it_prompts_for_the_pre_self_assessment_before_the_first_lesson(client, learner):
    course, enrollment = make_self_assessed_course(learner, client)
    page = client.get(f"/cursus/{course.slug}/").content.decode()
    assert "Voordat je begint: de zelfevaluatie" in page
    quiz = enrollment.version.quizzes.get(kind="self_assessment")
    response = client.post(f"/cursus/{course.slug}/zelfevaluatie/voor/", scale_data(quiz, 2))
    assert response["Location"] == f"/cursus/{course.slug}/verder/"
    assert QuizAttempt.objects.get(phase="pre").submitted_at is not None
    assert "Voordat je begint" not in client.get(f"/cursus/{course.slug}/").content.decode()


def test_it_refuses_the_post_self_assessment_before_the_final_test_is_passed(client, learner):
    course, enrollment = make_self_assessed_course(learner, client)
    quiz = enrollment.version.quizzes.get(kind="self_assessment")
    response = client.post(
        f"/cursus/{course.slug}/zelfevaluatie/na/", scale_data(quiz, 4), follow=True
    )
    assert "nadat je de eindtoets hebt gehaald" in response.content.decode()
    assert not QuizAttempt.objects.filter(phase="post").exists()


def test_it_shows_the_self_assessment_before_and_after_side_by_side(client, learner):
    course, enrollment = make_self_assessed_course(learner, client)
    quiz = enrollment.version.quizzes.get(kind="self_assessment")
    client.post(f"/cursus/{course.slug}/zelfevaluatie/voor/", scale_data(quiz, 2))
    finish_lessons(enrollment)
    final = enrollment.version.final_test
    client.post(start(client, course), correct_final_answers(final))
    empty = client.post(f"/cursus/{course.slug}/zelfevaluatie/na/", {})
    assert empty.status_code == 400 and "Kies een waarde op de schaal." in empty.content.decode()
    client.post(f"/cursus/{course.slug}/zelfevaluatie/na/", scale_data(quiz, 5))
    html = client.get(f"/cursus/{course.slug}/zelfevaluatie/").content.decode()
    assert "Ik voel me zeker bij onderwerp 0" in html
    assert html.count("<td>2 van 5</td>\n          <td>5 van 5</td>") == 2


def test_it_renders_every_question_type_with_accessible_controls(client, learner):
    course = factories.make_course(slug="alle-typen", final_questions=0, publish=False)
    version = course.versions.get()
    quiz = Quiz.objects.create(version=version, key="toets", title="Toets", kind=Quiz.Kind.TEST)
    factories.add_choice_question(quiz, 0)
    factories.add_choice_question(quiz, 1, cls=MultipleChoiceQuestion)
    add_ordering_question(quiz, 2)
    add_matching_question(quiz, 3)
    ScaleQuestion.objects.create(
        quiz=quiz, position=4, key="schaal", prompt="<p>Stelling</p>", scale_max=4
    )
    factories.publish_version(version)
    services.enroll_learner(learner, course)
    client.force_login(learner)
    html = client.get(start(client, course, "toets")).content.decode()
    assert html.count("<fieldset") == 5 and html.count("<legend>") == 5
    assert 'type="radio"' in html and 'type="checkbox"' in html
    assert html.count('<select name="q-') == 5  # 3 ordering items + 2 matching items
    assert "1 = helemaal oneens, 4 = helemaal eens" in html
    # every control has a label
    import re

    ids = re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', html)
    assert ids and all(f'for="{i}"' in html for i in ids)


@pytest.mark.django_db(transaction=True)
def test_it_scores_one_attempt_when_two_tabs_submit_at_the_same_moment(learner):
    """Two real requests on two database connections race; the row lock lets one of them grade."""
    import threading

    from django.db import connections
    from django.test import Client

    course = factories.make_course(slug="race")
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    url = f"/cursus/race/toets/eindtoets/poging/{attempt.pk}/"
    payloads = [correct_final_answers(quiz), wrong_final_answers(quiz)]
    barrier = threading.Barrier(2)
    statuses = []

    def submit(data):
        tab = Client()
        tab.force_login(learner)
        barrier.wait()
        statuses.append(tab.post(url, data).status_code)
        connections.close_all()

    threads = [threading.Thread(target=submit, args=(data,)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert QuizAttempt.objects.filter(submitted_at__isnull=False).count() == 1
    assert Answer.objects.filter(attempt=attempt).count() == 3


def test_its_page_counts_attempts_of_every_version_and_lists_this_versions(client, learner):
    course = factories.make_course(slug="versies", max_attempts=3)
    enrollment = services.enroll_learner(learner, course)
    old = enrollment.version.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, old).pk, wrong_final_answers(old), learner
    )
    draft = publishing.create_draft(course, factories.make_author(course))
    publishing.publish_draft(draft, factories.make_author(course))
    enrollment.refresh_from_db()
    services.start_attempt(enrollment, draft.final_test)  # open, in the new version
    client.force_login(learner)
    html = client.get(quiz_url(course)).content.decode()
    # Only the new version's attempts are listed (the open one as "go on"); both count.
    assert "<dt>Pogingen over</dt><dd>2</dd>" in html
    assert "Jouw pogingen" not in html and "Ga verder met je poging" in html
    assert f'<a href="/cursus/versies/">{draft.title}</a>' in html


def test_its_page_sends_a_learner_who_is_not_enrolled_to_the_course_page(client, learner):
    course = factories.make_course(slug="niet-ingeschreven")
    client.force_login(learner)
    response = client.get(quiz_url(course), follow=True)
    assert response.redirect_chain == [("/cursus/niet-ingeschreven/", 302)]
    assert "Schrijf je eerst in voor deze cursus." in response.content.decode()
    assert client.get("/cursus/bestaat-niet/toets/eindtoets/").status_code == 404
