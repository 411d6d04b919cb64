import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.models import (
    MAX_PARTICIPANTS,
    AnswerTally,
    GroupSession,
    SessionStatement,
)
from tests import factories
from tests.conversations.support import make_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator():
    return factories.make_user(email="poh@example.org")


@pytest.fixture
def session(facilitator):
    return services.start_session(facilitator, make_set())


def join(client, session):
    response = client.post(reverse("conversations:participate", args=[session.code]))
    assert response.status_code == 302
    return client


def test_it_starts_a_session_with_a_short_code_and_a_local_qr(client, facilitator):
    statement_set = make_set()
    client.force_login(facilitator)
    response = client.post(reverse("conversations:index"), {"statement_set": statement_set.pk})
    session = GroupSession.objects.get()
    assert response["Location"] == session.get_absolute_url()
    assert len(session.code) == 6 and session.expires_at - session.created_at == timedelta(hours=24)
    qr = client.get(reverse("conversations:qr", args=[session.code]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_it_hides_a_session_from_another_user(client, session):
    client.force_login(factories.make_user())
    for name in ("facilitate", "summary", "qr"):
        assert client.get(reverse(f"conversations:{name}", args=[session.code])).status_code == 404


def test_it_counts_answers_and_reveals_when_everyone_answered(client, session, django_user_model):
    shown = services.next_statement(session)
    participants = [join(client.__class__(), session) for _ in range(3)]
    for i, participant in enumerate(participants):
        choice = "eens" if i < 2 else "oneens"
        response = participant.post(
            reverse("conversations:answer", args=[session.code]),
            {"shown": shown.pk, "answer": choice},
        )
        assert response.status_code == 302
        shown.refresh_from_db()
        assert shown.revealed == (i == 2)
    counts = dict(AnswerTally.objects.filter(shown=shown).values_list("answer", "count"))
    assert counts["eens"] == 2 and counts["oneens"] == 1 and counts["neutraal"] == 0
    state = participants[0].get(reverse("conversations:state", args=[session.code])).json()
    assert state["statement"]["revealed"]
    assert [d["count"] for d in state["statement"]["distribution"]] == [0, 2, 0, 1, 0]


def test_it_counts_one_answer_per_participant_per_statement(client, session):
    shown = services.next_statement(session)
    participant = join(client, session)
    url = reverse("conversations:answer", args=[session.code])
    participant.post(url, {"shown": shown.pk, "answer": "eens"})
    participant.post(url, {"shown": shown.pk, "answer": "oneens"})
    shown.refresh_from_db()
    assert shown.answer_count == 1


def test_it_offers_recognition_for_experience_questions(client, session):
    services.next_statement(session)
    shown = services.next_statement(session)  # the second statement is an experience question
    participant = join(client, session)
    page = participant.get(reverse("conversations:participate", args=[session.code]))
    assert b"Herken ik niet" in page.content and b"Helemaal eens" not in page.content
    url = reverse("conversations:answer", args=[session.code])
    participant.post(url, {"shown": shown.pk, "answer": "eens"})  # not a choice here
    shown.refresh_from_db()
    assert shown.answer_count == 0


def test_it_refuses_an_answer_to_a_statement_no_longer_on_screen(client, session):
    first = services.next_statement(session)
    participant = join(client, session)
    services.next_statement(session)
    participant.post(
        reverse("conversations:answer", args=[session.code]), {"shown": first.pk, "answer": "eens"}
    )
    first.refresh_from_db()
    assert first.answer_count == 0


def test_it_stores_nothing_that_links_an_answer_to_a_participant(client, session):
    shown = services.next_statement(session)
    participant = join(client, session)
    participant.post(
        reverse("conversations:answer", args=[session.code]), {"shown": shown.pk, "answer": "eens"}
    )
    # No Django session row for the anonymous participant, and the counts carry no identity.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_session")
        assert cursor.fetchone()[0] == 0
    assert {f.name for f in AnswerTally._meta.concrete_fields} == {"id", "shown", "answer", "count"}
    assert f"wvj-{session.code}" in participant.cookies


def test_it_skips_and_picks_by_theme(session, facilitator):
    first = services.next_statement(session)
    services.next_statement(session, skip=True, theme="minderheidsstress")
    first.refresh_from_db()
    assert first.outcome == SessionStatement.Outcome.SKIPPED
    session.refresh_from_db()
    assert session.current.statement.theme == "minderheidsstress"


def test_it_answers_204_to_a_poll_when_nothing_changed(client, session, django_assert_num_queries):
    services.next_statement(session)
    participant = join(client, session)
    session.refresh_from_db()
    url = reverse("conversations:state", args=[session.code])
    with django_assert_num_queries(1):
        assert participant.get(url, {"v": session.version}).status_code == 204
    with django_assert_num_queries(1):  # not yet revealed: no counts to read
        assert participant.get(url).json()["statement"]["answers"] == 0


def test_it_refuses_the_state_to_someone_who_did_not_join(client, session):
    assert client.get(reverse("conversations:state", args=[session.code])).status_code == 404


def test_it_refuses_an_eleventh_participant(client, session):
    for _ in range(MAX_PARTICIPANTS):
        join(client.__class__(), session)
    response = client.post(reverse("conversations:participate", args=[session.code]))
    assert response["Location"] == reverse("conversations:join")
    session.refresh_from_db()
    assert session.participant_count == MAX_PARTICIPANTS


@pytest.mark.django_db(transaction=True)
def test_it_never_counts_more_than_ten_participants_under_concurrency():
    facilitator = factories.make_user()
    session = services.start_session(facilitator, make_set())
    barrier = threading.Barrier(16)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            try:
                services.join_session(GroupSession.objects.get(pk=session.pk))
                outcomes.append("joined")
            except services.SessionFull:
                outcomes.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.refresh_from_db()
    assert outcomes.count("joined") == MAX_PARTICIPANTS == session.participant_count


def test_it_expires_sessions_after_24_hours(client, session):
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert (
            client.get(reverse("conversations:participate", args=[session.code])).status_code == 404
        )
        assert services.delete_expired_sessions() == 1
    assert not GroupSession.objects.exists()


def test_it_joins_by_typed_code(client, session):
    response = client.post(reverse("conversations:join"), {"code": session.code.lower()})
    assert response["Location"] == reverse("conversations:participate", args=[session.code])
    response = client.post(reverse("conversations:join"), {"code": "ZZZZZZ"})
    assert "Er is geen lopende sessie" in response.content.decode()


def test_it_deletes_a_facilitators_sessions_with_their_account(session, facilitator):
    from accounts.services import delete_learner_account

    delete_learner_account(facilitator)
    assert not GroupSession.objects.exists()
