"""Workflows of the conversation tool. Every function runs in one transaction.

Counting is done with conditional UPDATEs (`count = count + 1 WHERE …`), so concurrent
participants never lose an answer and never push a count past the session's limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import (
    MAX_PARTICIPANTS,
    AnswerTally,
    GroupSession,
    SessionStatement,
    Statement,
    StatementSet,
    new_join_code,
)


class SessionClosed(Exception):
    """The session has ended or expired."""


class SessionFull(Exception):
    """Already MAX_PARTICIPANTS participants."""


class NotCurrent(Exception):
    """The answer is for a statement that is no longer on the screen, or not a valid choice."""


def start_session(facilitator, statement_set: StatementSet) -> GroupSession:
    """Create a group session with a fresh join code; returns it."""
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return GroupSession.objects.create(
                    facilitator=facilitator, statement_set=statement_set, code=new_join_code()
                )
        except IntegrityError:  # the code is taken by another live session: draw again
            continue
    raise RuntimeError("no free join code")


def _bump(session_id: int, **fields) -> None:
    GroupSession.objects.filter(pk=session_id).update(version=F("version") + 1, **fields)


@transaction.atomic
def join_session(session: GroupSession) -> None:
    """Count one more participant (no identity is stored). Raises SessionFull or SessionClosed."""
    if not session.is_open:
        raise SessionClosed
    updated = GroupSession.objects.filter(
        pk=session.pk, participant_count__lt=MAX_PARTICIPANTS, ended_at__isnull=True
    ).update(participant_count=F("participant_count") + 1, version=F("version") + 1)
    if not updated:
        raise SessionFull


def _locked(session: GroupSession) -> GroupSession:
    locked = GroupSession.objects.select_for_update().get(pk=session.pk)
    if not locked.is_open:
        raise SessionClosed
    return locked


def _show(session: GroupSession, statement: Statement | None) -> SessionStatement | None:
    shown = None
    if statement is not None:
        position = session.shown.count() + 1
        shown = SessionStatement.objects.create(
            session=session, statement=statement, position=position
        )
        AnswerTally.objects.bulk_create(
            AnswerTally(shown=shown, answer=answer) for answer in statement.answer_choices()
        )
    _bump(session.pk, current=shown)
    return shown


def remaining_statements(session: GroupSession, theme: str = ""):
    """The statements of the session's set not yet put to the group, in set order."""
    qs = session.statement_set.statements.exclude(
        pk__in=SessionStatement.objects.filter(session=session).values("statement_id")
    )
    if theme:
        qs = qs.filter(theme=theme)
    return qs.order_by("position")


@transaction.atomic
def next_statement(session: GroupSession, *, skip: bool = False, theme: str = ""):
    """Put the next statement (of `theme`, when given) on the screen. With `skip` the current one
    is marked skipped rather than discussed. Returns the new SessionStatement, or None when no
    statement is left (the screen then shows the end)."""
    session = _locked(session)
    if skip and session.current_id:
        SessionStatement.objects.filter(pk=session.current_id).update(
            outcome=SessionStatement.Outcome.SKIPPED
        )
    return _show(session, remaining_statements(session, theme).first())


@transaction.atomic
def show_statement(session: GroupSession, statement: Statement) -> SessionStatement:
    """Put a chosen statement of the session's set on the screen (one not shown before)."""
    session = _locked(session)
    if statement.statement_set_id != session.statement_set_id:
        raise NotCurrent
    if SessionStatement.objects.filter(session=session, statement=statement).exists():
        raise NotCurrent
    shown = _show(session, statement)
    assert shown is not None
    return shown


@transaction.atomic
def record_answer(session: GroupSession, shown_id: int, answer: str) -> None:
    """Add one to the count of `answer` for the statement on the screen. Reveals the
    distribution once every participant has answered. Writes counts only."""
    if not session.is_open:
        raise SessionClosed
    shown = (
        SessionStatement.objects.select_related("statement")
        .filter(pk=shown_id, session=session)
        .first()
    )
    if shown is None or session.current_id != shown.pk:
        raise NotCurrent
    if answer not in shown.statement.answer_choices():
        raise NotCurrent
    counted = SessionStatement.objects.filter(
        pk=shown.pk, answer_count__lt=MAX_PARTICIPANTS
    ).update(answer_count=F("answer_count") + 1)
    if not counted:
        raise NotCurrent
    AnswerTally.objects.filter(shown=shown, answer=answer).update(count=F("count") + 1)
    SessionStatement.objects.filter(
        pk=shown.pk,
        answer_count__gte=GroupSession.objects.filter(pk=session.pk).values("participant_count")[
            :1
        ],
    ).update(revealed=True)
    _bump(session.pk)


@transaction.atomic
def reveal_distribution(session: GroupSession) -> None:
    """Show the current statement's distribution before everyone has answered."""
    session = _locked(session)
    if session.current_id:
        SessionStatement.objects.filter(pk=session.current_id).update(revealed=True)
        _bump(session.pk)


@transaction.atomic
def save_notes(session: GroupSession, notes: str) -> None:
    GroupSession.objects.filter(pk=session.pk).update(notes=notes)


@transaction.atomic
def end_session(session: GroupSession) -> None:
    """Close the session: no more joining or answering; the summary stays until expiry."""
    _bump(session.pk, ended_at=timezone.now(), current=None)


@transaction.atomic
def delete_expired_sessions() -> int:
    """Delete sessions past their 24 hours with their counts; returns how many sessions."""
    deleted, per_model = GroupSession.objects.filter(expires_at__lte=timezone.now()).delete()
    return per_model.get(GroupSession._meta.label, 0)


@dataclass
class Distribution:
    answer: str
    label: str
    count: int


def distribution(shown: SessionStatement) -> list[Distribution]:
    """The counts per choice of a shown statement, in the order of its answer scale."""
    counts = {t.answer: t.count for t in shown.tallies.all()}
    return [
        Distribution(answer=a.value, label=str(a.label), count=counts.get(a.value, 0))
        for a in shown.statement.answer_choices()
    ]


def session_state(session: GroupSession) -> dict:
    """What every screen of the session shows, as JSON-ready data."""
    shown = session.current
    state: dict = {
        "version": session.version,
        "participants": session.participant_count,
        "open": session.is_open,
        "statement": None,
    }
    if shown is not None:
        statement = shown.statement
        state["statement"] = {
            "id": shown.pk,
            "position": shown.position,
            "kind": statement.kind,
            "kind_label": str(statement.get_kind_display()),
            "theme_label": str(statement.get_theme_display()),
            "text": statement.text,
            "answers": shown.answer_count,
            "revealed": shown.revealed,
            "choices": [
                {"value": a.value, "label": str(a.label)} for a in statement.answer_choices()
            ],
            "distribution": ([d.__dict__ for d in distribution(shown)] if shown.revealed else None),
        }
    return state


def summary(session: GroupSession) -> list[tuple[SessionStatement, list[Distribution]]]:
    """The statements put to the group, in order, with their distributions."""
    shown = (
        SessionStatement.objects.filter(session=session)
        .select_related("statement")
        .prefetch_related("tallies")
        .order_by("position")
    )
    return [(s, distribution(s)) for s in shown]


def on_account_deleting(sender, user, **kwargs) -> None:
    """Receiver of `courses.signals.account_deleting`: the user's group sessions (their notes)
    go with the account."""
    GroupSession.objects.filter(facilitator=user).delete()
