from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.course_files import ContentFilesInvalid, import_content


class Command(BaseCommand):
    help = (
        "Import and publish everything under content/ (used by `make run`). Idempotent: unchanged "
        "files write nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            default=str(settings.BASE_DIR / "content"),
            help="The content folder (default: content/ in the project).",
        )

    def handle(self, *args, path, **options):
        try:
            results = import_content([path], publish=True)
        except ContentFilesInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} fout(en) in {path}; er is niets geïmporteerd."
            ) from exc
        if not results:
            self.stdout.write("Geen YAML-bestanden gevonden; er is niets geïmporteerd.")
        for result in results:
            self.stdout.write(result.summary())
