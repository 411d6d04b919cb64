from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conversations.models import StatementSet
from conversations.statement_files import export_set


class Command(BaseCommand):
    help = "Write a statement set as YAML (the format import_statements reads)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, slug, output, **options):
        statement_set = StatementSet.objects.filter(slug=slug).first()
        if statement_set is None:
            raise CommandError(f"geen stellingenset '{slug}'")
        Path(output).write_text(export_set(statement_set), encoding="utf-8")
        self.stdout.write(output)
