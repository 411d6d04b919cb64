"""Authors see bias: validate_course and the author area warn about items a guesser could pass."""

from io import StringIO

import pytest
from django.core.management import call_command

from courses.models import CourseRole, Option, Quiz
from tests import factories

pytestmark = pytest.mark.django_db

BIASED = """format: 1
slug: scheef
title: Scheef
modules:
  - key: m
    title: M
    lessons:
      - key: l
        title: L
        blocks: []
quizzes:
  - key: oefenen
    title: Oefenen
    kind: practice
    questions:
      - type: single_choice
        prompt: "<p>Wat vraag je eerst?</p>"
        options: [{text: Een, correct: true}, {text: Twee}]
  - key: eind
    title: Eind
    kind: final
    draw: 7
    questions:
{questions}
"""


def single(prompt, correct=0):
    options = ", ".join(
        f"{{text: Optie {n}{', correct: true' if n == correct else ''}}}" for n in range(3)
    )
    return (
        f'      - type: single_choice\n        prompt: "<p>{prompt}</p>"\n'
        f"        options: [{options}]\n"
    )


def true_false(prompt):
    return (
        f'      - type: true_false\n        prompt: "<p>{prompt}</p>"\n'
        "        options: [{text: Waar}, {text: Niet waar, correct: true}]\n"
    )


def validate(tmp_path, questions):
    path = tmp_path / "scheef.yaml"
    path.write_text(BIASED.replace("{questions}", "".join(questions)), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("validate_course", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_warns_about_clustered_keys_equal_true_false_keys_repeats_and_a_small_pool(tmp_path):
    questions = [single(f"Vraag {n}") for n in range(4)]
    questions += [true_false(f"Stelling {n}") for n in range(4)]
    questions.append(single(" Wat vraag je  eerst? ", correct=1))

    out, err = validate(tmp_path, questions)

    assert "in orde" in out  # warnings, not errors
    assert "Eind: 4 van de 5 enkelkeuzevragen hebben het juiste antwoord op plaats 1" in err
    assert "bij alle 4 waar/niet waar-vragen is ‘Niet waar’ juist" in err
    assert "vraag ‘q9’ staat ook in de oefenvragen ‘Oefenen’" in err
    assert "de pool heeft 9 vragen voor een trekking van 7" in err


def test_it_is_silent_about_balanced_items_and_a_large_enough_pool(tmp_path):
    questions = [single(f"Vraag {n}", correct=n % 3) for n in range(6)]
    questions += [true_false(f"Stelling {n}") for n in range(3)]
    questions += [single(f"Extra {n}", correct=(n + 1) % 3) for n in range(2)]
    questions += [single(f"Pool {n}", correct=2) for n in range(2)]  # 13 questions for 7

    _out, err = validate(tmp_path, questions)

    assert "enkelkeuzevragen" not in err and "waar/niet waar" not in err
    assert "oefenvragen" not in err and "pool" not in err


def test_it_shows_the_warnings_to_the_author_of_a_draft(client):
    course = factories.make_course(slug="auteur-scheef", final_questions=5, publish=False)
    author = factories.make_author(course)
    quiz = Quiz.objects.get(version__course=course, kind=Quiz.Kind.FINAL)
    Quiz.objects.filter(pk=quiz.pk).update(draw=4)
    assert Option.objects.filter(question__quiz=quiz, position=0, is_correct=True).count() == 5
    assert CourseRole.objects.filter(user=author).exists()
    client.force_login(author)

    html = client.get(f"/auteur/{course.slug}/").content.decode()

    assert "Let op bij de toetsvragen:" in html
    assert "5 van de 5 enkelkeuzevragen hebben het juiste antwoord op plaats 1" in html
    assert "de pool heeft 5 vragen voor een trekking van 4" in html
