from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from records.models import LearningRecordStore
from records.services import deliver_statements, sync_stores_from_settings


class Command(BaseCommand):
    help = "Drain the xAPI outbox: send every due statement to its LRS now (or only --lrs NAME)."

    def add_arguments(self, parser):
        parser.add_argument("--lrs", help="only this LRS (its name)")
        parser.add_argument(
            "--ignore-backoff",
            action="store_true",
            help="also send statements still waiting for their retry time",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, **options):
        sync_stores_from_settings()
        stores = LearningRecordStore.objects.filter(enabled=True).order_by("name")
        if options["lrs"]:
            stores = stores.filter(name=options["lrs"])
            if not stores.exists():
                raise CommandError(f"No enabled LRS named {options['lrs']!r}.")
        # Ignoring the backoff means: everything pending counts as due, up to a day ahead.
        now = timezone.now() + timedelta(days=365) if options["ignore_backoff"] else None
        failures = 0
        for store in stores:
            report = deliver_statements(store.pk, batch_size=options["batch_size"], now=now)
            failures += report.failed + report.retrying
            self.stdout.write(
                f"{store.name}: {report.delivered} delivered, {report.failed} failed, "
                f"{report.retrying} to retry ({report.requests} requests)"
            )
        if failures:
            self.stderr.write(
                self.style.WARNING(f"{failures} statement(s) not delivered; see the admin.")
            )
