import csv
import datetime
import io
import json
import types

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import RegisterNumber
from courses.models import CourseCompletion
from records.exports import FIELDS, completions_for_export, export_lines
from tests import factories
from tests.lrs_support import run_journey
from tests.records.xapi_validator import validation_errors

pytestmark = pytest.mark.django_db

ZONE = timezone.get_default_timezone()


def complete(user, course, when: datetime.datetime) -> CourseCompletion:
    enrollment = run_journey(user, course, fail_first=False)
    completion = enrollment.completion
    CourseCompletion.objects.filter(pk=completion.pk).update(completed_at=when)
    completion.refresh_from_db()
    return completion


def at(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, 0, tzinfo=ZONE)


@pytest.fixture
def records(course):
    """Three completions of `course` in March 2026 (one revoked), one of another course."""
    anna = factories.make_user(
        email="anna@example.org",
        first_name="Anna",
        initials="A.M.",
        surname_prefix="de",
        last_name="Vries",
        profession="huisarts",
    )
    RegisterNumber.objects.create(user=anna, register="big", number="19012345601")
    bram = factories.make_user(
        email="bram@example.org",
        first_name="Bram",
        initials="=SUM(1+1)",  # learners type their own initials: a formula must stay text
        last_name="Bakker",
        profession="doktersassistent",
    )
    cas = factories.make_user(email="cas@example.org", first_name="Cas", last_name="Jansen")
    other_course = factories.make_course(slug="ander")
    complete(anna, course, at(2))
    complete(bram, course, at(20, hour=23))
    revoked = complete(cas, course, at(10))
    CourseCompletion.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    complete(anna, other_course, at(5))
    return course


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_it_exports_one_csv_row_per_valid_completion(records, tmp_path):
    target = tmp_path / "afrondingen.csv"
    stderr = io.StringIO()
    call_command(
        "export_completions",
        "--course",
        "basis",
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-31",
        "--format",
        "csv",
        "-o",
        str(target),
        stderr=stderr,
    )
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(FIELDS)
    rows = read_csv(text)
    assert rows[0] == {
        "learner_name": "A.M. de Vries",
        "big_number": "19012345601",
        "profession": "huisarts",
        "course": "basis",
        "course_title": "Testcursus",
        "version": "1",
        "completed_at": "2026-03-02T11:00:00+00:00",
        "score": "100.0",
        "passed": "true",
        "study_load_hours": "2.0",
        "accreditation_reference": "PE-123",
    }
    assert [r["learner_name"] for r in rows] == ["A.M. de Vries", "'=SUM(1+1) Bakker"]
    assert rows[1]["big_number"] == ""
    assert "2 completion(s) exported." in stderr.getvalue()
    assert "anna@example.org" not in text


def test_it_filters_by_inclusive_local_dates(records):
    # 20 March 23:00 in Amsterdam is 22:00 UTC: still the 20th for the accreditation body.
    only_20th = completions_for_export(
        records, datetime.date(2026, 3, 20), datetime.date(2026, 3, 20)
    )
    assert [c.enrollment.user.email for c in only_20th] == ["bram@example.org"]
    assert completions_for_export(records, datetime.date(2026, 3, 21), None).count() == 0
    assert completions_for_export(records, None, datetime.date(2026, 3, 1)).count() == 0


def test_it_exports_xapi_json_lines_that_validate(records, tmp_path):
    target = tmp_path / "afrondingen.jsonl"
    stderr = io.StringIO()
    call_command(
        "export_completions",
        "--course",
        "basis",
        "--format",
        "xapi-jsonl",
        "--actor",
        "big",
        "-o",
        str(target),
        stderr=stderr,
    )
    assert stderr.getvalue().strip() == "2 completion(s) exported."
    statements = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(statements) == 2
    assert {s["verb"]["id"] for s in statements} == {"http://adlnet.gov/expapi/verbs/completed"}
    assert statements[0]["actor"]["account"]["name"] == "19012345601"
    assert "account" in statements[1]["actor"] and statements[1]["actor"]["account"]["name"] != ""
    assert statements[0]["result"]["score"]["scaled"] == 1.0
    assert validation_errors(statements) == [[], []]


def test_it_streams_with_a_constant_number_of_queries(
    records, tmp_path, django_assert_max_num_queries
):
    course = records
    for _ in range(12):
        complete(factories.make_user(), course, at(15))
    target = tmp_path / "x.csv"
    stderr = io.StringIO()
    # 14 rows fetched 5 at a time: one course lookup and one cursor, never a query per row or chunk.
    with django_assert_max_num_queries(2):
        call_command(
            "export_completions",
            "--course",
            "basis",
            "--chunk-size",
            "5",
            "-o",
            str(target),
            stderr=stderr,
        )
    assert len(read_csv(target.read_text())) == 14
    # Written 5 rows a piece: the count is of rows, not of pieces.
    assert stderr.getvalue().strip() == "14 completion(s) exported."


def test_it_builds_rows_lazily(records, django_assert_num_queries):
    queryset = completions_for_export(records)
    with django_assert_num_queries(0):
        lines = export_lines(queryset, "csv", chunk_size=1)
        assert isinstance(lines, types.GeneratorType)
        header = next(lines)
    assert header.startswith("learner_name,")
    with django_assert_num_queries(1):
        first = next(lines)
    assert first.startswith("A.M. de Vries,")
    assert queryset._result_cache is None  # the rows were never loaded into the queryset


def test_it_refuses_bad_command_input(records):
    with pytest.raises(CommandError, match="No course"):
        call_command("export_completions", "--course", "bestaat-niet")
    with pytest.raises(CommandError, match="after"):
        call_command(
            "export_completions",
            "--course",
            "basis",
            "--since",
            "2026-04-01",
            "--until",
            "2026-03-01",
        )
    with pytest.raises(CommandError):
        call_command("export_completions", "--course", "basis", "--since", "1 maart")


def test_it_lets_staff_download_the_export_as_a_stream(admin_client, records):
    url = reverse("records:export_completions")
    form = admin_client.get(url)
    assert form.status_code == 200
    assert "<legend>" in form.content.decode()
    response = admin_client.get(
        url, {"course": "basis", "since": "2026-03-01", "until": "2026-03-31", "format": "csv"}
    )
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="afronding-basis-')
    rows = read_csv(b"".join(response.streaming_content).decode())
    assert [r["learner_name"] for r in rows] == ["A.M. de Vries", "'=SUM(1+1) Bakker"]


def test_it_shows_dutch_errors_for_a_bad_export_request(admin_client, records):
    response = admin_client.get(
        reverse("records:export_completions"),
        {"course": "basis", "since": "2026-04-01", "until": "2026-03-01", "format": "csv"},
    )
    # 400: the request was wrong (issue 19: bad input is a 400 with a clear message).
    assert response.status_code == 400
    assert "De begindatum ligt na de einddatum." in response.content.decode()


def test_it_hides_the_export_from_authors_and_anonymous_users(client, author, records):
    url = reverse("records:export_completions")
    assert client.get(url).status_code == 302
    client.force_login(author)  # staff, but not allowed to see learners' completions
    assert client.get(url, {"course": "basis", "format": "csv"}).status_code == 404


def test_it_exports_the_big_number_the_learner_entered_whatever_its_register_name(records):
    """The export joins the BIG number stored under register name "" (what the profile form
    saves) and falls back to the first by name for one saved otherwise."""
    course = records
    named_only = factories.make_user(first_name="Noor", last_name="Naam")
    RegisterNumber.objects.create(
        user=named_only, register="big", register_name="oud", number="59012345601"
    )
    both = factories.make_user(first_name="Bo", last_name="Beide")
    RegisterNumber.objects.create(
        user=both, register="big", register_name="a", number="69012345601"
    )
    RegisterNumber.objects.create(user=both, register="big", number="79012345601")
    RegisterNumber.objects.create(user=both, register="kabiz", number="123456")
    complete(named_only, course, at(11))
    complete(both, course, at(12))
    numbers = {
        row["learner_name"]: row["big_number"]
        for row in read_csv("".join(export_lines(completions_for_export(course), "csv")))
    }
    assert numbers == {
        "A.M. de Vries": "19012345601",
        "N. Naam": "59012345601",
        "B. Beide": "79012345601",
        "'=SUM(1+1) Bakker": "",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_it_plans_server_side_cursors_for_all_their_rows():
    """Exports read every row of their cursor: planned for the first 10% (PostgreSQL's default),
    the 1M-row completion export took nested loops and 3x the database CPU (bench/run.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('cursor_tuple_fraction')")
        assert cursor.fetchone()[0] == "1"


def test_it_writes_the_same_csv_from_value_tuples_as_from_model_instances(records):
    from records.exports import completion_records, csv_lines

    course = records
    RegisterNumber.objects.create(
        user=factories.make_user(initials="", first_name="Dirk", surname_prefix="van"),
        register="big",
        number="29012345601",
    )
    complete(RegisterNumber.objects.get(number="29012345601").user, course, at(5))
    queryset = completions_for_export()
    by_instance = "".join(csv_lines(completion_records(queryset)))
    by_tuple = "".join(export_lines(queryset, "csv", chunk_size=2))
    assert by_tuple == by_instance and by_tuple.count("\n") == 1 + 4  # header, 4 valid
    # No initials entered: derived from the first name, as the registers know it.
    assert "D. van" in by_tuple and "A.M. de Vries" in by_tuple


def test_it_quotes_learner_cells_as_csv_writer_does_when_they_need_it(records):
    """Rows are joined by hand unless a learner cell holds a comma, quote or line break: each of
    those goes through csv.writer, the same bytes as the per-cell path."""
    from records.exports import completion_records, csv_lines

    course = records
    for day, (first_name, prefix, last_name, number) in enumerate(
        [
            ("Carriage", "", "Return\rOnly", "19012345602"),
            ("Komma", "van, de", "Berg", "19012345603"),
            ("Quote", "", "Nummer", '1901"2345604'),
            ("Formule", "", "-Min", "=19012345605"),
            ("Gewoon", "", "Alles", "19012345606"),
        ],
        start=21,
    ):
        learner = factories.make_user(
            first_name=first_name, surname_prefix=prefix, last_name=last_name
        )
        RegisterNumber.objects.create(user=learner, register="big", number=number)
        complete(learner, course, at(day))
    queryset = completions_for_export(course)
    by_writer = "".join(csv_lines(completion_records(queryset)))
    by_row = "".join(export_lines(queryset, "csv", chunk_size=2))
    assert by_row == by_writer
    rows = read_csv(by_row)
    assert [(r["learner_name"], r["big_number"]) for r in rows[-5:]] == [
        ("C. Return\rOnly", "19012345602"),
        ("K. van, de Berg", "19012345603"),
        ("Q. Nummer", '1901"2345604'),
        ("F. -Min", "'=19012345605"),
        ("G. Alles", "19012345606"),
    ]
    assert '"K. van, de Berg"' in by_row and '"1901""2345604"' in by_row


@pytest.mark.parametrize("actor_mode", ["account", "email", "big"])
def test_it_writes_xapi_lines_byte_for_byte_as_the_statement_builder_does(records, actor_mode):
    """The export assembles lines from value tuples and pre-serialised parts; they must equal
    json.dumps of `xapi.course_completed()` (tincan objects), the builder the outbox uses."""
    from records import xapi
    from records.exports import xapi_jsonl_lines

    course = records
    dirk = factories.make_user(email="dirk@example.org", first_name="Dirk", profession="")
    complete(dirk, course, at(7, hour=9))
    eva = factories.make_user(email="eva@example.org", first_name='Éva "ø"', profession="poh")
    RegisterNumber.objects.create(user=eva, register="big", number="49012345601")
    complete(eva, course, at(8))
    # Scores the journey never gives: none, a fail with a fraction, and zero.
    completions = list(completions_for_export().order_by("pk"))
    CourseCompletion.objects.filter(pk=completions[0].pk).update(score=None)
    CourseCompletion.objects.filter(pk=completions[1].pk).update(score="0.5833", passed=False)
    CourseCompletion.objects.filter(pk=completions[-1].pk).update(score="0", passed=False)

    queryset = completions_for_export()
    expected = []
    for completion in queryset:
        enrollment = completion.enrollment
        actor = xapi.make_actor(enrollment.user, actor_mode, completion.big_number or "")
        statement = xapi.course_completed(
            completion, enrollment, completion.version, completion.seconds_spent or 0, actor
        )
        expected.append(json.dumps(statement, ensure_ascii=False) + "\n")
    lines = list(xapi_jsonl_lines(queryset, actor_mode, chunk_size=2))
    assert len(lines) == 5
    assert lines == expected
