"""Compare the staff overview's stored verdicts with a live decision; rebuild the wrong ones."""

from django.core.management.base import BaseCommand

from records.registers import check_verdicts


class Command(BaseCommand):
    help = (
        "Compare every accreditation's stored verdicts (records.CompletionVerdict) with a live "
        "decision and rebuild those that differ or are not current (hourly by beat too)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the differences; rebuild nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        found = check_verdicts(fix=not dry_run)
        verb = "wrong" if dry_run else "rebuilt"
        for accreditation_id, count in found.items():
            self.stdout.write(f"Accreditation {accreditation_id}: {count} verdicts {verb}.")
        if not found:
            self.stdout.write("All stored verdicts are current and right.")
