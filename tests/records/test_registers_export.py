"""The exported files compared with fixtures that follow the documented field lists."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import xmlschema
from lxml import etree
from openpyxl import load_workbook

from records.attendance import (
    BLOCKED_HEADER,
    PRESENCE_HEADER,
    attendance_rows,
    blocked_csv_chunks,
    pe_online_xml_chunks,
    presence_csv_chunks,
    write_presence_xlsx,
)
from records.models import AttendanceReport
from records.registers import record_attendance_reported
from tests import factories
from tests.records.registers_support import FIXTURES, at, build_export_scenario, make_completion

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(settings):
    settings.PE_ONLINE_USER_ID = "4711"
    return build_export_scenario()


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def fixture_csv(name) -> list[list[str]]:
    return list(csv.reader(io.StringIO((FIXTURES / name).read_text("utf-8")), delimiter=";"))


def assert_same_xml(actual: etree._Element, expected: etree._Element, path="") -> None:
    """Element by element: same tag, same text (whitespace-insensitive), same children in order."""
    here = f"{path}/{expected.tag}"
    assert actual.tag == expected.tag, here
    assert (actual.text or "").strip() == (expected.text or "").strip(), here
    actual_children = [c for c in actual if isinstance(c.tag, str)]
    expected_children = [c for c in expected if isinstance(c.tag, str)]
    assert [c.tag for c in actual_children] == [c.tag for c in expected_children], here
    for a, e in zip(actual_children, expected_children, strict=True):
        assert_same_xml(a, e, here)


def test_it_writes_the_presence_list_csv_of_the_fixture(scenario):
    data = b"".join(presence_csv_chunks(attendance_rows(scenario["big"])))
    rows = csv_rows(data)
    assert rows[0] == PRESENCE_HEADER
    assert rows == fixture_csv("registers_big_presentielijst.csv")


def test_it_lists_every_blocked_completion_with_its_reason(scenario):
    rows = csv_rows(b"".join(blocked_csv_chunks(attendance_rows(scenario["big"]))))
    assert rows[0] == BLOCKED_HEADER
    assert rows == fixture_csv("registers_big_niet_rapporteerbaar.csv")


def test_it_accounts_for_every_completion_in_one_of_the_two_lists(scenario):
    rows = list(attendance_rows(scenario["big"]))
    reportable = [r for r in rows if r.reportable]
    blocked = [r for r in rows if not r.reportable]
    assert len(rows) == 8 and len(reportable) == 2 and len(blocked) == 6


def test_it_writes_pe_online_xml_that_matches_the_fixture_and_the_documented_fields(scenario):
    data = b"".join(pe_online_xml_chunks(scenario["big"], attendance_rows(scenario["big"])))
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    actual = etree.fromstring(data)
    expected = etree.parse(str(FIXTURES / "registers_big_pe_online.xml")).getroot()
    assert_same_xml(actual, expected)
    xmlschema.XMLSchema(str(FIXTURES / "pe_online_attendance.xsd")).validate(io.BytesIO(data))


def test_it_writes_the_edition_instead_of_an_end_date_for_a_course_with_editions(scenario):
    vvn = scenario["vvn"]
    data = b"".join(pe_online_xml_chunks(vvn, attendance_rows(vvn)))
    expected = etree.parse(str(FIXTURES / "registers_vvn_pe_online.xml")).getroot()
    assert_same_xml(etree.fromstring(data), expected)
    assert etree.fromstring(data).find("Attendance/endDate") is None
    xmlschema.XMLSchema(str(FIXTURES / "pe_online_attendance.xsd")).validate(io.BytesIO(data))


def test_it_writes_the_module_of_a_multi_module_elearning(scenario):
    big = scenario["big"]
    big.pe_module_id = "1000"
    big.save(update_fields=["pe_module_id"])
    data = b"".join(pe_online_xml_chunks(big, attendance_rows(big)))
    attendance = etree.fromstring(data).find("Attendance")
    assert [child.tag for child in attendance] == [
        "PECourseID",
        "externalPersonID",
        "PEModuleID",
        "endDate",
    ]
    assert attendance.findtext("PEModuleID") == "1000"
    xmlschema.XMLSchema(str(FIXTURES / "pe_online_attendance.xsd")).validate(io.BytesIO(data))


def test_it_gives_each_register_its_own_points(scenario):
    big = csv_rows(b"".join(presence_csv_chunks(attendance_rows(scenario["big"]))))
    vvn = csv_rows(b"".join(presence_csv_chunks(attendance_rows(scenario["vvn"]))))
    assert {row[-1] for row in big[1:]} == {"2"}
    assert vvn == fixture_csv("registers_vvn_presentielijst.csv")
    assert [row[-1] for row in vvn[1:]] == ["1,5"]


def test_it_writes_an_excel_workbook_with_a_blocked_sheet(scenario, tmp_path):
    path = tmp_path / "big.xlsx"
    with path.open("wb") as fh:
        counts = write_presence_xlsx(attendance_rows(scenario["big"]), fh)
    assert counts == (2, 6)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Presentielijst", "Niet rapporteerbaar"]

    def as_text(value):
        if value is None:
            return ""
        if hasattr(value, "date"):
            return value.date().isoformat()
        if isinstance(value, int | float | Decimal):
            return format(Decimal(str(value)).normalize(), "f").replace(".", ",")
        return str(value)

    presence = [
        [as_text(v) for v in row] for row in workbook["Presentielijst"].iter_rows(values_only=True)
    ]
    blocked = [
        [as_text(v) for v in row]
        for row in workbook["Niet rapporteerbaar"].iter_rows(values_only=True)
    ]
    assert presence == fixture_csv("registers_big_presentielijst.csv")
    assert blocked == fixture_csv("registers_big_niet_rapporteerbaar.csv")


def test_it_filters_by_period_in_dutch_local_dates(scenario):
    import datetime as dt

    rows = list(
        attendance_rows(scenario["big"], since=dt.date(2026, 3, 2), until=dt.date(2026, 3, 3))
    )
    assert [(r.surname, r.completion_date.isoformat()) for r in rows] == [
        ("Vries", "2026-03-02"),
        ("Bakker", "2026-03-03"),
    ]


def test_it_leaves_reported_rows_out_of_the_next_export_unless_asked(scenario):
    big = scenario["big"]
    first = [r.completion_id for r in attendance_rows(big) if r.reportable]
    assert record_attendance_reported(big, first, "big-1.xml") == 2
    assert record_attendance_reported(big, first, "big-1.xml") == 0  # idempotent
    assert [r for r in attendance_rows(big) if r.reportable] == []
    again = [r for r in attendance_rows(big, include_reported=True) if r.reportable]
    assert [r.completion_id for r in again] == first
    assert all(r.reported_at is not None for r in again)


def test_it_records_exactly_the_given_completions_in_chunks(scenario, django_assert_num_queries):
    big = scenario["big"]
    blocked, reportable = [], []
    for row in attendance_rows(big):
        (reportable if row.reportable else blocked).append(row.completion_id)
    other = factories.make_course(slug="ander-cursus")
    stranger = make_completion(other, factories.make_user(), at(2026, 3, 1))
    assert record_attendance_reported(big, reportable[:1], "a.xml") == 1
    ids = [*reportable, blocked[0], stranger.pk]  # what a file held, and a stranger
    # savepoint, the stored verdicts' lock, one INSERT (with the verdicts) per chunk of 2 ids,
    # release
    with django_assert_num_queries(5):
        assert record_attendance_reported(big, ids, "b.xml", chunk_size=2) == 2
    recorded = dict(AttendanceReport.objects.values_list("completion_id", "file_name"))
    assert recorded == {reportable[0]: "a.xml", reportable[1]: "b.xml", blocked[0]: "b.xml"}


def test_it_streams_the_xml_lazily_in_one_query(scenario, django_assert_num_queries):
    big = scenario["big"]
    with django_assert_num_queries(0):
        chunks = pe_online_xml_chunks(big, attendance_rows(big, chunk_size=3), rows_per_chunk=1)
    # First byte chunk: PE-online's verdicts and the completions cursor, register numbers included.
    with django_assert_num_queries(2):
        first = next(chunks)
    assert b"<Entry>" in first and first.count(b"<Attendance>") == 1
    # 8 completions fetched 3 at a time from the same cursor: no further query, however many rows.
    with django_assert_num_queries(0):
        rest = list(chunks)
    assert b"".join([first, *rest]).count(b"<Attendance>") == 2


def test_it_never_writes_the_pe_online_key_into_a_file(scenario, settings):
    settings.PE_ONLINE_USER_KEY = "geheim-123"
    data = b"".join(pe_online_xml_chunks(scenario["big"], attendance_rows(scenario["big"])))
    assert b"geheim-123" not in data
    assert etree.fromstring(data).findtext("Settings/userKey") == ""


def test_it_keeps_a_learners_formula_like_name_from_running_in_a_spreadsheet(scenario, tmp_path):
    from accounts.models import User

    User.objects.filter(last_name="Vries").update(last_name='=HYPERLINK("http://x.example","klik")')
    rows = csv_rows(b"".join(presence_csv_chunks(attendance_rows(scenario["big"]))))
    assert rows[1][2] == '\'=HYPERLINK("http://x.example","klik")'
    path = tmp_path / "big.xlsx"
    with path.open("wb") as fh:
        write_presence_xlsx(attendance_rows(scenario["big"]), fh)
    cell = load_workbook(path)["Presentielijst"]["C2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x.example","klik")'


def bulk_completions(course, start: int, count: int):
    """`count` huisartsen with a valid BIG number who completed `course`, inserted in bulk."""
    from django.utils import timezone

    from accounts.models import RegisterNumber, User
    from courses.models import CourseCompletion, Enrollment

    version = course.published_version
    users = User.objects.bulk_create(
        [
            User(
                email=f"bulk{i}@example.org",
                username=f"bulk{i}",
                first_name="Bulk",
                last_name=str(i),
                profession="huisarts",
            )
            for i in range(start, start + count)
        ]
    )
    RegisterNumber.objects.bulk_create(
        [RegisterNumber(user=u, register="big", number=f"{19000000000 + u.pk}") for u in users]
    )
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(user=u, course=course, version=version) for u in users]
    )
    now = timezone.now()
    CourseCompletion.objects.bulk_create(
        [
            CourseCompletion(enrollment=e, version=version, completed_at=now, score=Decimal("0.9"))
            for e in enrollments
        ]
    )


def peak_bytes_of_presence_list(accreditation) -> tuple[int, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        rows = sum(
            chunk.count(b"\n")
            for chunk in presence_csv_chunks(attendance_rows(accreditation, chunk_size=100))
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, peak


def test_it_streams_the_presence_list_in_one_query_and_flat_memory(
    django_assert_num_queries,
):
    from tests import factories
    from tests.records.registers_support import accredit

    course = factories.make_course(slug="veel")
    accreditation = accredit(course, "big", valid_from=dt.date(2020, 1, 1), valid_until=None)
    bulk_completions(course, 0, 300)
    with django_assert_num_queries(2):  # PE-online's verdicts, the completions cursor
        small_rows, small_peak = peak_bytes_of_presence_list(accreditation)
    bulk_completions(course, 300, 2700)
    with django_assert_num_queries(2):
        large_rows, large_peak = peak_bytes_of_presence_list(accreditation)
    assert (small_rows, large_rows) == (301, 3001)  # header + one line per completion
    # Ten times the rows, about the same memory: rows stream in chunks (of 100 here, 2,000 by
    # default) and are dropped; nothing accumulates per row.
    assert large_peak < 2 * small_peak + 500_000, (small_peak, large_peak)


def test_every_export_names_a_learner_as_the_register_knows_them(scenario, client):
    """The presence list, the completion export (CSV download and the API's records) name each
    learner alike: initials as entered, else derived from the first names, prefix, surname."""
    from records.exports import completion_records, completions_for_export, csv_lines

    course = scenario["big"].course
    presence = csv_rows(b"".join(presence_csv_chunks(attendance_rows(scenario["big"]))))[1:]
    by_presence = {" ".join(part for part in row[:3] if part) for row in presence}
    assert {"A.M. de Vries", "P.J. Bakker"} <= by_presence  # derived, as entered

    exported = list(
        csv.DictReader(
            io.StringIO("".join(csv_lines(completion_records(completions_for_export(course)))))
        )
    )
    names = {row["learner_name"] for row in exported}
    assert by_presence <= names and "L. Visser" in names
    assert "Anna Maria de Vries" not in names and "Lotte Visser" not in names
