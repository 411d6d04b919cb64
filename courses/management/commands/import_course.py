from django.core.management.base import BaseCommand, CommandError

from courses.course_files import ContentFilesInvalid, import_content


class Command(BaseCommand):
    help = (
        "Import course, personas, glossary and tracks YAML files (or folders of them) in one "
        "transaction. A known course gets a new draft version; --publish publishes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--publish", action="store_true", help="Publish each new or changed course version."
        )

    def handle(self, *args, paths, publish, **options):
        try:
            results = import_content(paths, publish=publish)
        except ContentFilesInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} fout(en) gevonden; er is niets geïmporteerd."
            ) from exc
        if not results:
            self.stdout.write("Geen YAML-bestanden gevonden; er is niets geïmporteerd.")
        for result in results:
            self.stdout.write(result.summary())
