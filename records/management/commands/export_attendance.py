"""Export one register's attendance for a course and period: presence list or PE-online XML.

    manage.py export_attendance --course basis --register big --since 2026-01-01 \
        --until 2026-03-31 --format pe-xml -o big.xml [--edition 45324] [--mark-reported]

Blocked completions are never dropped: for csv and pe-xml they go to
<FILE stem>-niet-rapporteerbaar.csv next to FILE, for xlsx to the sheet "Niet rapporteerbaar".
"""

import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from lms.lib.spreadsheet import csv_safe_row
from records.attendance import (
    BLOCKED_HEADER,
    CSV_DELIMITER,
    PE_ONLINE_MAX_ATTENDANCES_PER_CALL,
    attendance_rows,
    blocked_record,
    pe_online_xml_chunks,
    presence_csv_chunks,
    split_blocked,
    write_presence_xlsx,
)
from records.models import CourseAccreditation
from records.registers import (
    prepare_pe_online_submissions,
    record_attendance_reported,
    submission_xml,
)


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Export attendance for one course, register (and edition) and period."

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, help="course slug")
        parser.add_argument(
            "--register",
            required=True,
            choices=[c for c, _ in CourseAccreditation.Register.choices],
        )
        parser.add_argument(
            "--register-name", default="", help="name of the register when --register other"
        )
        parser.add_argument(
            "--edition", default=None, help="PE-online edition id (when the course has several)"
        )
        parser.add_argument(
            "--since", type=parse_date, default=None, help="first completion date, inclusive"
        )
        parser.add_argument(
            "--until", type=parse_date, default=None, help="last completion date, inclusive"
        )
        parser.add_argument(
            "--format", dest="fmt", required=True, choices=["csv", "xlsx", "pe-xml"]
        )
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument(
            "--include-reported", action="store_true", help="also rows reported before"
        )
        parser.add_argument(
            "--mark-reported",
            action="store_true",
            help=(
                "csv/xlsx: record the exported reportable rows as reported; pe-xml: record them "
                "as PE-online submissions (files of at most 100 rows) awaiting PE-online's reply"
            ),
        )

    def handle(self, *args, **opts):
        accreditation = self.find_accreditation(opts)
        if opts["since"] and opts["until"] and opts["since"] > opts["until"]:
            raise CommandError("--since is after --until")
        output = Path(opts["output"])
        rows = attendance_rows(
            accreditation, opts["since"], opts["until"], include_reported=opts["include_reported"]
        )
        exported_ids: list[int] = []

        def remember(row_iter):
            for row in row_iter:
                exported_ids.append(row.completion_id)
                yield row

        blocked_path = output.with_name(f"{output.stem}-niet-rapporteerbaar.csv")
        if opts["fmt"] == "xlsx":
            with output.open("wb") as fh:
                reportable, blocked = write_presence_xlsx(self.track(rows, exported_ids), fh)
        else:
            blocked = 0
            with (
                output.open("wb") as fh,
                blocked_path.open("w", encoding="utf-8", newline="") as bfh,
            ):
                bfh.write("\ufeff")
                blocked_writer = csv.writer(bfh, delimiter=CSV_DELIMITER, lineterminator="\r\n")
                blocked_writer.writerow(BLOCKED_HEADER)

                def on_blocked(row):
                    nonlocal blocked
                    blocked += 1
                    blocked_writer.writerow(csv_safe_row(blocked_record(row)))

                reportable_rows = remember(split_blocked(rows, on_blocked))
                if opts["fmt"] == "csv":
                    chunks = presence_csv_chunks(reportable_rows)
                else:
                    chunks = pe_online_xml_chunks(accreditation, reportable_rows)
                for chunk in chunks:
                    fh.write(chunk)
            reportable = len(exported_ids)
        self.stdout.write(f"{output}: {reportable} reportable")
        if opts["fmt"] == "xlsx":
            self.stdout.write(f"{output} (sheet 'Niet rapporteerbaar'): {blocked} not reportable")
        else:
            self.stdout.write(f"{blocked_path}: {blocked} not reportable")
        if opts["fmt"] == "pe-xml" and reportable > PE_ONLINE_MAX_ATTENDANCES_PER_CALL:
            self.stdout.write(
                "Note: the PE-online webservice takes at most "
                f"{PE_ONLINE_MAX_ATTENDANCES_PER_CALL} attendances per call; "
                "split the file when sending it."
            )
        if opts["mark_reported"] and opts["fmt"] == "pe-xml":
            # Only PE-online's reply says which rows it accepted: record the rows as submissions
            # awaiting that reply instead of marking them reported.
            submissions = prepare_pe_online_submissions(accreditation, opts["since"], opts["until"])
            for submission in submissions:
                path = output.with_name(f"{output.stem}-{submission.pk}.xml")
                path.write_bytes(submission_xml(submission))
                self.stdout.write(
                    f"Submission {submission.pk}: {path} ({submission.rows.count()} rows). "
                    f"After sending it: manage.py import_pe_online_reply {submission.pk} REPLY.xml"
                )
            self.stdout.write("Nothing is marked reported until PE-online's reply is imported.")
        elif opts["mark_reported"]:
            created = record_attendance_reported(accreditation, exported_ids, output.name)
            self.stdout.write(f"Marked {created} completions as reported.")

    @staticmethod
    def track(rows, exported_ids):
        for row in rows:
            if row.reportable:
                exported_ids.append(row.completion_id)
            yield row

    def find_accreditation(self, opts) -> CourseAccreditation:
        course = Course.objects.filter(slug=opts["course"]).first()
        if course is None:
            raise CommandError(f"No course with slug {opts['course']!r}")
        candidates = CourseAccreditation.objects.for_course(course).filter(
            register=opts["register"]
        )
        if opts["register"] == CourseAccreditation.Register.OTHER:
            if not opts["register_name"]:
                raise CommandError("--register other needs --register-name")
            candidates = candidates.filter(register_name__iexact=opts["register_name"].strip())
        if opts["edition"] is not None:
            candidates = candidates.filter(pe_edition_id=opts["edition"])
        found = list(candidates.select_related("course"))
        if not found:
            raise CommandError(
                f"Course {course.slug!r} has no accreditation for that register/edition"
            )
        if len(found) > 1:
            editions = ", ".join(a.pe_edition_id or "(none)" for a in found)
            raise CommandError(
                f"Several editions for that register; choose one with --edition: {editions}"
            )
        return found[0]
