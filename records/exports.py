"""Completion exports for accreditation: one record per completed course, streamed.

Shared by the `export_completions` command, the staff download and the accreditation API, so all
three carry exactly the same fields — and only what accreditation needs (no e-mail, no answers,
never reflections).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import json
from collections.abc import Generator, Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import F, FilteredRelation, Func, OuterRef, Q, Subquery, Sum, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import RegisterNumber
from accounts.registers import register_name
from courses.models import CourseCompletion, LessonProgress
from lms.lib.spreadsheet import csv_safe

from . import xapi

FIELDS = [
    "learner_name",
    "big_number",
    "profession",
    "course",
    "course_title",
    "version",
    "completed_at",
    "score",
    "passed",
    "study_load_hours",
    "accreditation_reference",
]
FORMATS = ["csv", "xapi-jsonl"]
DEFAULT_CHUNK_SIZE = 500


def day_range(since: datetime.date | None, until: datetime.date | None):
    """[start of `since`, start of the day after `until`) in the site's time zone, aware."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, zone) if since else None
    end = (
        datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, zone)
        if until
        else None
    )
    return start, end


def exportable_completions(
    courses=None, *, user=None, since=None, until=None, include_revoked: bool = False
):
    """The one query of which completions an export reports (CSV and xAPI exports, the API, the
    presence lists and PE-online files, the staff pages): of `courses` (a Course, a queryset or
    list of courses, or None for all) and/or of one `user`, completed between the Dutch local
    dates `since` and `until` (inclusive), oldest first. Revoked certificates only with
    `include_revoked` (the register files list them as blocked, with the reason). A queryset;
    each export adds what it reads."""
    queryset = CourseCompletion.objects.all()
    if not include_revoked:
        queryset = queryset.filter(revoked_at__isnull=True)
    if courses is not None:
        if hasattr(courses, "pk"):
            queryset = queryset.filter(version__course=courses)
        else:
            queryset = queryset.filter(version__course__in=courses)
    if user is not None:
        queryset = queryset.filter(enrollment__user=user)
    start, end = day_range(since, until)
    if start:
        queryset = queryset.filter(completed_at__gte=start)
    if end:
        queryset = queryset.filter(completed_at__lt=end)
    return queryset.order_by("completed_at", "pk")


def completions_for_export(courses=None, since=None, until=None):
    """`exportable_completions()` with learner, course, version, BIG number and time spent.

    One query, oldest first.
    """
    big = RegisterNumber.Register.BIG
    numbers = "enrollment__user__register_numbers"
    # A BIG number is stored under register name "" (RegisterNumber.clean()): a join that the
    # unique constraint keeps to one row per learner, read by a hash join instead of an index
    # lookup per row (1M rows). Only when it finds none does PostgreSQL run the subquery (COALESCE
    # stops at the first value): a number stored under a name, the first by name, the order of
    # the unique index, so no sort per row.
    big_by_name = (
        RegisterNumber.objects.filter(user=OuterRef("enrollment__user"), register=big)
        .order_by("register_name")
        .values("number")[:1]
    )
    seconds = (
        LessonProgress.objects.filter(enrollment=OuterRef("enrollment"))
        .values("enrollment")
        .annotate(total=Sum("seconds_spent"))
        .values("total")
    )
    return (
        exportable_completions(courses, since=since, until=until)
        .select_related("enrollment__user", "enrollment__course", "version")
        .annotate(
            big_unnamed=FilteredRelation(
                numbers,
                condition=Q(**{f"{numbers}__register": big, f"{numbers}__register_name": ""}),
            )
        )
        .annotate(
            big_number=Coalesce(F("big_unnamed__number"), Subquery(big_by_name)),
            seconds_spent=Subquery(seconds),
        )
    )


def learner_name(user) -> str:
    """The name as a quality register knows it (`accounts.registers.register_name`)."""
    return register_name(user.initials, user.first_name, user.surname_prefix, user.last_name)


def _score_percent(score: Decimal | None) -> float | None:
    return None if score is None else float((score * 100).quantize(Decimal("0.1")))


class _UtcIsoformat(Func):
    """`value.astimezone(UTC).isoformat()` of a timestamp, written by PostgreSQL: psycopg then
    reads text instead of parsing a datetime per row (Django's time-zone-aware loader is pure
    Python). Microseconds only when there are some, as isoformat() does."""

    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN to_char(%(expressions)s, 'US') = '000000' THEN '' "
        "ELSE '.' || to_char(%(expressions)s, 'US') END || '+00:00'"
    )
    output_field = TextField()


def _as_text(column: str, expression):
    """`expression` on PostgreSQL, else the plain column (its value converted per row)."""
    return expression if connection.vendor == "postgresql" else column


def _isoformat(value) -> str:
    return value if isinstance(value, str) else value.astimezone(datetime.UTC).isoformat()


def completion_record(completion) -> dict:
    """One export row as JSON-ready values (needs a row from `completions_for_export()`)."""
    enrollment, version = completion.enrollment, completion.version
    user = enrollment.user
    return {
        "learner_name": learner_name(user),
        "big_number": completion.big_number or None,
        "profession": user.profession or None,
        "course": enrollment.course.slug,
        "course_title": version.title,
        "version": version.number,
        "completed_at": completion.completed_at.astimezone(datetime.UTC).isoformat(),
        "score": _score_percent(completion.score),
        "passed": completion.passed,
        "study_load_hours": float(version.study_load_hours),
        "accreditation_reference": version.accreditation_reference or None,
    }


def completion_records(queryset, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[dict]:
    """Records lazily, `chunk_size` rows fetched at a time (a server-side cursor on PostgreSQL)."""
    for completion in queryset.iterator(chunk_size=chunk_size):
        yield completion_record(completion)


# What a CSV row reads, as plain columns: no model instance per row (CSV at 1M rows).
_ROW_COLUMNS = (
    "version_id",
    "enrollment__course__slug",
    "version__title",
    "version__number",
    "version__study_load_hours",
    "version__accreditation_reference",
    "enrollment__user__initials",
    "enrollment__user__first_name",
    "enrollment__user__surname_prefix",
    "enrollment__user__last_name",
    "big_number",
    "enrollment__user__profession",
    "completed_at",  # as UTC isoformat text on PostgreSQL
    "score",
    "passed",
)


def _columns(names: tuple[str, ...]) -> list:
    text = {
        "completed_at": _UtcIsoformat(F("completed_at")),
        "enrollment__registration": Cast("enrollment__registration", TextField()),
    }
    return [_as_text(name, text[name]) if name in text else name for name in names]


def csv_row_lines(queryset, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Generator[str, None, int]:
    """What `csv_lines(completion_records(queryset))` writes (tests hold the two equal), from
    value tuples through one server-side cursor: the header, then the rows `chunk_size` lines
    at a time. Returns (as the generator's return value) the number of rows written.

    No model instance, no dict and, for most rows, no csv.writer call per row (its per-field
    work was the largest cost at 1M rows): the cells of a course version (course, title,
    version, study load, reference) and of each score are written once; a row whose learner
    cells hold no comma, quote or line break is those cells joined by commas, which is what
    csv.writer writes for them; any other row goes through csv.writer."""
    writer = csv.writer(_Line())
    yield writer.writerow(FIELDS)
    per_version: dict[tuple[int, str], tuple[str, str]] = {}
    scores: dict[Decimal | None, str] = {}
    passed_cells = {True: "true", False: "false", None: ""}
    lines: list[str] = []
    rows = 0
    for (
        version_id,
        slug,
        title,
        number,
        study_load,
        reference,
        initials,
        first_name,
        prefix,
        last_name,
        big_number,
        profession,
        completed_at,
        score,
        passed,
    ) in queryset.values_list(*_columns(_ROW_COLUMNS)).iterator(chunk_size=chunk_size):
        constant = per_version.get((version_id, slug))
        if constant is None:
            constant = per_version[(version_id, slug)] = (
                # A line of three cells and one of two: written as csv.writer quotes them.
                writer.writerow([_csv_cell(slug), _csv_cell(title), _csv_cell(number)])[:-2],
                writer.writerow([_csv_cell(float(study_load)), _csv_cell(reference or None)]),
            )
        score_cell = scores.get(score)
        if score_cell is None:
            score_cell = scores[score] = _csv_cell(_score_percent(score))
        cells = (
            csv_safe(register_name(initials, first_name, prefix, last_name)),
            csv_safe(big_number) if big_number else "",
            csv_safe(profession) if profession else "",
        )
        learner = ",".join(cells)
        if learner.count(",") != 2 or '"' in learner or "\n" in learner or "\r" in learner:
            learner = writer.writerow(cells)[:-2]
        line = (
            f"{learner},{constant[0]},{_isoformat(completed_at)},{score_cell},"
            f"{passed_cells[passed]},{constant[1]}"
        )
        lines.append(line)
        if len(lines) == chunk_size:
            rows += chunk_size
            yield "".join(lines)
            lines.clear()
    if lines:
        rows += len(lines)
        yield "".join(lines)
    return rows


class _Line:
    """A write-only file for csv.writer that hands back what was written."""

    def write(self, value):
        return value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(str(value))


def csv_lines(records: Iterable[dict]) -> Iterator[str]:
    """The CSV header, then one line per record, as they come."""
    writer = csv.writer(_Line())
    yield writer.writerow(FIELDS)
    for record in records:
        yield writer.writerow([_csv_cell(record[field]) for field in FIELDS])


# What an xAPI line reads, as plain columns (the statement `xapi.course_completed()` builds).
_STATEMENT_COLUMNS = (
    "enrollment__registration",  # as text on PostgreSQL
    "enrollment__user_id",
    "enrollment__user__email",
    "enrollment__user__profession",
    "enrollment__course__slug",
    "version_id",
    "version__language",
    "version__title",
    "version__number",
    "version__accreditation_reference",
    "version__study_load_hours",
    "completed_at",
    "score",
    "passed",
    "big_number",
    "seconds_spent",
)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _uuid5(namespace: bytes, name: str) -> str:
    """str(uuid.uuid5(namespace, name)) without the UUID objects (RFC 4122 §4.3)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def xapi_jsonl_lines(
    queryset, actor_mode: str = "account", chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Generator[str, None, int]:
    """One 'course completed' xAPI statement per line (JSON Lines), as they come; returns (as
    the generator's return value) the number of lines.

    Byte for byte what `json.dumps(xapi.course_completed(...), ensure_ascii=False)` gives
    (tests/records/test_exports.py holds them equal), but assembled from value tuples and JSON
    fragments serialised once per course version: no model instance and no tincan object per
    row (1M rows).
    """
    namespace = xapi.statement_namespace().bytes
    account_key = hmac.new(settings.XAPI_ACTOR_KEY.encode(), digestmod=hashlib.sha256)
    verb = _dumps({"id": xapi.VERBS["completed"][0], "display": xapi._verb("completed").display})
    platform = _dumps(settings.XAPI_PLATFORM)
    account_home = _dumps(settings.SITE_URL)
    big_home = _dumps(settings.XAPI_BIG_HOME_PAGE)
    profession_key = _dumps(xapi.extension_iri("profession"))
    per_version: dict[int, tuple[str, str, str, str]] = {}
    rows = 0
    for (
        registration,
        user_id,
        email,
        profession,
        slug,
        version_id,
        language,
        title,
        number,
        reference,
        study_load,
        completed_at,
        score,
        passed,
        big_number,
        seconds,
    ) in queryset.values_list(*_columns(_STATEMENT_COLUMNS)).iterator(chunk_size=chunk_size):
        rows += 1
        fragments = per_version.get(version_id)
        if fragments is None:
            extensions = {
                xapi.extension_iri("accreditation-reference"): reference,
                xapi.extension_iri("study-load-hours"): xapi._number(study_load),
                xapi.extension_iri("course-version"): number,
            }
            fragments = per_version[version_id] = (
                _dumps(
                    {
                        "id": xapi.course_iri(slug),
                        "objectType": "Activity",
                        "definition": {
                            "name": {language or "nl": title or "-"},
                            "type": xapi.ACTIVITY_TYPES["course"],
                        },
                    }
                ),
                _dumps(str(number)),
                _dumps(language or "nl"),
                _dumps({k: v for k, v in extensions.items() if v not in (None, "")})[1:-1],
            )
        activity, revision, context_language, constant_extensions = fragments
        registration = str(registration)
        sid = _uuid5(namespace, f"completed-course:{registration}")  # xapi.statement_id()
        if actor_mode == "email" and email:
            actor = f'{{"objectType": "Agent", "mbox": {_dumps(f"mailto:{email}")}}}'
            sid = _uuid5(namespace, f"{sid}:email")
        elif actor_mode == "big" and big_number:
            name, home = _dumps(big_number), big_home
            actor = f'{{"objectType": "Agent", "account": {{"name": {name}, "homePage": {home}}}}}'
            sid = _uuid5(namespace, f"{sid}:big")
        else:
            digest = account_key.copy()  # xapi.actor_account_name()
            digest.update(f"user:{user_id}".encode())
            name = digest.hexdigest()[:32]
            actor = (
                f'{{"objectType": "Agent", "account": {{"name": "{name}", '
                f'"homePage": {account_home}}}}}'
            )
        result = ""
        if score is not None:
            raw, scaled = round(xapi._number(score * 100), 4), round(xapi._number(score), 4)
            result = (
                f'"score": {{"scaled": {scaled!r}, "raw": {raw!r}, "min": 0.0, "max": 100.0}}, '
            )
        if passed is not None:
            result += f'"success": {"true" if passed else "false"}, '
        duration = xapi._duration(datetime.timedelta(seconds=seconds or 0))
        row_extensions = constant_extensions
        if profession:
            row_extensions += f", {profession_key}: {_dumps(profession)}"
        timestamp = _isoformat(completed_at)
        yield (
            f'{{"id": "{sid}", "result": {{{result}"completion": true, "duration": "{duration}"}}, '
            f'"actor": {actor}, "verb": {verb}, "object": {activity}, '
            f'"timestamp": "{timestamp}", "context": {{"registration": "{registration}", '
            f'"revision": {revision}, "platform": {platform}, "language": {context_language}, '
            f'"extensions": {{{row_extensions}}}}}}}\n'
        )
    return rows


def export_lines(
    queryset, fmt: str, actor_mode: str = "account", chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Generator[str, None, int]:
    """The export's text in pieces (a CSV: its header, then `chunk_size` rows a piece; JSON
    Lines: a line a piece); the generator returns the number of records."""
    if fmt == "csv":
        return csv_row_lines(queryset, chunk_size)
    if fmt == "xapi-jsonl":
        return xapi_jsonl_lines(queryset, actor_mode, chunk_size)
    raise ValueError(f"unknown export format {fmt!r}")
