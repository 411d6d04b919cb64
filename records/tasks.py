"""Celery tasks of the records app: xAPI statement delivery (each LRS) and the periodic sweep."""

from celery import shared_task

from .services import (
    deliver_new_statements,
    deliver_statements,
    due_store_ids,
    fan_out_statements,
    sync_stores_from_settings,
)

# One task run sends at most this many batches; the sweep comes back for the rest.
MAX_BATCHES_PER_RUN = 20


@shared_task(name="records.deliver_statements", ignore_result=True)
def deliver_statements_task(lrs_id: int | None = None) -> dict:
    """Deliver one LRS's due statements; returns the counts. Without `lrs_id` (the one task an
    event's commit queues, however many LRSs there are): fan out the new statements, then
    deliver to every LRS with due rows; returns the counts by LRS id."""
    if lrs_id is None:
        reports = deliver_new_statements(max_batches=MAX_BATCHES_PER_RUN)
        return {str(pk): report.__dict__ for pk, report in reports.items()}
    report = deliver_statements(lrs_id, max_batches=MAX_BATCHES_PER_RUN)
    return report.__dict__


@shared_task(name="records.sweep_statements", ignore_result=True)
def sweep_statements_task() -> list[int]:
    """Periodic (beat): fan out what a lost message left, then queue delivery for every LRS with
    due statements; returns their ids."""
    sync_stores_from_settings()
    fan_out_statements()
    lrs_ids = due_store_ids()
    for lrs_id in lrs_ids:
        deliver_statements_task.delay(lrs_id)
    return lrs_ids


@shared_task(bind=True, name="records.send_pe_online_submission", ignore_result=True)
def send_pe_online_submission_task(self, submission_id: int) -> str:
    """Send one PE-online submission; on an unreachable service retry with exponential backoff
    (PE_ONLINE_RETRY_BASE_SECONDS × 2^(n−1)) until PE_ONLINE_MAX_ATTEMPTS."""
    from django.conf import settings

    from .models import PeOnlineSubmission
    from .registers import send_pe_online_submission

    outcome = send_pe_online_submission(submission_id)
    if outcome == "retry" and not self.request.is_eager:
        attempts = PeOnlineSubmission.objects.filter(pk=submission_id).values_list(
            "attempts", flat=True
        )[0]
        countdown = settings.PE_ONLINE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
        raise self.retry(countdown=min(countdown, 6 * 3600), max_retries=None)
    return outcome


@shared_task(name="records.rebuild_verdicts", ignore_result=True)
def rebuild_verdicts_task(accreditation_id: int) -> int:
    """Rebuild one accreditation's stored verdicts after its rules changed (queued on commit
    of the change); returns how many changed."""
    from .registers import rebuild_verdicts

    return rebuild_verdicts(accreditation_id)


@shared_task(name="records.check_verdicts", ignore_result=True)
def check_verdicts_task() -> dict[str, int]:
    """Periodic (beat): compare every accreditation's stored verdicts with a live decision and
    rebuild the ones found wrong (logged: a writer that forgot to refresh them)."""
    from .registers import check_verdicts

    return {str(pk): count for pk, count in check_verdicts().items()}
