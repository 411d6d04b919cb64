"""Per quiz: whether a failed attempt shows the correct option. By default a final test shows which
questions were wrong and their explanation, not the key, while attempts remain; practice
questions show it. In the model, the author form, the course file and the result page."""

import pytest
import yaml

from courses import publishing, services
from courses.course_files import export_version, import_content
from courses.models import Quiz
from tests import factories
from tests.courses.learning_fixtures import make_rich_course

pytestmark = pytest.mark.django_db

KEY_TAG = '<span class="tag">juiste antwoord</span>'


def wrong_answers(quiz):
    return {
        f"q-{q.pk}": q.options.get(is_correct=False, position=1).pk for q in quiz.questions.all()
    }


def fail_once(client, course, quiz):
    """Start and hand in a wrong attempt over HTTP; return the result page's HTML."""
    client.post(f"/cursus/{course.slug}/toets/{quiz.key}/starten/")
    attempt = quiz.attempts.filter(submitted_at__isnull=True).get()
    response = client.post(
        f"/cursus/{course.slug}/toets/{quiz.key}/poging/{attempt.pk}/", wrong_answers(quiz)
    )
    return client.get(response["Location"]).content.decode()


@pytest.fixture
def final_course(client):
    course = factories.make_course(slug="sleutel", final_questions=2, max_attempts=2)
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    client.force_login(learner)
    return course, course.published_version.final_test


def test_it_hides_the_correct_option_of_a_final_test_while_attempts_remain(client, final_course):
    course, quiz = final_course
    assert quiz.show_correct_after_fail is None and not quiz.shows_correct_after_fail

    first = fail_once(client, course, quiz)
    assert "Niet gehaald" in first and first.count("Niet goed") == 2
    assert first.count("Uitleg") >= 2  # the explanation of the concept is shown
    assert KEY_TAG not in first
    assert "Het juiste antwoord zie je niet" in first

    last = fail_once(client, course, quiz)  # no attempts left: the key may be shown
    assert "Je hebt geen pogingen meer." in last
    assert last.count(KEY_TAG) == 2


def test_it_shows_the_correct_option_at_once_when_the_quiz_says_so(client, final_course):
    course, quiz = final_course
    Quiz.objects.filter(pk=quiz.pk).update(show_correct_after_fail=True)
    quiz.refresh_from_db()

    first = fail_once(client, course, quiz)

    assert "Je hebt nog 1 poging over." in first
    assert first.count(KEY_TAG) == 2


def test_practice_questions_show_the_key_by_default_and_not_when_switched_off(client):
    course = make_rich_course()
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    client.force_login(learner)
    quiz = course.published_version.quizzes.get(kind=Quiz.Kind.PRACTICE)
    single = quiz.questions.order_by("position").first()
    data = {}
    for q in quiz.questions.all():
        data[f"q-{q.pk}"] = [o.pk for o in q.options.all() if not o.is_correct][:1]
    url = f"/cursus/{course.slug}/les/les-1/oefenen/q0/"
    client.post(url, data)
    html = client.get(url).content.decode()
    assert KEY_TAG in html and f'id="question-{single.pk}"' in html

    Quiz.objects.filter(pk=quiz.pk).update(show_correct_after_fail=False)
    html = client.get(url).content.decode()
    assert "Niet goed" in html and KEY_TAG not in html


def test_authors_set_it_in_the_quiz_form(client):
    course = factories.make_course(slug="sleutel-auteur", final_questions=2)
    author = factories.make_author(course)
    draft = publishing.create_draft(course, author)
    quiz = draft.quizzes.get(kind=Quiz.Kind.FINAL)
    client.force_login(author)
    url = f"/auteur/{course.slug}/quizzen/{quiz.key}/"
    form = {
        "title": quiz.title,
        "kind": "final",
        "introduction": "",
        "pass_mark": 70,
        "max_attempts": "",
        "draw_text": "",
    }
    page = client.get(url).content.decode()
    assert 'name="show_correct_after_fail"' in page and "Standaard" in page

    assert client.post(url, {**form, "show_correct_after_fail": "true"}).status_code == 302
    quiz.refresh_from_db()
    assert quiz.show_correct_after_fail is True
    assert client.post(url, {**form, "show_correct_after_fail": "unknown"}).status_code == 302
    quiz.refresh_from_db()
    assert quiz.show_correct_after_fail is None


def test_it_round_trips_through_the_course_file(tmp_path):
    course = factories.make_course(slug="sleutel-bestand", final_questions=2)
    version = course.published_version
    Quiz.objects.filter(version=version).update(show_correct_after_fail=True)
    path = export_version(version, tmp_path / "sleutel.yaml")
    data = yaml.safe_load(path.read_text("utf-8"))
    assert data["quizzes"][0]["show_correct_after_fail"] is True

    data["slug"] = "sleutel-kopie"
    data["quizzes"][0]["show_correct_after_fail"] = False
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    import_content([path], publish=True)
    copy = Quiz.objects.get(version__course__slug="sleutel-kopie", kind=Quiz.Kind.FINAL)
    assert copy.show_correct_after_fail is False

    del data["quizzes"][0]["show_correct_after_fail"]
    data["slug"] = "sleutel-leeg"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    import_content([path], publish=True)
    assert (
        Quiz.objects.get(version__course__slug="sleutel-leeg", kind="final").show_correct_after_fail
        is None
    )
