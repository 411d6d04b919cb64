import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from courses.course_files import ContentFilesInvalid, check_files
from courses.course_files.importer import KIND_LABELS
from courses.course_files.item_checks import item_warnings
from courses.course_files.study_load import study_load_warning


class Command(BaseCommand):
    help = (
        "Check course, personas, glossary and tracks YAML files without writing anything. "
        "Exit code 1 when invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, paths, **options):
        try:
            items = check_files(paths)
        except ContentFilesInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            self.stderr.write(f"{len(exc.errors)} fout(en) gevonden.")
            sys.exit(1)
        for item in items:
            self.stdout.write(f"{item.name}: {KIND_LABELS[item.kind]} – in orde")
            if item.kind != "course":
                continue
            warnings = [study_load_warning(item.plan)] + item_warnings(item.plan["quizzes"])
            for warning in filter(None, warnings):
                # A warning, not an error: the file is valid and may be imported.
                self.stderr.write(f"{item.name}: {_('waarschuwing')}: {warning}")
