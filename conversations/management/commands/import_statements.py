from django.core.management.base import BaseCommand, CommandError

from conversations.statement_files import import_files
from courses.course_files.errors import ContentFilesInvalid


class Command(BaseCommand):
    help = "Import statement-set files; nothing is written when any file is invalid."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        try:
            sets = import_files(paths)
        except ContentFilesInvalid as exc:
            raise CommandError(str(exc)) from exc
        for statement_set in sets:
            self.stdout.write(
                f"{statement_set.slug}: {statement_set.statements.count()} stellingen"
            )
