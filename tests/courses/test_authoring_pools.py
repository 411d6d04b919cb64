"""The author area edits item pools: a quiz's draw, a question's learning objectives and pinned
options, as the course file's `draw`, `tags` and `pinned`."""

import pytest

from courses import publishing
from courses.authoring.forms import QUESTION_KINDS, OptionFormSet
from courses.models import Quiz, SingleChoiceQuestion, TrueFalseQuestion
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_quiz(client):
    course = factories.make_course(slug="pool-auteur", final_questions=4)
    author = factories.make_author(course)
    draft = publishing.create_draft(course, author)
    client.force_login(author)
    return course, draft.quizzes.get(kind=Quiz.Kind.FINAL)


def post_quiz(client, course, quiz, draw_text, kind="final"):
    return client.post(
        f"/auteur/{course.slug}/quizzen/{quiz.key}/",
        {
            "title": quiz.title,
            "kind": kind,
            "introduction": "",
            "pass_mark": 70,
            "max_attempts": "",
            "draw_text": draw_text,
        },
    )


def test_it_saves_a_draw_per_learning_objective_and_shows_it_again(client, draft_quiz):
    course, quiz = draft_quiz

    assert post_quiz(client, course, quiz, "doel-1: 2, doel-2: 1").status_code == 302

    quiz.refresh_from_db()
    assert quiz.draw == {"doel-1": 2, "doel-2": 1}
    page = client.get(f"/auteur/{course.slug}/quizzen/{quiz.key}/").content.decode()
    assert 'value="doel-1: 2, doel-2: 1"' in page
    assert post_quiz(client, course, quiz, "3").status_code == 302
    quiz.refresh_from_db()
    assert quiz.draw == 3


def test_it_refuses_a_malformed_draw_or_a_draw_on_practice_questions(client, draft_quiz):
    course, quiz = draft_quiz

    bad = post_quiz(client, course, quiz, "twee uit doel 1").content.decode()
    practice = post_quiz(client, course, quiz, "2", kind="practice").content.decode()

    assert "Schrijf een aantal (10) of per leerdoel" in bad
    assert "Alleen een toets of eindtoets trekt vragen uit een pool." in practice
    quiz.refresh_from_db()
    assert quiz.draw is None


def test_it_takes_learning_objectives_and_offers_pinning_only_for_choice_options(draft_quiz):
    _course, quiz = draft_quiz
    question = SingleChoiceQuestion(quiz=quiz, position=50, key="nieuw")
    form = QUESTION_KINDS["single_choice"][1](
        {"prompt": "<p>Vraag</p>", "tag": "knowledge", "points": 1, "tags_text": "doel-1, doel-2"},
        instance=question,
    )
    assert form.is_valid(), form.errors
    assert question.tags == ["doel-1", "doel-2"]

    single = OptionFormSet(instance=question, prefix="o")
    true_false = OptionFormSet(instance=TrueFalseQuestion(quiz=quiz), prefix="o")
    assert "pinned" in single.forms[0].fields
    assert "pinned" not in true_false.forms[0].fields
