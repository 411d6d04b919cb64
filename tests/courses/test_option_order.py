"""Answers of a question in their own order: ↑/↓ and drag and drop (one request per move), with
positions that stay unique per question at every step, also when the question form renumbers."""

import pytest
from django.db import connection
from django.urls import reverse

from courses.models import ChangeRecord, Option, SingleChoiceQuestion
from tests import factories
from tests.courses.test_authoring import formset_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def unique_positions(draft):
    """A unique index on (question, position) for this test only (it rolls back with it): any
    intermediate collision of a renumbering fails the statement, as the real constraint would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks may stay behind
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "CREATE UNIQUE INDEX test_option_unique_position"
            " ON courses_option (question_id, position)"
        )


def question(draft):
    return SingleChoiceQuestion.objects.get(quiz__version=draft, key="q0")


def order(draft):
    return list(question(draft).options.order_by("position").values_list("key", "position"))


def move(client, option_key, headers=None, **data):
    return client.post(
        reverse("authoring:option_move", args=["basis", "eindtoets", "q0", option_key]),
        data,
        headers=headers or {},
    )


def test_it_moves_an_answer_up_and_down_with_the_buttons(author_client, draft, unique_positions):
    response = move(author_client, "o2", direction="up")
    assert response.status_code == 302
    assert response["Location"].endswith("/quizzen/eindtoets/vragen/q0/#option-o2")
    assert order(draft) == [("o0", 0), ("o2", 1), ("o1", 2)]
    move(author_client, "o0", direction="down")
    assert order(draft) == [("o2", 0), ("o0", 1), ("o1", 2)]
    move(author_client, "o2", direction="up")  # already first: nothing changes
    assert order(draft) == [("o2", 0), ("o0", 1), ("o1", 2)]
    moves = ChangeRecord.objects.filter(action="move", object_type="option")
    assert [m.object_key for m in moves.order_by("pk")] == ["o2", "o0"]


def test_it_moves_a_dragged_answer_to_its_place_in_one_request(
    author_client, draft, unique_positions, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = move(author_client, "o0", headers={"X-Requested-With": "fetch"}, position=2)
    assert response.status_code == 204
    assert order(draft) == [("o1", 0), ("o2", 1), ("o0", 2)]
    response = move(author_client, "o0", headers={"X-Requested-With": "fetch"}, position=99)
    assert response.status_code == 204  # past the end: stays last
    assert order(draft) == [("o1", 0), ("o2", 1), ("o0", 2)]
    assert move(author_client, "o0").status_code == 404  # neither a direction nor a place


def test_it_renumbers_without_collisions_when_the_question_form_reorders_adds_and_deletes(
    author_client, draft, unique_positions
):
    options = list(question(draft).options.order_by("position"))
    rows = [
        {"id": options[0].pk, "text": "Optie 0", "is_correct": "on", "ORDER": "3"},
        {"id": options[1].pk, "text": "Optie 1", "ORDER": "1", "DELETE": "on"},
        {"id": options[2].pk, "text": "Optie 2", "ORDER": "2"},
        {"text": "Nieuw", "ORDER": "1"},
    ]
    data = {
        "prompt": "<p>Vraag</p>",
        "explanation": "",
        "tag": "knowledge",
        "points": 1,
        **formset_data("options", rows, initial=3),
    }
    response = author_client.post(
        reverse("authoring:question", args=["basis", "eindtoets", "q0"]), data
    )
    assert response.status_code == 302
    texts = list(question(draft).options.order_by("position").values_list("text", "position"))
    assert texts == [("Nieuw", 0), ("Optie 2", 1), ("Optie 0", 2)]


def test_the_question_page_offers_the_move_buttons_and_drag_handles_for_saved_answers(
    author_client, draft
):
    page = author_client.get(
        reverse("authoring:question", args=["basis", "eindtoets", "q0"])
    ).content.decode()
    assert "data-sortable-subforms" in page
    assert '<fieldset class="subform" id="option-o1" data-move-form="move-o1">' in page
    assert 'form="move-o1"' in page and 'aria-label="Antwoord 2 omlaag verplaatsen"' in page
    # ↑/↓ submit small forms outside the question form, each with its CSRF token.
    move_url = reverse("authoring:option_move", args=["basis", "eindtoets", "q0", "o1"])
    form = page[page.index(f'action="{move_url}"') :]
    assert 'id="move-o1" hidden>' in form[:200] and "csrfmiddlewaretoken" in form[:400]
    first_up = page.index('aria-label="Antwoord 1 omhoog verplaatsen"')
    assert "disabled" in page[first_up - 80 : first_up]
    # A new question has nothing saved to move yet.
    new = author_client.get(
        reverse("authoring:question_create", args=["basis", "eindtoets", "single_choice"])
    ).content.decode()
    assert "data-sortable-subforms" not in new and "data-move-form" not in new


def test_only_the_courses_authors_move_answers_of_its_draft(client, course, draft, outsider):
    other = factories.make_author(factories.make_course(slug="ander"))
    for user in (outsider, other):
        client.force_login(user)
        assert move(client, "o0", direction="down").status_code == 404
    client.force_login(factories.make_author(course))
    assert move(client, "bestaat-niet", direction="down").status_code == 404
    assert (
        client.get(
            reverse("authoring:option_move", args=["basis", "eindtoets", "q0", "o0"])
        ).status_code
        == 405
    )
    assert list(Option.objects.filter(question=question(draft)).values_list("key", flat=True)) == [
        "o0",
        "o1",
        "o2",
    ]
