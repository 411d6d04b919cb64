from django.core.management.base import BaseCommand, CommandError

from conversations.statement_files import validate_files
from courses.course_files.errors import ContentFilesInvalid


class Command(BaseCommand):
    help = "Check statement-set files (content/statements/*.yaml) without importing them."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        try:
            parsed = validate_files(paths)
        except ContentFilesInvalid as exc:
            raise CommandError(str(exc)) from exc
        for path, data in parsed:
            self.stdout.write(f"{path}: {len(data['statements'])} stellingen, geldig")
