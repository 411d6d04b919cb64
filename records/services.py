"""Accreditation-record workflows: xAPI statements into the outbox, and from there to LRSs.

(The package exporter owns `services.py`; these live beside it to keep the two areas apart.)

The event's transaction writes one `XapiStatement` row per statement, however many LRSs receive
it. Delivery fans out: `fan_out_statements()` gives each new statement one `StatementOutbox` row
per LRS receiving its course (in its actor mode), and the per-LRS delivery below works on those
rows, so retries, backoff and "delivered to A but not yet to B" are kept per LRS.

Delivery contract, per LRS:
- statements are POSTed in batches (a JSON array) to `<endpoint>/statements` with basic auth and
  `X-Experience-API-Version: 1.0.3`;
- 2xx: delivered;
- 409: the LRS already holds a statement with that id; ids are deterministic, so for a single
  statement that means it is ours and delivered. A batch answered with 409 is sent again one
  statement at a time (at most one request per statement plus one per batch);
- 400: the LRS refuses the content. A batch is bisected so one bad statement cannot block the rest;
  a single refused statement is marked failed with the LRS's answer (staff can retry it in
  the admin);
- anything else (5xx, 401/403, timeouts, connection refused): the batch is retried with exponential
  backoff via `next_attempt_at` and marked failed after LRS_MAX_ATTEMPTS. The periodic sweep
  picks up
  rows whose backoff has elapsed, so retries survive a lost broker message or a restarted worker.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import RegisterNumber
from courses.models import LessonProgress

from . import xapi
from .models import AccreditationBody, LearningRecordStore, StatementOutbox, XapiStatement

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
    the rows commit or roll back with it. Delivery is queued after commit, by LRS id; the delivery
    task fans the rows out. Costs one query when no LRS receives the course (the usual case on a
    laptop), and the same queries and rows for one LRS as for several.
    """
    return queue_statements_many([(enrollment, build)])


def queue_statements_many(events) -> list[XapiStatement]:
    """`queue_statements` for many events at once: `events` is a list of (enrollment, build).

    The LRSs are looked up once per course and BIG numbers once for all learners, and the rows
    are written with one INSERT: one query per course when no LRS receives it.
    """
    if not events:
        return []
    if settings.LRS_STORES:
        # Stores removed from the environment are disabled by the sweep and the command.
        sync_stores_from_settings()
    stores = {
        course_id: list(LearningRecordStore.objects.for_course(course_id))
        for course_id in sorted({enrollment.course_id for enrollment, _build in events})
    }
    events = [(enrollment, build) for enrollment, build in events if stores[enrollment.course_id]]
    if not events:
        return []
    big_numbers: dict[int, str] = {}
    if any(s.actor_mode == AccreditationBody.ActorMode.BIG for ss in stores.values() for s in ss):
        big_numbers = dict(
            RegisterNumber.objects.filter(
                user__in={enrollment.user_id for enrollment, _build in events},
                register=RegisterNumber.Register.BIG,
            ).values_list("user_id", "number")
        )
    rows: dict[str, XapiStatement] = {}
    for enrollment, build in events:
        user = enrollment.user
        for mode in sorted({store.actor_mode for store in stores[enrollment.course_id]}):
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
    # A replayed event writes nothing new: statement ids are unique and deterministic.
    XapiStatement.objects.bulk_create(rows.values(), ignore_conflicts=True)
    for lrs_id in sorted({store.pk for ss in stores.values() for store in ss}):
        queue_delivery(lrs_id)
    return list(rows.values())


def queue_delivery(lrs_id: int) -> None:
    from .tasks import deliver_statements_task

    transaction.on_commit(lambda: deliver_statements_task.delay(lrs_id))


def fan_out_statements(batch_size: int = 500) -> set[int]:
    """Give statements not yet fanned out one delivery row per LRS receiving them; return the ids
    of the LRSs that got rows.

    The LRSs are those enabled now for the statement's course, in the statement's actor mode.
    Statements are claimed with SELECT … FOR UPDATE, oldest first: a second worker waits for the
    first one's fan-out to commit (and then finds those statements done) instead of skipping them,
    so a delivery task never misses rows another LRS's task is creating for it. (lrs, statement_id)
    is unique, so a fan-out repeated after a crash adds nothing. One query when there is nothing
    to fan out.
    """
    lrs_ids: set[int] = set()
    while True:
        with transaction.atomic():
            statements = list(
                XapiStatement.objects.filter(fanned_out=False)
                .order_by("id")
                .select_for_update()[:batch_size]
            )
            if not statements:
                break
            stores: dict[int, list[LearningRecordStore]] = {}
            rows = []
            for statement in statements:
                if statement.course_id not in stores:
                    stores[statement.course_id] = list(
                        LearningRecordStore.objects.for_course(statement.course_id)
                    )
                for store in stores[statement.course_id]:
                    if store.actor_mode == statement.actor_mode:
                        rows.append(
                            StatementOutbox(
                                xapi_statement=statement,
                                statement_id=statement.statement_id,
                                lrs=store,
                                verb=statement.verb,
                            )
                        )
                        lrs_ids.add(store.pk)
            StatementOutbox.objects.bulk_create(rows, ignore_conflicts=True)
            XapiStatement.objects.filter(pk__in=[s.pk for s in statements]).update(fanned_out=True)
    return lrs_ids


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
    queue_statements_many(
        [(e["attempt"].enrollment, partial(_attempt, e["attempt"], e["answers"])) for e in events]
    )


def _attempt(attempt, answers, actor):
    enrollment, quiz = attempt.enrollment, attempt.quiz
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


def post_statements(lrs: LearningRecordStore, payloads: list[dict]) -> tuple[int | None, str]:
    """POST statements to the LRS; return (HTTP status or None when unreachable, response text)."""
    request = urllib.request.Request(  # noqa: S310 - the endpoint is validated as http(s)
        lrs.statements_url,
        data=json.dumps(payloads).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": xapi.XAPI_VERSION,
        },
    )
    if lrs.username or lrs.password:
        credentials = base64.b64encode(f"{lrs.username}:{lrs.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {credentials}")
    try:
        with urllib.request.urlopen(request, timeout=settings.LRS_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(MAX_STORED_RESPONSE).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_STORED_RESPONSE).decode(errors="replace")
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(reason).__name__}: {reason}"[:MAX_STORED_RESPONSE]


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
    now = timezone.now()
    for row in rows:
        row.attempts += 1
        row.last_status_code = status_code
        row.last_response = text[:MAX_STORED_RESPONSE]
        if row.attempts >= settings.LRS_MAX_ATTEMPTS:
            row.status = StatementOutbox.Status.FAILED
            report.failed += 1
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            report.retrying += 1
    StatementOutbox.objects.bulk_update(
        rows, ["attempts", "last_status_code", "last_response", "status", "next_attempt_at"]
    )


def _send(lrs, rows, report) -> bool:
    """Send rows and record the outcome; return False when the LRS is unavailable (stop for now)."""
    status, text = post_statements(lrs, [row.payload for row in rows])
    report.requests += 1
    if status is not None and 200 <= status < 300:
        _mark_delivered(rows, status, text, report)
        return True
    if status == 409 and len(rows) > 1:
        # Some of these the LRS already holds (its answer to an earlier send was lost). One
        # request per statement finds them: bisecting would cost 2N-2 when it holds them all.
        for index, row in enumerate(rows):
            if not _send(lrs, [row], report):
                rest = rows[index + 1 :]
                _mark_retry(rest, status, "not sent: the LRS became unavailable", report)
                return False
        return True
    if status in (400, 409, 413):
        if len(rows) > 1:
            # Find the statement(s) the LRS objects to without holding back the others.
            middle = len(rows) // 2
            if not _send(lrs, rows[:middle], report):
                _mark_retry(rows[middle:], status, "not sent: the LRS became unavailable", report)
                return False
            return _send(lrs, rows[middle:], report)
        if status == 409:
            _mark_delivered(rows, status, text or "already stored", report)
        else:
            _mark_failed(rows[0], status, text, report)
        return True
    logger.warning("LRS %s answered %s: %s", lrs, status, text[:200])
    _mark_retry(rows, status, text, report)
    return False


def deliver_statements(
    lrs_id: int, *, batch_size: int | None = None, max_batches: int | None = None, now=None
) -> DeliveryReport:
    """Send the LRS's due outbox rows in batches until none are due, the LRS fails, or max_batches.

    Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED and held while the batch is sent, so two
    workers never send the same batch. Returns counts; writes each row's status and the LRS's
    answer.
    """
    report = DeliveryReport()
    lrs = LearningRecordStore.objects.filter(pk=lrs_id, enabled=True).first()
    if lrs is None:
        return report
    # Statements written since the last fan-out get their delivery rows, for every LRS receiving
    # them (their own tasks, queued on commit, find them; the sweep too).
    fan_out_statements()
    batch_size = batch_size or settings.LRS_BATCH_SIZE
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            rows = list(
                StatementOutbox.objects.due(lrs.pk, now or timezone.now())
                .select_related("xapi_statement")
                .select_for_update(skip_locked=True, of=("self",))[:batch_size]
            )
            if not rows:
                break
            healthy = _send(lrs, rows, report)
        batches += 1
        if not healthy:
            break
    return report


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
