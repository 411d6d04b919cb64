"""Tests that measure: each attempt draws its questions and option order, keeps it on resume and
on the result page, pins what authors pinned, and leaks no answer through the form."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import services
from courses.models import Option, Quiz, QuizAttempt, TrueFalseQuestion
from tests import factories
from tests.courses.learning_fixtures import add_matching_question, add_ordering_question

pytestmark = pytest.mark.django_db


def pooled_course(slug="pool", *, draw=None, questions=8, tags=None, max_attempts=None):
    """A course whose final test has `questions` single-choice questions of 4 options (the
    first one correct, the last pinned), tagged from `tags` in turn, drawing `draw`."""
    course = factories.make_course(
        slug=slug, final_questions=0, publish=False, max_attempts=max_attempts
    )
    version = course.versions.get()
    quiz = Quiz.objects.create(
        version=version,
        key="eindtoets",
        title="Eindtoets",
        kind=Quiz.Kind.FINAL,
        draw=draw,
        max_attempts=max_attempts,
    )
    for i in range(questions):
        question = factories.add_choice_question(quiz, i, n_options=4)
        question.tags = [tags[i % len(tags)]] if tags else []
        question.save(update_fields=["tags"])
        Option.objects.filter(question=question, position=3).update(
            text="Geen van bovenstaande", pinned=True
        )
    factories.publish_version(version)
    return course, quiz


def start_page(client, course):
    response = client.post(f"/cursus/{course.slug}/toets/eindtoets/starten/")
    return response["Location"]


def radio_values(html):
    """Per question field, the option ids in the order the page shows them."""
    order: dict[str, list[int]] = {}
    for name, value in re.findall(r'type="radio" name="(q-\d+)" value="(\d+)"', html):
        order.setdefault(name, []).append(int(value))
    return order


def test_it_shows_each_attempt_its_own_option_order_and_keeps_it_on_resume_and_result(
    client, learner
):
    course, quiz = pooled_course()
    services.enroll_learner(learner, course)
    client.force_login(learner)
    url = start_page(client, course)

    first = radio_values(client.get(url).content.decode())
    assert radio_values(client.get(url).content.decode()) == first  # resume: same order
    questions = list(quiz.questions.order_by("position"))
    authored = {f"q-{q.pk}": [o.pk for o in q.options.order_by("position")] for q in questions}
    assert list(first) != list(authored) or any(first[k] != authored[k] for k in first)
    for name, shown in first.items():
        pinned = Option.objects.get(pk=shown[-1])
        assert pinned.pinned and pinned.text == "Geen van bovenstaande"
        assert sorted(shown) == sorted(authored[name])
    # Correct answers are not all in one position any more.
    positions = {shown.index(authored[name][0]) for name, shown in first.items()}
    assert len(positions) > 1

    data = {name: str(shown[0]) for name, shown in first.items()}
    result = client.post(url, data, follow=True).content.decode()
    review_order = re.findall(r'name="(q-\d+)" value="(\d+)"', result)
    assert [n for n, _v in review_order][::4] == list(first)
    attempt = QuizAttempt.objects.get()
    assert attempt.layout["questions"] == [int(n[2:]) for n in first]


def test_it_keeps_true_false_as_waar_then_niet_waar(client, learner):
    course, quiz = pooled_course(questions=0)
    with factories.unpublished(quiz.version):
        question = TrueFalseQuestion.objects.create(
            quiz=quiz, position=0, key="tf", prompt="<p>?</p>"
        )
        Option.objects.create(question=question, position=0, key="w", text="Waar")
        Option.objects.create(
            question=question, position=1, key="n", text="Niet waar", is_correct=True
        )
    services.enroll_learner(learner, course)
    client.force_login(learner)
    for _attempt in range(3):
        html = client.get(start_page(client, course)).content.decode()
        assert html.index(">Waar<") < html.index(">Niet waar<")
        QuizAttempt.objects.update(submitted_at="2026-01-01T00:00Z", passed=False)


def test_it_draws_the_pool_per_attempt_and_gives_a_retake_other_questions(learner):
    course, quiz = pooled_course(draw=4, questions=8)
    enrollment = services.enroll_learner(learner, course)

    first = services.start_attempt(enrollment, quiz)
    services.submit_attempt(first.pk, {}, learner)
    second = services.start_attempt(enrollment, quiz)

    assert len(first.layout["questions"]) == len(second.layout["questions"]) == 4
    assert not set(first.layout["questions"]) & set(second.layout["questions"])
    result = services.submit_attempt(
        second.pk,
        {f"q-{q.pk}": str(q.options.get(is_correct=True).pk) for q in quiz.questions.all()},
        learner,
    )
    # Graded on the four drawn questions only: all right is 100%.
    assert len(result.answers) == 4 and result.attempt.score == 1


def test_it_draws_per_learning_objective(learner):
    course, quiz = pooled_course(
        draw={"doel-1": 1, "doel-2": 2}, questions=9, tags=["doel-1", "doel-2", "doel-3"]
    )
    enrollment = services.enroll_learner(learner, course)
    tags_by_pk = {q.pk: q.tags[0] for q in quiz.questions.all()}

    for _try in range(3):
        attempt = services.start_attempt(enrollment, quiz)
        drawn = [tags_by_pk[pk] for pk in attempt.layout["questions"]]
        assert sorted(drawn) == ["doel-1", "doel-2", "doel-2"]
        services.submit_attempt(attempt.pk, {}, learner)


def test_it_tells_the_learner_how_many_questions_an_attempt_asks(client, learner):
    course, _quiz = pooled_course(draw=5, questions=8)
    services.enroll_learner(learner, course)
    client.force_login(learner)
    html = client.get(f"/cursus/{course.slug}/toets/eindtoets/").content.decode()
    assert re.search(r"Aantal vragen</dt><dd>5</dd>", html)


def test_it_gives_matching_selects_opaque_per_attempt_values(client, learner):
    course, quiz = pooled_course(questions=0)
    with factories.unpublished(quiz.version):
        matching = add_matching_question(quiz, 0)
    services.enroll_learner(learner, course)
    client.force_login(learner)
    url = start_page(client, course)
    html = client.get(url).content.decode()
    option_ids = {str(o.pk) for o in matching.options.all()}
    selects = re.findall(rf'name="q-{matching.pk}-\d+".*?</select>', html, flags=re.S)
    values = {v for s in selects for v in re.findall(r'<option value="([^"]*)"', s)} - {""}
    assert len(values) == 2 and not values & option_ids

    # Option ids sent instead of this attempt's values count as no answer.
    direct = {f"q-{matching.pk}-{o.pk}": str(o.pk) for o in matching.options.all()}
    response = client.post(url, direct)
    assert response.status_code == 400 and "Kies bij elk onderdeel een koppeling." in (
        response.content.decode()
    )


@pytest.mark.parametrize("ranks", [{}, {"0": "1", "1": "1", "2": "2"}])
def test_it_shows_a_blank_or_duplicate_ordering_answer_as_typed_never_in_the_right_order(
    client, learner, ranks
):
    course, quiz = pooled_course(questions=0)
    with factories.unpublished(quiz.version):
        ordering = add_ordering_question(quiz, 0)
    services.enroll_learner(learner, course)
    client.force_login(learner)
    url = start_page(client, course)
    options = list(ordering.options.order_by("position"))
    data = {f"q-{ordering.pk}-{options[int(i)].pk}": r for i, r in ranks.items()}

    html = client.post(url, data).content.decode()

    assert "Geef elk onderdeel een ander nummer" in html
    for i, option in enumerate(options):
        select = re.search(
            rf'name="q-{ordering.pk}-{option.pk}".*?</select>', html, flags=re.S
        ).group(0)
        selected = re.findall(r'value="(\d+)" selected', select)
        assert selected == ([ranks[str(i)]] if str(i) in ranks else [])


def test_it_serves_the_attempt_and_result_pages_with_a_fixed_number_of_queries(client, learner):
    counts = {}
    client.force_login(learner)
    for n in (4, 16):
        course, quiz = pooled_course(slug=f"tel-{n}", draw=n // 2, questions=n)
        services.enroll_learner(learner, course)
        url = start_page(client, course)
        with CaptureQueriesContext(connection) as page:
            assert client.get(url).status_code == 200
        data = {f"q-{q.pk}": str(q.options.first().pk) for q in quiz.questions.all()}
        client.post(url, data)
        with CaptureQueriesContext(connection) as result:
            assert client.get(url + "resultaat/").status_code == 200
        counts[n] = (len(page), len(result))
    assert counts[4] == counts[16]
    # session, user, attempt with quiz and course; the questions come from the process's pool
    # (courses.question_pools), read when the attempt was started.
    assert counts[4][0] == 3


def test_it_never_rounds_a_failed_score_up_to_the_pass_mark(client, learner):
    course = factories.make_course(slug="drieentwintig", final_questions=23)
    enrollment = services.enroll_learner(learner, course)
    client.force_login(learner)
    url = start_page(client, course)
    questions = list(enrollment.version.final_test.questions.order_by("position"))
    data = {
        f"q-{q.pk}": str(q.options.get(position=0 if n < 16 else 1).pk)
        for n, q in enumerate(questions)
    }

    html = client.post(url, data, follow=True).content.decode()

    assert "Je score: 69%" in html and "Niet gehaald" in html
    assert QuizAttempt.objects.get().passed is False
