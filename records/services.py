"""Accreditation-record workflows: xAPI statements into the outbox, and from there to LRSs.

(The package exporter owns `services.py`; these live beside it to keep the two areas apart.)

The event's transaction writes one `XapiStatement` row per statement, however many LRSs receive
it (for a submitted quiz attempt, the hot path, one compact `XapiEvent` row instead, which the
delivery task turns into those statements), and queues one delivery task after commit (one per
transaction, not per LRS or event).
Delivery fans out: `fan_out_statements()` gives each new statement one `StatementOutbox` row per
LRS receiving its course (in its actor mode), in one INSERT … SELECT per batch of statements, and
the per-LRS delivery below works on those rows, so retries, backoff and "delivered to A but not
yet to B" are kept per LRS.

Delivery contract, per LRS:
- statements are POSTed in batches (a JSON array, the payloads as stored) to
  `<endpoint>/statements` with basic auth and `X-Experience-API-Version: 1.0.3`, over one
  kept-alive connection per delivery run;
- 2xx: delivered;
- 409: the LRS already holds a statement with that id; ids are deterministic, so for a single
  statement that means it is ours and delivered. A batch answered with 409 is sent again one
  statement at a time (at most one request per statement plus one per batch);
- 400: the LRS refuses the content. A batch is bisected so one bad statement cannot block the rest;
  a single refused statement is marked failed with the LRS's answer (staff can retry it in
  the admin);
- anything else (5xx, 401/403, timeouts, connection refused): the batch is retried with exponential
  backoff via `next_attempt_at` and marked failed after LRS_MAX_ATTEMPTS. The periodic sweep
  picks up rows whose backoff has elapsed, so retries survive a lost broker message or a
  restarted worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import requests
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import Case, F, OuterRef, Sum, TextField, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import RegisterNumber
from courses.models import LessonProgress

from . import xapi
from .models import (
    AccreditationBody,
    LearningRecordStore,
    StatementOutbox,
    XapiEvent,
    XapiStatement,
)

logger = logging.getLogger(__name__)

MAX_STORED_RESPONSE = 2000
MAX_BACKOFF = timedelta(hours=6)


# --- Which LRSs ----------------------------------------------------------------------------------


def sync_stores_from_settings() -> None:
    """Mirror LRS_ENDPOINT / LRS_ENDPOINTS into LearningRecordStore rows (keyed by `settings_key`).

    Cheap when nothing changed (one query): runs whenever statements are written or delivered, so
    a changed environment takes effect without a migration or a command. A store whose `body` slug
    is unknown is kept disabled rather than sent every course's statements.
    """
    wanted = {store["name"]: store for store in settings.LRS_STORES}
    existing = {s.settings_key: s for s in LearningRecordStore.objects.exclude(settings_key="")}
    bodies = None
    for key, config in wanted.items():
        if bodies is None and any(c["body"] for c in wanted.values()):
            bodies = dict(AccreditationBody.objects.values_list("slug", "pk"))
        body_id = (bodies or {}).get(config["body"]) if config["body"] else None
        fields = {
            "name": key,
            "endpoint": config["endpoint"],
            "username": config["username"],
            "password": config["password"],
            "body_id": body_id,
            "enabled": not config["body"] or body_id is not None,
        }
        store = existing.get(key)
        if store is None:
            LearningRecordStore.objects.create(settings_key=key, **fields)
        elif any(getattr(store, name) != value for name, value in fields.items()):
            LearningRecordStore.objects.filter(pk=store.pk).update(**fields)
        if config["body"] and body_id is None:
            logger.warning(
                "LRS %s names unknown accreditation body %r: kept disabled", key, config["body"]
            )
    stale = [s.pk for key, s in existing.items() if key not in wanted and s.enabled]
    if stale:
        LearningRecordStore.objects.filter(pk__in=stale).update(enabled=False)


# --- Writing statements (inside the event's transaction) ---------------------------------------


def queue_statements(enrollment, build) -> list[XapiStatement]:
    """Write the outbox rows of one learning event: one per statement, not one per LRS.

    `build(actor)` returns the event's statements for that actor; it runs once per actor mode
    used by the LRSs receiving the course (usually one). Must run inside the event's transaction:
    the rows commit or roll back with it. One delivery task is queued after commit, however many
    LRSs and events the transaction had; it fans the rows out. Costs one query when no LRS
    receives the course (the usual case on a laptop), and one more (the INSERT) with any number
    of LRSs: the request reads the actor modes, never a row per LRS.
    """
    return queue_statements_many([(enrollment, build)])


def queue_statements_many(events) -> list[XapiStatement]:
    """`queue_statements` for many events at once: `events` is a list of (enrollment, build).

    The LRSs' actor modes are looked up once per course (for a single event together with the
    enrolment's user, course and version) and BIG numbers once for all learners, and the rows
    are written with one INSERT: one query per course when no LRS receives it.
    """
    events, modes, big_numbers = _receiving(events)
    if not events:
        return []
    rows = _statement_rows(
        (enrollment, enrollment.user, modes[enrollment.course_id], big_numbers, build)
        for enrollment, build in events
    )
    # A replayed event writes nothing new: statement ids are unique and deterministic.
    XapiStatement.objects.bulk_create(rows, ignore_conflicts=True)
    queue_delivery()
    return rows


def _receiving(events):
    """The events (enrollment first) whose course some LRS receives, the actor modes by course
    id and the BIG numbers by user id (read only when some mode asks for them)."""
    if not events:
        return [], {}, {}
    if settings.LRS_STORES:
        # Stores removed from the environment are disabled by the sweep and the command.
        sync_stores_from_settings()
    if len(events) == 1:
        enrollment = events[0][0]
        modes = {enrollment.course_id: _receiving_modes(enrollment)}
    else:
        modes = {
            course_id: {row["mode"] for row in _modes_for_course(course_id)}
            for course_id in sorted({event[0].course_id for event in events})
        }
    events = [event for event in events if modes[event[0].course_id]]
    big_numbers: dict[int, str] = {}
    if events and any(
        AccreditationBody.ActorMode.BIG in course_modes for course_modes in modes.values()
    ):
        big_numbers = dict(
            RegisterNumber.objects.filter(
                user__in={event[0].user_id for event in events},
                register=RegisterNumber.Register.BIG,
            ).values_list("user_id", "number")
        )
    return events, modes, big_numbers


def _statement_rows(events) -> list[XapiStatement]:
    """The outbox rows of (enrollment, user, modes, big numbers by user id, build) events."""
    rows: dict[str, XapiStatement] = {}
    for enrollment, user, modes, big_numbers, build in events:
        for mode in sorted(modes):
            for payload in build(xapi.make_actor(user, mode, big_numbers.get(user.pk, ""))):
                # A BIG-mode actor without a BIG number falls back to the account: the same
                # statement.
                rows.setdefault(
                    payload["id"],
                    XapiStatement(
                        statement_id=payload["id"],
                        verb=payload["verb"]["display"]["en-US"],
                        payload=payload,
                        course_id=enrollment.course_id,
                        actor_mode=mode,
                    ),
                )
    return list(rows.values())


def queue_events(kind: str, events) -> list[XapiEvent]:
    """Write one `XapiEvent` row per learning event (`events`: a list of (enrollment, object
    id)) whose course some LRS receives, in the event's transaction, and queue the delivery task
    after commit; the task builds the statements. Costs what `queue_statements` costs (the
    modes, one INSERT), without building a statement in the request.

    What the statements read that may change before they are built is kept in the row: the
    actor modes, the learner's e-mail address (e-mail mode), BIG number (BIG mode) and
    profession.
    """
    events, modes, big_numbers = _receiving(events)
    if not events:
        return []
    rows = []
    for enrollment, object_id in events:
        user, course_modes = enrollment.user, sorted(modes[enrollment.course_id])
        learner = {"modes": course_modes, "profession": user.profession}
        if AccreditationBody.ActorMode.EMAIL in course_modes:
            learner["email"] = user.email
        if user.pk in big_numbers and AccreditationBody.ActorMode.BIG in course_modes:
            learner["big"] = big_numbers[user.pk]
        rows.append(
            XapiEvent(kind=kind, object_id=object_id, enrollment_id=enrollment.pk, learner=learner)
        )
    XapiEvent.objects.bulk_create(rows)
    queue_delivery()
    return rows


def build_event_statements(batch_size: int = 500) -> int:
    """Turn pending `XapiEvent` rows into their `XapiStatement` rows; return how many events.

    Per batch, one transaction: claim the oldest events with SELECT … FOR UPDATE SKIP LOCKED (a
    second worker takes other events, never the same ones), read what their statements
    describe, insert the statements and delete the events. A crash rolls back both; statement
    ids are unique and deterministic, so nothing is ever written twice.
    """
    done = 0
    while True:
        with transaction.atomic():
            events = list(
                XapiEvent.objects.select_for_update(skip_locked=True).order_by("id")[:batch_size]
            )
            if not events:
                return done
            XapiStatement.objects.bulk_create(_event_statements(events), ignore_conflicts=True)
            XapiEvent.objects.filter(pk__in=[event.pk for event in events]).delete()
            done += len(events)


def _event_statements(events) -> list[XapiStatement]:
    from courses.models import Answer, QuizAttempt
    from courses.services import questions_for_grading

    attempts = QuizAttempt.objects.select_related(
        "quiz__version", "enrollment__user", "enrollment__course", "enrollment__version"
    ).in_bulk([e.object_id for e in events if e.kind == XapiEvent.Kind.ATTEMPT])
    answers: dict[int, list] = {pk: [] for pk in attempts}
    for answer in Answer.objects.filter(attempt__in=list(attempts)).order_by("id"):
        answers[answer.attempt_id].append(answer)
    questions: dict[int, dict] = {}
    for quiz_id in sorted({attempt.quiz_id for attempt in attempts.values()}):
        questions[quiz_id] = {q.pk: q for q in questions_for_grading(quiz_id)}
    built = []
    for event in events:
        attempt = attempts.get(event.object_id)
        if attempt is None:  # gone with its learner's account
            continue
        for answer in answers[attempt.pk]:
            answer.question = questions[attempt.quiz_id][answer.question_id]
        user = attempt.enrollment.user
        # As the learner was when it happened.
        user.profession = event.learner.get("profession", "")
        user.email = event.learner.get("email", "")
        built.append(
            (
                attempt.enrollment,
                user,
                event.learner["modes"],
                {user.pk: event.learner.get("big", "")},
                partial(_attempt, attempt, answers[attempt.pk]),
            )
        )
    return _statement_rows(built)


STATEMENT_RELATIONS = ("user", "course", "version")


def _modes_for_course(course_id):
    """The actor modes (`mode`) of the enabled LRSs receiving the course, one row each."""
    return (
        LearningRecordStore.objects.for_course(course_id)
        .annotate(mode=Coalesce("body__actor_mode", Value(AccreditationBody.ActorMode.ACCOUNT)))
        .values("mode")
    )


def _receiving_modes(enrollment) -> set[str]:
    """The actor modes of the enabled LRSs receiving the enrolment's course.

    On PostgreSQL one query, which also gives `enrollment` the user, course and version its
    statements describe when they are not loaded yet (instead of one query each when the
    builders touch them).
    """

    if transaction.get_connection().vendor != "postgresql":  # SQLite in development
        return {row["mode"] for row in _modes_for_course(enrollment.course_id)}
    missing = [
        name
        for name in STATEMENT_RELATIONS
        if not enrollment._meta.get_field(name).is_cached(enrollment)
    ]
    loaded = (
        type(enrollment)
        .objects.select_related(*missing)
        .annotate(xapi_modes=ArraySubquery(_modes_for_course(OuterRef("course_id"))))
        .get(pk=enrollment.pk)
    )
    if loaded.xapi_modes:
        for name in missing:
            setattr(enrollment, name, getattr(loaded, name))
    return set(loaded.xapi_modes)


class DeliveryAfterCommit:
    """The on-commit callback that queues the delivery task (once per transaction)."""

    done = False

    def __call__(self) -> None:
        from .tasks import deliver_statements_task

        self.done = True
        deliver_statements_task.delay()


def queue_delivery(lrs_id: int | None = None) -> None:
    """After commit, queue the delivery of one LRS's due rows, or (no `lrs_id`) one task that
    fans out the new statements and delivers them to every LRS receiving them. The latter is
    queued once per transaction, however many events wrote statements in it."""
    if lrs_id is not None:
        from .tasks import deliver_statements_task

        transaction.on_commit(lambda: deliver_statements_task.delay(lrs_id))
        return
    # Callbacks of a rolled-back savepoint are discarded with it, so this sees only live ones.
    pending = transaction.get_connection().run_on_commit
    if not any(
        isinstance(func, DeliveryAfterCommit) and not func.done for _sids, func, _robust in pending
    ):
        transaction.on_commit(DeliveryAfterCommit())


# The delivery rows of the claimed statements (`{ids}`): one per enabled LRS receiving the
# statement's course (general LRSs, and those of bodies accrediting it) in its actor mode.
FAN_OUT_SQL = """
INSERT INTO records_statementoutbox (
    xapi_statement_id, statement_id, lrs_id, verb, status, attempts, next_attempt_at,
    last_response, created_at
)
SELECT statement.id, statement.statement_id, store.id, statement.verb, %s, 0, %s, '', %s
FROM records_xapistatement statement
JOIN records_learningrecordstore store ON store.enabled
LEFT JOIN records_accreditationbody body ON body.id = store.body_id
WHERE statement.id IN ({ids})
  AND COALESCE(body.actor_mode, %s) = statement.actor_mode
  AND (
    store.body_id IS NULL
    OR EXISTS (
        SELECT 1 FROM records_accreditationbody_courses accredited
        WHERE accredited.accreditationbody_id = store.body_id
          AND accredited.course_id = statement.course_id
    )
  )
ORDER BY statement.id, store.id
ON CONFLICT (lrs_id, statement_id) DO NOTHING
RETURNING lrs_id
"""


def fan_out_statements(batch_size: int = 2000) -> set[int]:
    """Give statements not yet fanned out one delivery row per LRS receiving them; return the ids
    of the LRSs that got rows.

    The LRSs are those enabled now for the statement's course, in the statement's actor mode.
    Set-based, three queries per batch: claim the oldest statements with SELECT … FOR UPDATE,
    insert all their delivery rows in one INSERT … SELECT, mark them fanned out. A second worker
    waits for the first one's fan-out to commit (and then finds those statements done) instead
    of skipping them, so a delivery task never misses rows another task is creating for it.
    (lrs, statement_id) is unique, so a fan-out repeated after a crash adds nothing. First the
    pending learning events become statements (`build_event_statements`). Two queries when there
    is nothing to build or fan out.
    """
    build_event_statements()
    lrs_ids: set[int] = set()
    while True:
        with transaction.atomic():
            claimed = list(
                XapiStatement.objects.filter(fanned_out=False)
                .order_by("id")
                .select_for_update()
                .values_list("id", flat=True)[:batch_size]
            )
            if not claimed:
                return lrs_ids
            now = timezone.now()
            with transaction.get_connection().cursor() as cursor:
                cursor.execute(
                    FAN_OUT_SQL.format(ids=", ".join(["%s"] * len(claimed))),
                    [
                        StatementOutbox.Status.PENDING,
                        now,
                        now,
                        *claimed,
                        AccreditationBody.ActorMode.ACCOUNT,
                    ],
                )
                lrs_ids.update(row[0] for row in cursor.fetchall())
            XapiStatement.objects.filter(pk__in=claimed).update(fanned_out=True)


# Receivers of courses.signals, connected in RecordsConfig.ready() (listed in courses/signals.py)
# with `connect_batch`: each gets the events of one send as a list of their keyword arguments.


def on_enrollment_created(sender, events, **kwargs):
    queue_statements_many(
        [(e["enrollment"], partial(_one, xapi.course_registered, e["enrollment"])) for e in events]
    )


def on_lesson_started(sender, events, **kwargs):
    queue_statements_many(
        [(e["enrollment"], partial(_lesson, xapi.lesson_launched, e)) for e in events]
    )


def on_lesson_completed(sender, events, **kwargs):
    queue_statements_many(
        [(e["enrollment"], partial(_lesson, xapi.lesson_completed, e)) for e in events]
    )


def _one(make, subject, actor):
    return [make(subject, actor)]


def _lesson(make, event, actor):
    return [make(event["enrollment"], event["lesson"], event["progress"], actor)]


def on_attempt_submitted(sender, events, **kwargs):
    # The statements are built by the delivery task from the event row (build_event_statements).
    queue_events(
        XapiEvent.Kind.ATTEMPT, [(e["attempt"].enrollment, e["attempt"].pk) for e in events]
    )


def _attempt(attempt, answers, actor):
    enrollment, quiz = attempt.enrollment, attempt.quiz
    if quiz.version_id == enrollment.version_id:  # usually: the version's own quiz
        quiz.version = enrollment.version
    statements = [
        xapi.question_answered(enrollment, attempt, quiz, answer, actor) for answer in answers
    ]
    statements.append(xapi.quiz_result(enrollment, attempt, quiz, answers, actor))
    return statements


def on_course_completed(sender, events, **kwargs):
    queue_statements_many(
        [
            (e["completion"].enrollment, partial(_course_completed, e["completion"], []))
            for e in events
        ]
    )


def _course_completed(completion, seconds, actor):
    enrollment = completion.enrollment
    if not seconds:  # once, and only when some LRS receives the course
        total = LessonProgress.objects.filter(enrollment=enrollment).aggregate(
            t=Sum("seconds_spent")
        )["t"]
        seconds.append(total or 0)
    return [xapi.course_completed(completion, enrollment, completion.version, seconds[0], actor)]


# --- Delivering ----------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    requests: int = 0


def post_statements(
    lrs: LearningRecordStore, body: bytes, http: requests.Session | None = None
) -> tuple[int | None, str]:
    """POST a JSON array of statements to the LRS; return (HTTP status or None when unreachable,
    response text). `http` keeps the connection open between the batches of one delivery run."""
    sender = http or requests
    try:
        response = sender.post(
            lrs.statements_url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Experience-API-Version": xapi.XAPI_VERSION,
            },
            auth=(lrs.username, lrs.password) if lrs.username or lrs.password else None,
            timeout=settings.LRS_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        reason = _root_cause(exc)
        return None, f"{type(reason).__name__}: {reason}"[:MAX_STORED_RESPONSE]
    return response.status_code, response.text[:MAX_STORED_RESPONSE]


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error under requests' and urllib3's wrappers (ConnectionRefusedError,
    TimeoutError …): what an administrator reads in the row's last answer."""
    found, seen = exc, set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__module__ == "builtins":
            found = current
        reason = getattr(current, "reason", None)
        current = (
            reason
            if isinstance(reason, BaseException)
            else (current.__cause__ or current.__context__)
        )
    return found


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: base × 2^(attempts − 1), at most six hours."""
    return min(
        timedelta(seconds=settings.LRS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)), MAX_BACKOFF
    )


def _mark_delivered(rows, status_code, text, report):
    now = timezone.now()
    StatementOutbox.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=StatementOutbox.Status.DELIVERED,
        delivered_at=now,
        attempts=F("attempts") + 1,
        last_status_code=status_code,
        last_response=text[:MAX_STORED_RESPONSE],
    )
    report.delivered += len(rows)


def _mark_failed(row, status_code, text, report):
    StatementOutbox.objects.filter(pk=row.pk).update(
        status=StatementOutbox.Status.FAILED,
        attempts=F("attempts") + 1,
        last_status_code=status_code,
        last_response=text[:MAX_STORED_RESPONSE],
    )
    report.failed += 1


def _mark_retry(rows, status_code, text, report):
    """One UPDATE: attempts + 1, and either the next attempt after the backoff or failed."""
    now = timezone.now()
    attempts = F("attempts") + 1
    backoffs = [
        When(attempts=n - 1, then=Value(now + backoff(n)))
        for n in sorted({row.attempts + 1 for row in rows})
    ]
    StatementOutbox.objects.filter(pk__in=[r.pk for r in rows]).update(
        attempts=attempts,
        last_status_code=status_code,
        last_response=text[:MAX_STORED_RESPONSE],
        status=Case(
            When(
                attempts__gte=settings.LRS_MAX_ATTEMPTS - 1,
                then=Value(StatementOutbox.Status.FAILED),
            ),
            default=F("status"),
        ),
        next_attempt_at=Case(*backoffs, default=F("next_attempt_at")),
    )
    for row in rows:
        if row.attempts + 1 >= settings.LRS_MAX_ATTEMPTS:
            report.failed += 1
        else:
            report.retrying += 1


def _send(lrs, rows, report, http=None) -> bool:
    """Send rows and record the outcome; return False when the LRS is unavailable (stop for now)."""
    # The payloads go out as PostgreSQL stored them (jsonb as text): no decoding and re-encoding.
    body = ("[" + ",".join(row.payload_json for row in rows) + "]").encode()
    status, text = post_statements(lrs, body, http)
    report.requests += 1
    if status is not None and 200 <= status < 300:
        _mark_delivered(rows, status, text, report)
        return True
    if status == 409 and len(rows) > 1:
        # Some of these the LRS already holds (its answer to an earlier send was lost). One
        # request per statement finds them: bisecting would cost 2N-2 when it holds them all.
        for index, row in enumerate(rows):
            if not _send(lrs, [row], report, http):
                rest = rows[index + 1 :]
                _mark_retry(rest, status, "not sent: the LRS became unavailable", report)
                return False
        return True
    if status in (400, 409, 413):
        if len(rows) > 1:
            # Find the statement(s) the LRS objects to without holding back the others.
            middle = len(rows) // 2
            if not _send(lrs, rows[:middle], report, http):
                _mark_retry(rows[middle:], status, "not sent: the LRS became unavailable", report)
                return False
            return _send(lrs, rows[middle:], report, http)
        if status == 409:
            _mark_delivered(rows, status, text or "already stored", report)
        else:
            _mark_failed(rows[0], status, text, report)
        return True
    logger.warning("LRS %s answered %s: %s", lrs, status, text[:200])
    _mark_retry(rows, status, text, report)
    return False


def deliver_statements(
    lrs_id: int,
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    now=None,
    fan_out: bool = True,
) -> DeliveryReport:
    """Send the LRS's due outbox rows in batches until none are due, the LRS fails, or max_batches.

    Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED and held while the batch is sent, so two
    workers never send the same batch. Per batch: that SELECT (the payloads come along as text),
    one POST on a kept-alive connection, one UPDATE. Returns counts; writes each row's status and
    the LRS's answer.
    """
    report = DeliveryReport()
    lrs = LearningRecordStore.objects.filter(pk=lrs_id, enabled=True).first()
    if lrs is None:
        return report
    if fan_out:
        # Statements written since the last fan-out get their delivery rows, for every LRS
        # receiving them (the sweep's and the command's runs find them too).
        fan_out_statements()
    batch_size = batch_size or settings.LRS_BATCH_SIZE
    batches = 0
    with requests.Session() as http:
        while max_batches is None or batches < max_batches:
            with transaction.atomic():
                rows = list(
                    StatementOutbox.objects.due(lrs.pk, now or timezone.now())
                    .only("pk", "attempts")
                    .annotate(payload_json=Cast("xapi_statement__payload", TextField()))
                    .select_for_update(skip_locked=True, of=("self",))[:batch_size]
                )
                if not rows:
                    break
                healthy = _send(lrs, rows, report, http)
            batches += 1
            if not healthy:
                break
    return report


def deliver_new_statements(max_batches: int | None = None) -> dict[int, DeliveryReport]:
    """What the task queued after an event's commit does: fan the new statements out, then
    deliver to every LRS with due rows, one after the other. Returns the reports by LRS id."""
    fan_out_statements()
    return {
        lrs_id: deliver_statements(lrs_id, max_batches=max_batches, fan_out=False)
        for lrs_id in due_store_ids()
    }


def due_store_ids(now=None) -> list[int]:
    """Enabled LRSs that have pending rows whose backoff has elapsed."""
    return list(
        LearningRecordStore.objects.filter(
            enabled=True,
            outbox__status=StatementOutbox.Status.PENDING,
            outbox__next_attempt_at__lte=now or timezone.now(),
        )
        .distinct()
        .values_list("pk", flat=True)
    )


@transaction.atomic
def retry_statements(outbox_ids) -> int:
    """Requeue failed rows with a fresh attempt budget and queue their delivery; return how many."""
    rows = StatementOutbox.objects.filter(
        pk__in=list(outbox_ids), status=StatementOutbox.Status.FAILED
    )
    lrs_ids = set(rows.values_list("lrs_id", flat=True))
    count = rows.update(
        status=StatementOutbox.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for lrs_id in lrs_ids:
        queue_delivery(lrs_id)
    return count


def on_account_deleting(sender, user, **kwargs) -> None:
    """Drop the deleted learner's undelivered statements.

    Outbox payloads may name the learner (e-mail or BIG actor modes) and have no link to the user
    row, so they are found by the enrolments' registrations. Delivered statements already left
    the system; the completions themselves stay, pseudonymised (docs/privacy.md).
    """
    registrations = [str(r) for r in user.enrollments.values_list("registration", flat=True)]
    XapiEvent.objects.filter(enrollment_id__in=user.enrollments.values("pk")).delete()
    if registrations:
        statements = XapiStatement.objects.filter(payload__context__registration__in=registrations)
        StatementOutbox.objects.exclude(status=StatementOutbox.Status.DELIVERED).filter(
            xapi_statement__in=statements
        ).delete()
        # Statements no LRS has received (or not yet fanned out) go entirely.
        statements.exclude(deliveries__status=StatementOutbox.Status.DELIVERED).delete()


# --- Questions other apps ask ---------------------------------------------------------------------


def course_has_accreditation(course) -> bool:
    """Whether any register accredits `course` (the author area then requires an independent
    review before publishing, and only site administrators change its roles)."""
    from .models import CourseAccreditation

    return CourseAccreditation.objects.filter(course=course).exists()
