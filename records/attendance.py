"""Attendance exports for the quality registers: presence list (CSV, Excel) and PE-online XML.

Every export reads one accreditation (one register, one PE-online course/edition) and a period,
streams its rows, and never drops a completion silently: rows that cannot be reported go to a
separate "niet-rapporteerbaar" file or sheet with the reason.

PE-online XML: element names follow Xaurum's "Webservice voor verwerking van presentie
(E-learning en cursus met fysieke bijeenkomsten) in GAIA/PE-online", versie 0.1 — the
document PE-online hands to providers for WriteAttendance.asmx/ProcessXML (a copy is kept
in github.com/demeyerthom/pe-online-client, documents/). Field list and sources: docs/registers.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.registers import register_initials
from accounts.services import is_deleted_account
from lms.lib.spreadsheet import csv_safe_row

from .models import CourseAccreditation
from .models.accreditation import BlockReason
from .pe_online import MAX_ATTENDANCES_PER_CALL, PeLine, entry_chunks
from .registers import (
    Reportability,
    completions_for_registers,
    is_profession_eligible,
    latest_rejections,
    matching_register_number,
    normalised_number,
    reportability,
    with_reported_at,
)

# The webservice accepts at most 100 <Attendance> per call (PE-online documentation, §3).
PE_ONLINE_MAX_ATTENDANCES_PER_CALL = MAX_ATTENDANCES_PER_CALL

PRESENCE_HEADER = [
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "beroep",
    "register",
    "registratienummer",
    "datum_afgerond",
    "punten",
]
BLOCKED_HEADER = [
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "beroep",
    "register",
    "registratienummer",
    "datum_afgerond",
    "reden",
    "toelichting",
]
CSV_DELIMITER = ";"  # what Excel expects in a Dutch locale


@dataclass(frozen=True)
class AttendanceRow:
    """One completion as an accreditation body sees it: nothing beyond what the register needs."""

    completion_id: int
    initials: str
    surname_prefix: str
    surname: str
    profession: str
    register: str
    completed_at: dt.datetime
    points: Decimal
    result: Reportability
    reported_at: dt.datetime | None

    @property
    def reportable(self) -> bool:
        return self.result.reportable

    @property
    def completion_date(self) -> dt.date:
        return timezone.localdate(self.completed_at)


def attendance_rows(
    accreditation: CourseAccreditation,
    since: dt.date | None = None,
    until: dt.date | None = None,
    *,
    include_reported: bool = False,
    chunk_size: int = 2000,
) -> Iterator[AttendanceRow]:
    """Yield one row per completion of the accreditation's course in the period, lazily.

    Queries: PE-online's latest verdicts (one), one server-side cursor for the completions with
    their register numbers, read `chunk_size` rows at a time, whatever the number of rows (memory
    stays flat). Completions already reported under this accreditation are skipped unless
    `include_reported`. On PostgreSQL the cursor reads plain columns, not model instances, and
    `reportability()` decides on lightweight stand-ins (1M rows).
    """
    completions = with_reported_at(
        completions_for_registers(accreditation.course, since, until), accreditation
    )
    if not include_reported:
        completions = completions.filter(reported_at__isnull=True)
    register = accreditation.register_label
    points = accreditation.points
    rejections = latest_rejections([accreditation.pk])
    professions = _ProfessionLabels()
    if "register_number_rows" not in completions.query.annotations:
        for completion in completions.iterator(chunk_size=chunk_size):  # SQLite (`make run`)
            user = completion.enrollment.user
            yield AttendanceRow(
                completion_id=completion.pk,
                initials=register_initials(user.initials, user.first_name),
                surname_prefix=user.surname_prefix,
                surname=user.last_name,
                profession=professions[user.profession],
                register=register,
                completed_at=completion.completed_at,
                points=points,
                result=reportability(completion, accreditation, rejections),
                reported_at=completion.reported_at,
            )
        return
    for completion, initials, first_name, prefix, last_name in _light_completions(
        completions, chunk_size
    ):
        yield AttendanceRow(
            completion_id=completion.pk,
            initials=register_initials(initials, first_name),
            surname_prefix=prefix,
            surname=last_name,
            profession=professions[completion.enrollment.user.profession],
            register=register,
            completed_at=completion.completed_at,
            points=points,
            # `reportability()` reads no more than the stand-in carries (no query, no instance).
            result=reportability(completion, accreditation, rejections),  # type: ignore[arg-type]
            reported_at=completion.reported_at,
        )


class _ProfessionLabels(dict):
    """The display name of each profession value, translated once per export (not per row)."""

    def __missing__(self, value: str) -> str:
        from accounts.models import User

        label = str(dict(User.Profession.choices).get(value, value)) if value else ""
        self[value] = label
        return label


@dataclass(slots=True)
class _LightUser:
    email: str
    profession: str


@dataclass(slots=True)
class _LightEnrollment:
    user: _LightUser
    user_id: int


@dataclass(slots=True)
class _LightNumber:
    """What the register rules read of a RegisterNumber."""

    pk: int
    register: str
    register_name: str
    number: str
    needs_confirmation: bool


@dataclass(slots=True)
class _LightCompletion:
    """A CourseCompletion as `reportability()` reads it from `completions_for_registers()`."""

    pk: int
    enrollment: _LightEnrollment
    revoked_at: dt.datetime | None
    completed_at: dt.datetime
    score: Decimal | None
    first_final_passed: bool | None
    reported_at: dt.datetime | None
    register_number_rows: list[dict] | None
    _register_numbers: list[_LightNumber]


_LIGHT_COLUMNS = (
    "pk",
    "revoked_at",
    "completed_at",
    "score",
    "first_final_passed",
    "reported_at",
    "register_number_rows",
    "enrollment__user_id",
    "enrollment__user__email",
    "enrollment__user__profession",
    "enrollment__user__initials",
    "enrollment__user__first_name",
    "enrollment__user__surname_prefix",
    "enrollment__user__last_name",
)


def _light_completions(completions, chunk_size: int):
    """(stand-in completion, initials, first name, surname prefix, last name) per row of
    `completions` (annotated as `completions_for_registers()` and `with_reported_at()` do)."""
    for (
        pk,
        revoked_at,
        completed_at,
        score,
        first_final_passed,
        reported_at,
        number_rows,
        user_id,
        email,
        profession,
        initials,
        first_name,
        prefix,
        last_name,
    ) in completions.values_list(*_LIGHT_COLUMNS).iterator(chunk_size=chunk_size):
        completion = _LightCompletion(
            pk,
            _LightEnrollment(_LightUser(email, profession), user_id),
            revoked_at,
            completed_at,
            score,
            first_final_passed,
            reported_at,
            number_rows,
            [_LightNumber(**row) for row in number_rows or ()],
        )
        yield completion, initials, first_name, prefix, last_name


def split_blocked(
    rows: Iterable[AttendanceRow], on_blocked: Callable[[AttendanceRow], object]
) -> Iterator[AttendanceRow]:
    """Yield the reportable rows and hand every blocked row to `on_blocked`, in one pass."""
    for row in rows:
        if row.reportable:
            yield row
        else:
            on_blocked(row)


def only_reportable(rows: Iterable[AttendanceRow]) -> Iterator[AttendanceRow]:
    return (row for row in rows if row.reportable)


def only_blocked(rows: Iterable[AttendanceRow]) -> Iterator[AttendanceRow]:
    return (row for row in rows if not row.reportable)


def format_points(points: Decimal) -> str:
    """Points the Dutch way without trailing zeros: 2 → "2", 1.50 → "1,5"."""
    text = format(points, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def presence_record(row: AttendanceRow) -> list[str]:
    return [
        row.initials,
        row.surname_prefix,
        row.surname,
        row.profession,
        row.register,
        row.result.register_number,
        row.completion_date.isoformat(),
        format_points(row.points),
    ]


def blocked_record(row: AttendanceRow) -> list[str]:
    return [
        row.initials,
        row.surname_prefix,
        row.surname,
        row.profession,
        row.register,
        row.result.register_number,
        row.completion_date.isoformat(),
        str(row.result.reason),
        row.result.reason_label,
    ]


def _csv_chunks(header, records: Iterable[list[str]], rows_per_chunk: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    # A BOM so that Excel opens the UTF-8 file with the right accents.
    buffer.write("\ufeff")
    writer.writerow(header)
    pending = 0
    for record in records:
        writer.writerow(csv_safe_row(record))
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def presence_csv_chunks(
    rows: Iterable[AttendanceRow], rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """The presence list (reportable rows only) as UTF-8 CSV byte chunks; blocked rows are skipped
    here and must be written with `blocked_csv_chunks` or passed through `split_blocked` first."""
    return _csv_chunks(
        PRESENCE_HEADER, (presence_record(r) for r in only_reportable(rows)), rows_per_chunk
    )


def blocked_csv_chunks(rows: Iterable[AttendanceRow], rows_per_chunk: int = 200) -> Iterator[bytes]:
    """The "niet-rapporteerbaar" list: blocked rows with reason code and Dutch explanation."""
    return _csv_chunks(
        BLOCKED_HEADER, (blocked_record(r) for r in only_blocked(rows)), rows_per_chunk
    )


def write_presence_xlsx(rows: Iterable[AttendanceRow], fileobj) -> tuple[int, int]:
    """Write an Excel workbook with sheets "Presentielijst" and "Niet rapporteerbaar" to `fileobj`.

    openpyxl's write-only mode keeps one row in memory at a time (rows go to temporary files);
    the zip container is assembled at save, which is as far as streaming goes for xlsx.
    Returns (reportable, blocked) row counts.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    presence = workbook.create_sheet("Presentielijst")
    blocked = workbook.create_sheet("Niet rapporteerbaar")
    presence.append(PRESENCE_HEADER)
    blocked.append(BLOCKED_HEADER)

    def text(sheet, value: str) -> WriteOnlyCell:
        # openpyxl turns any string starting with "=" into a formula; learner text stays text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    counts = [0, 0]
    for row in rows:
        if row.reportable:
            record: list = [text(presence, value) for value in presence_record(row)]
            record[6] = row.completion_date
            record[7] = (
                int(row.points) if row.points == row.points.to_integral() else float(row.points)
            )
            presence.append(record)
            counts[0] += 1
        else:
            record = [text(blocked, value) for value in blocked_record(row)]
            record[6] = row.completion_date
            blocked.append(record)
            counts[1] += 1
    workbook.save(fileobj)
    return counts[0], counts[1]


def pe_lines(accreditation: CourseAccreditation, rows: Iterable[AttendanceRow]):
    """The reportable rows as PE-online <Attendance> lines (records.pe_online.PeLine)."""
    elearning = accreditation.pe_course_type == CourseAccreditation.PeCourseType.ELEARNING
    for row in only_reportable(rows):
        yield PeLine(
            person=row.result.register_number,
            course_id=accreditation.pe_course_id,
            end_date=row.completed_at if elearning else None,
            module_id=accreditation.pe_module_id if elearning else "",
            edition_id="" if elearning else accreditation.pe_edition_id,
        )


def pe_online_xml_chunks(
    accreditation: CourseAccreditation, rows: Iterable[AttendanceRow], rows_per_chunk: int = 100
) -> Iterator[bytes]:
    """The PE-online attendance XML (<Entry>) for the reportable rows, as UTF-8 byte chunks.

    <Settings> carries userID (setting PE_ONLINE_USER_ID), userRole EDU and the accreditation's
    orgID; userKey is left empty on purpose — a secret never goes into a downloadable file, the
    sender fills it in. One <Attendance> per completion: PECourseID, externalPersonID (the
    register number), then for e-learning PEModuleID (when set) and endDate (the completion
    moment), or for a course with editions PEEditionID — PE-online rejects an e-learning row
    with an edition and an edition row with an endDate. Blocked rows are not written here; use
    `split_blocked` to route them elsewhere. This is one file for a period; what is sent to the
    web service goes in submissions of at most 100
    (records.registers.prepare_pe_online_submissions).
    """
    return entry_chunks(
        accreditation.effective_pe_org_id,
        pe_lines(accreditation, rows),
        rows_per_chunk=rows_per_chunk,
    )


def export_file_name(
    accreditation: CourseAccreditation, kind: str, since: dt.date | None, until: dt.date | None
) -> str:
    """A descriptive name: <kind>-<course>-<register>[-<edition>][-<since>_<until>].<ext>."""
    stem = {
        "csv": "presentielijst",
        "xlsx": "presentielijst",
        "pe-xml": "pe-online",
        "niet-rapporteerbaar": "niet-rapporteerbaar",
    }[kind]
    extension = {"csv": "csv", "xlsx": "xlsx", "pe-xml": "xml", "niet-rapporteerbaar": "csv"}[kind]
    parts = [stem, accreditation.course.slug, accreditation.register]
    if accreditation.pe_edition_id:
        parts.append(accreditation.pe_edition_id)
    if since or until:
        parts.append(
            f"{since.isoformat() if since else 'begin'}_{until.isoformat() if until else 'nu'}"
        )
    return "-".join(parts) + "." + extension


def edition_reportability(registration, accreditation, rejections=None) -> Reportability:
    """Whether one presence earns an edition accreditation's points: the learner's profession
    must be eligible for the register, their number for it valid (as for completions), and not
    the number PE-online last rejected for this presence (`rejections`, see
    `records.registers.latest_rejections` with EDITION_TARGET)."""
    user = registration.user
    if is_deleted_account(user):
        # Not "profession not eligible": the profession was erased with the account.
        return Reportability(BlockReason.ACCOUNT_DELETED)
    if not is_profession_eligible(user.profession, accreditation.register):
        return Reportability(BlockReason.PROFESSION_NOT_ELIGIBLE)
    number = matching_register_number(user.register_numbers.all(), accreditation)
    if number is None:
        return Reportability(BlockReason.NO_NUMBER)
    normalised = normalised_number(number)
    if normalised is None:
        return Reportability(BlockReason.INVALID_NUMBER, number.number)
    if number.needs_confirmation:
        return Reportability(BlockReason.UNCONFIRMED_NUMBER, number.number)
    rejected = (rejections or {}).get((registration.pk, accreditation.pk))
    if rejected is not None and rejected[0] == normalised:
        return Reportability(BlockReason.REJECTED_BY_PE_ONLINE, normalised, rejected[1])
    return Reportability(None, normalised)


def edition_attendance_rows(accreditation, *, include_reported: bool = False):
    """Yield one AttendanceRow per learner present at the accreditation's edition (the row's
    `completion_id` is the registration's id). Three queries: PE-online's latest verdicts,
    presences, register numbers."""
    from courses.models import LiveSessionRegistration

    from .models import EditionAttendanceReport
    from .registers import EDITION_TARGET

    rejections = latest_rejections([accreditation.pk], EDITION_TARGET)
    presences = (
        LiveSessionRegistration.objects.filter(
            edition=accreditation.edition_id, attended_at__isnull=False
        )
        .select_related("user")
        .prefetch_related("user__register_numbers")
        .annotate(
            reported_at=Subquery(
                EditionAttendanceReport.objects.filter(
                    registration=OuterRef("pk"), accreditation=accreditation
                ).values("reported_at")[:1]
            )
        )
        .order_by("user__last_name", "pk")
    )
    if not include_reported:
        presences = presences.filter(reported_at__isnull=True)
    register = accreditation.register_label
    for registration in presences:
        user = registration.user
        yield AttendanceRow(
            completion_id=registration.pk,
            initials=register_initials(user.initials, user.first_name),
            surname_prefix=user.surname_prefix,
            surname=user.last_name,
            profession=str(user.get_profession_display()) if user.profession else "",
            register=register,
            completed_at=registration.attended_at,  # type: ignore[arg-type]  # filtered not null
            points=accreditation.points,
            result=edition_reportability(registration, accreditation, rejections),
            reported_at=registration.reported_at,
        )


def edition_export_file_name(accreditation, kind: str) -> str:
    """E.g. `pe-online-masterclass-bias-big-4711.xml`."""
    stem = {"pe-xml": "pe-online", "csv": "presentielijst", "blocked": "niet-rapporteerbaar"}[kind]
    extension = "xml" if kind == "pe-xml" else "csv"
    slug = accreditation.edition.session_type.slug
    return f"{stem}-{slug}-{accreditation.register}-{accreditation.pe_edition_id}.{extension}"
