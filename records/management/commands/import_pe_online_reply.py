"""Read PE-online's reply to a submission: accepted rows become reported, rejected keep the reason.

manage.py import_pe_online_reply SUBMISSION_ID reply.xml
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from records.models import PeOnlineSubmission
from records.pe_online import PeOnlineBatchRefused, PeOnlineReplyError
from records.registers import apply_pe_online_reply, fail_pe_online_submission


class Command(BaseCommand):
    help = "Import PE-online's reply (Summary XML) to one attendance submission."

    def add_arguments(self, parser):
        parser.add_argument("submission", type=int, help="submission id")
        parser.add_argument("reply", help="the reply file PE-online returned")

    def handle(self, *args, **opts):
        if not PeOnlineSubmission.objects.filter(pk=opts["submission"]).exists():
            raise CommandError(f"No submission {opts['submission']}")
        try:
            data = Path(opts["reply"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {opts['reply']}: {exc}") from exc
        try:
            submission = apply_pe_online_reply(opts["submission"], data)
        except PeOnlineBatchRefused as exc:
            fail_pe_online_submission(opts["submission"], str(exc), data)
            raise CommandError(str(exc)) from exc
        except PeOnlineReplyError as exc:
            raise CommandError(f"Reply not imported, nothing changed: {exc}") from exc
        self.stdout.write(
            f"Submission {submission.pk}: {submission.accepted_count} accepted (reported), "
            f"{submission.rejected_count} rejected."
        )
        for row in submission.rows.filter(status="rejected").order_by("line"):
            self.stdout.write(f"  line {row.line} ({row.register_number}): {row.error_text}")
