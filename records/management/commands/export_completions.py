import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from records.exports import (
    DEFAULT_CHUNK_SIZE,
    FORMATS,
    completions_for_export,
    export_lines,
)
from records.models import AccreditationBody


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Export course completions for accreditation, streamed row by row: "
        "--course SLUG --since DATE --until DATE --format csv|xapi-jsonl -o FILE"
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, help="course slug")
        parser.add_argument(
            "--since", type=_date, help="first completion date (YYYY-MM-DD, inclusive)"
        )
        parser.add_argument(
            "--until", type=_date, help="last completion date (YYYY-MM-DD, inclusive)"
        )
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument(
            "-o", "--output", default="-", help="file to write; '-' for standard output"
        )
        parser.add_argument(
            "--actor",
            choices=[m.value for m in AccreditationBody.ActorMode],
            default="account",
            help="how xapi-jsonl identifies the learner",
        )
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)

    def handle(self, *args, **options):
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            raise CommandError(f"No course with slug {options['course']!r}.")
        if options["since"] and options["until"] and options["since"] > options["until"]:
            raise CommandError("--since is after --until.")
        queryset = completions_for_export(course, options["since"], options["until"])
        lines = export_lines(queryset, options["format"], options["actor"], options["chunk_size"])
        out = (
            sys.stdout
            if options["output"] == "-"
            else open(options["output"], "w", encoding="utf-8", newline="")
        )  # noqa: SIM115
        try:
            while True:
                try:
                    out.write(next(lines))
                except StopIteration as done:  # a piece holds many rows: the export counts them
                    count = done.value
                    break
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"{count} completion(s) exported.")
