"""Staff overview and downloads (author only), the learner warning partial, the export command."""

import csv
import io
import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from lxml import etree

from accounts.models import RegisterNumber
from courses.models import CourseRole
from records.models import AttendanceReport, PeOnlineSubmission
from records.registers import accreditation_overview, registration_warnings, verdict_page
from tests import factories
from tests.records.registers_support import (
    FIXTURES,
    add_number,
    at,
    build_export_scenario,
    make_completion,
)
from tests.threads_support import run_in_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(settings):
    settings.PE_ONLINE_USER_ID = "4711"
    data = build_export_scenario()
    data["author"] = factories.make_author(data["course"], email="auteur@example.org")
    # The downloads name learners: this author is also the accreditation manager.
    data["author"].user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    return data


def overview_url(scenario):
    return reverse("records:attendance_overview", args=[scenario["course"].slug])


def download_url(scenario, register, kind):
    return reverse(
        "records:attendance_download",
        args=[scenario["course"].slug, scenario[register].pk, kind],
    )


# --- Permissions -------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(client, scenario):
    response = client.get(overview_url(scenario))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_hides_the_overview_and_files_from_a_learner(client, scenario):
    learner = factories.make_user(profession="huisarts")
    client.force_login(learner)
    assert client.get(overview_url(scenario)).status_code == 404
    assert client.get(download_url(scenario, "big", "pe-xml")).status_code == 404


def test_it_hides_them_from_the_author_of_another_course(client, scenario):
    other_author = factories.make_author(factories.make_course(slug="ander"))
    client.force_login(other_author)
    assert client.get(overview_url(scenario)).status_code == 404
    assert client.get(download_url(scenario, "big", "csv")).status_code == 404
    response = client.post(
        reverse(
            "records:attendance_mark_reported",
            args=[scenario["course"].slug, scenario["big"].pk],
        )
    )
    assert response.status_code == 404
    assert not AttendanceReport.objects.exists()


def test_it_shows_an_author_aggregates_but_names_only_to_an_accreditation_manager(client, scenario):
    author = factories.make_author(scenario["course"], email="alleen-auteur@example.org")
    client.force_login(author)
    page = client.get(overview_url(scenario)).content.decode()
    assert "Alleen een accreditatiebeheerder kan de lijsten" in page
    assert download_url(scenario, "big", "csv") not in page
    for kind in ("csv", "xlsx", "pe-xml", "niet-rapporteerbaar"):
        assert client.get(download_url(scenario, "big", kind)).status_code == 404
    export = client.get(
        reverse("records:export_completions"),
        {"course": scenario["course"].slug, "format": "csv"},
    )
    assert export.status_code == 404
    client.force_login(scenario["author"])
    page = client.get(overview_url(scenario)).content.decode()
    assert download_url(scenario, "big", "csv") in page
    assert client.get(download_url(scenario, "big", "csv")).status_code == 200


def test_it_hides_them_from_an_author_who_is_not_staff(client, scenario):
    author = factories.make_user()
    CourseRole.objects.create(course=scenario["course"], user=author, role=CourseRole.Role.AUTHOR)
    client.force_login(author)
    assert client.get(overview_url(scenario)).status_code == 404


def test_it_does_not_serve_another_courses_accreditation_under_this_course(client, scenario):
    other = build_other_course_accreditation()
    client.force_login(scenario["author"])
    url = reverse("records:attendance_download", args=[scenario["course"].slug, other.pk, "csv"])
    assert client.get(url).status_code == 404


def build_other_course_accreditation():
    from tests.records.registers_support import accredit

    return accredit(factories.make_course(slug="elders"), RegisterNumber.Register.BIG)


# --- Overview ----------------------------------------------------------------------------------


def test_it_counts_reportable_reported_and_blocked_per_register(client, scenario):
    big = scenario["big"]
    ids = [c.pk for c in big.course.versions.first().completions.order_by("completed_at")[1:2]]
    AttendanceReport.objects.create(
        completion_id=ids[0],
        accreditation=big,
        reported_at="2026-04-01T10:00:00+02:00",
        file_name="x.xml",
    )
    client.force_login(scenario["author"])
    response = client.get(overview_url(scenario))
    assert response.status_code == 200
    rows = {row.accreditation.register: row for row in response.context["rows"]}
    assert (rows["big"].reportable, rows["big"].reported, rows["big"].blocked) == (1, 1, 6)
    assert rows["big"].blocked_reasons == [
        ("Beroep hoort niet bij dit register", 2),
        ("Geen registratienummer voor dit register", 1),
        ("Ongeldig registratienummer", 1),
        ("Afgerond buiten de accreditatieperiode", 1),
        ("Score lager dan de minimumscore", 1),
    ]
    assert (rows["vvn"].reportable, rows["vvn"].blocked) == (1, 7)
    html = response.content.decode()
    assert "Geen registratienummer voor dit register: 1" in html
    assert download_url(scenario, "vvn", "pe-xml") in html


def test_it_counts_the_overview_in_a_fixed_number_of_queries(scenario, django_assert_num_queries):
    # The accreditations, then (in a savepoint, JIT off) one GROUP BY for all three, at 8
    # completions and at 28.
    with django_assert_num_queries(5):
        rows = accreditation_overview(scenario["course"])
    assert sum(r.reportable + r.blocked + r.reported for r in rows) == 3 * 8
    for n in range(20):
        learner = factories.make_user(profession="huisarts")
        add_number(learner, RegisterNumber.Register.BIG, f"{n:011d}")
        make_completion(scenario["course"], learner, at(2026, 3, 1))
    with django_assert_num_queries(5):
        rows = accreditation_overview(scenario["course"])
    assert [(r.reportable, r.blocked) for r in rows] == [(22, 6), (1, 27), (1, 27)]


# --- Downloads ---------------------------------------------------------------------------------


def test_it_streams_the_pe_online_xml_download(client, scenario):
    client.force_login(scenario["author"])
    response = client.get(download_url(scenario, "big", "pe-xml"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("application/xml")
    assert 'filename="pe-online-verschil-de-norm-big.xml"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    persons = [e.text for e in etree.fromstring(body).iter("externalPersonID")]
    expected = etree.parse(str(FIXTURES / "registers_big_pe_online.xml"))
    assert persons == [e.text for e in expected.iter("externalPersonID")]


def test_it_streams_the_presence_and_blocked_csv_for_a_period(client, scenario):
    client.force_login(scenario["author"])
    query = "?since=2026-03-01&until=2026-03-05"
    response = client.get(download_url(scenario, "big", "csv") + query)
    assert response.streaming
    rows = list(
        csv.reader(
            io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert [r[2] for r in rows[1:]] == ["Vries", "Bakker"]
    assert "2026-03-01_2026-03-05" in response["Content-Disposition"]
    blocked = client.get(download_url(scenario, "big", "niet-rapporteerbaar") + query)
    rows = list(
        csv.reader(
            io.StringIO(b"".join(blocked.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert [(r[2], r[7]) for r in rows[1:]] == [
        ("Jansen", "no_number"),
        ("Smit", "profession_not_eligible"),
    ]


def test_it_serves_the_excel_workbook(client, scenario):
    from openpyxl import load_workbook

    client.force_login(scenario["author"])
    response = client.get(download_url(scenario, "big", "xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook["Presentielijst"].max_row == 3 and workbook["Niet rapporteerbaar"].max_row == 7


def test_it_rejects_an_unknown_kind_and_a_reversed_period(client, scenario):
    client.force_login(scenario["author"])
    assert client.get(download_url(scenario, "big", "pdf")).status_code == 404
    response = client.get(
        download_url(scenario, "big", "csv") + "?since=2026-04-01&until=2026-03-01"
    )
    assert response.status_code == 302


def test_it_marks_the_periods_reportable_rows_as_reported(client, scenario):
    client.force_login(scenario["author"])
    url = reverse(
        "records:attendance_mark_reported", args=[scenario["course"].slug, scenario["big"].pk]
    )
    response = client.post(url, {"since": "2026-03-01", "until": "2026-03-31"}, follow=True)
    assert "2 deelnemers gemarkeerd als gerapporteerd aan BIG-register" in response.content.decode()
    reports = AttendanceReport.objects.filter(accreditation=scenario["big"])
    assert reports.count() == 2 and {r.reported_by for r in reports} == {scenario["author"]}
    assert client.get(url).status_code == 405


# --- Learner partial ---------------------------------------------------------------------------


def render_warnings(user, course, profile_url=""):
    """The learner partial as the course page includes it, with the warnings records computes."""
    return render_to_string(
        "courses/_registration_warnings.html",
        {"warnings": registration_warnings(user, course), "profile_url": profile_url},
    )


def test_it_renders_the_warning_partial_for_the_learner_on_the_course_page(scenario):
    learner = factories.make_user(first_name="Sanne", last_name="Jansen", profession="huisarts")
    html = render_warnings(learner, scenario["course"])
    assert "Je punten kunnen niet worden geregistreerd zonder geldig BIG-nummer." in html
    assert 'role="status"' in html and "<h2" in html
    # staff without profession
    assert "zonder beroep" in render_warnings(scenario["author"], scenario["course"])


def test_it_renders_nothing_when_all_is_in_order(scenario):
    user = (
        scenario["big"]
        .course.versions.first()
        .completions.order_by("completed_at")[1]
        .enrollment.user
    )
    html = render_warnings(user, scenario["course"])
    assert html.strip() == ""


# --- Command -----------------------------------------------------------------------------------


def test_it_keeps_formula_like_names_inert_in_the_not_reportable_side_file(scenario, tmp_path):
    from accounts.models import User

    formula = '=HYPERLINK("http://x.example","klik")'
    User.objects.filter(last_name="Jansen").update(last_name=formula)
    out = tmp_path / "big.csv"
    call_command(
        "export_attendance", "--course", "verschil-de-norm", "--register", "big",
        "--format", "csv", "-o", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    text = (tmp_path / "big-niet-rapporteerbaar.csv").read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    names = [row[2] for row in rows[1:]]
    assert "'" + formula in names
    assert formula not in names


def test_it_exports_pe_xml_with_a_blocked_side_file_and_marks_reported(scenario, tmp_path):
    out = tmp_path / "big.xml"
    stdout = io.StringIO()
    call_command(
        "export_attendance",
        "--course",
        "verschil-de-norm",
        "--register",
        "big",
        "--format",
        "pe-xml",
        "-o",
        str(out),
        "--mark-reported",
        stdout=stdout,
    )
    expected = etree.parse(str(FIXTURES / "registers_big_pe_online.xml")).getroot()
    assert [e.text for e in etree.parse(str(out)).iter("externalPersonID")] == [
        e.text for e in expected.iter("externalPersonID")
    ]
    blocked = (tmp_path / "big-niet-rapporteerbaar.csv").read_text("utf-8-sig")
    assert blocked.replace("\r\n", "\n") == (
        FIXTURES / "registers_big_niet_rapporteerbaar.csv"
    ).read_text("utf-8").replace("\r\n", "\n")
    assert "2 reportable" in stdout.getvalue() and "6 not reportable" in stdout.getvalue()
    # pe-xml rows wait for PE-online's reply (tests/records/test_pe_online.py): none is marked.
    assert not AttendanceReport.objects.filter(accreditation=scenario["big"]).exists()
    assert "Nothing is marked reported until PE-online's reply is imported." in stdout.getvalue()
    [submission] = PeOnlineSubmission.objects.filter(accreditation=scenario["big"])
    assert submission.rows.count() == 2
    # The waiting rows are in a submission; a csv run still lists them (staff decide).
    call_command(
        "export_attendance",
        "--course",
        "verschil-de-norm",
        "--register",
        "big",
        "--format",
        "csv",
        "-o",
        str(tmp_path / "again.csv"),
        stdout=(stdout := io.StringIO()),
    )
    assert "2 reportable" in stdout.getvalue()


def test_it_exports_the_presence_csv_and_xlsx(scenario, tmp_path):
    call_command(
        "export_attendance",
        "--course",
        "verschil-de-norm",
        "--register",
        "vvn",
        "--edition",
        "45324",
        "--since",
        "2026-01-01",
        "--until",
        "2026-12-31",
        "--format",
        "csv",
        "-o",
        str(tmp_path / "v.csv"),
        stdout=io.StringIO(),
    )
    assert (tmp_path / "v.csv").read_text("utf-8-sig").replace("\r\n", "\n") == (
        FIXTURES / "registers_vvn_presentielijst.csv"
    ).read_text("utf-8").replace("\r\n", "\n")
    call_command(
        "export_attendance",
        "--course",
        "verschil-de-norm",
        "--register",
        "kabiz",
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "k.xlsx"),
        stdout=io.StringIO(),
    )
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "k.xlsx")["Presentielijst"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Smit"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--course", "bestaat-niet", "--register", "big"], "No course"),
        (["--course", "verschil-de-norm", "--register", "poh_ggz"], "no accreditation"),
        (["--course", "verschil-de-norm", "--register", "other"], "--register-name"),
        (
            [
                "--course",
                "verschil-de-norm",
                "--register",
                "big",
                "--since",
                "2026-02-01",
                "--until",
                "2026-01-01",
            ],
            "after",
        ),
    ],
)
def test_it_explains_bad_command_arguments(scenario, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_attendance", *args, "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_it_links_to_the_profile_and_escapes_register_names(scenario):
    from tests.records.registers_support import accredit

    accredit(
        scenario["course"],
        RegisterNumber.Register.OTHER,
        register_name="<b>NVVS</b>",
        pe_course_id="1",
    )
    person = factories.make_user(first_name="Ilse", last_name="Kok", profession="anders")
    html = render_warnings(person, scenario["course"], profile_url="/profiel/")
    assert "registratienummer in &lt;b&gt;NVVS&lt;/b&gt;" in html and "<b>NVVS" not in html
    assert 'href="/profiel/"' in html


def test_it_offers_accreditations_in_the_admin(client, scenario):
    admin = factories.make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse("admin:records_courseaccreditation_changelist"))
    assert response.status_code == 200 and "98765" in response.content.decode()
    response = client.get(reverse("admin:records_attendancereport_changelist"))
    assert response.status_code == 200
    assert client.get(reverse("admin:records_attendancereport_add")).status_code == 403


# --- Learners per status (paged) ---------------------------------------------------------------


def learners_url(scenario, register="big", **query):
    url = reverse(
        "records:attendance_learners", args=[scenario["course"].slug, scenario[register].pk]
    )
    return f"{url}?{urlencode(query)}" if query else url


def test_it_lists_who_is_blocked_and_why(client, scenario):
    client.force_login(scenario["author"])
    response = client.get(learners_url(scenario))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.enrollment.user.last_name, r.block_reason) for r in rows] == [
        ("Boer", "score_too_low"),
        ("Yilmaz", "profession_not_eligible"),
        ("El Amrani", "invalid_number"),
        ("Smit", "profession_not_eligible"),
        ("Jansen", "no_number"),
        ("Visser", "outside_validity"),
    ]
    html = response.content.decode()
    assert "<caption>Niet rapporteerbaar, nieuwste afronding eerst</caption>" in html
    assert "12AB-345" in html and "Ongeldig registratienummer" in html  # the number as entered
    response = client.get(learners_url(scenario, state="blocked", reason="no_number"))
    assert [r.enrollment.user.last_name for r in response.context["rows"]] == ["Jansen"]
    response = client.get(learners_url(scenario, state="reportable"))
    assert [(r.enrollment.user.last_name, r.register_number) for r in response.context["rows"]] == [
        ("Bakker", "12345678901"),
        ("Vries", "00123456789"),
    ]


def test_it_pages_the_list_without_offsets(client, scenario, monkeypatch):
    monkeypatch.setattr("records.views.VERDICT_PAGE_SIZE", 4)
    client.force_login(scenario["author"])
    first = client.get(learners_url(scenario))
    assert len(first.context["rows"]) == 4 and first.context["next_query"]
    second = client.get(learners_url(scenario) + "?" + first.context["next_query"])
    assert [r.enrollment.user.last_name for r in second.context["rows"]] == ["Jansen", "Visser"]
    assert not second.context["next_query"]
    assert "Eerste pagina" in second.content.decode()


def test_it_shows_the_reported_ones_after_marking(client, scenario):
    client.force_login(scenario["author"])
    mark = reverse(
        "records:attendance_mark_reported", args=[scenario["course"].slug, scenario["big"].pk]
    )
    client.post(mark, {"since": "", "until": ""})
    response = client.get(learners_url(scenario, state="reported"))
    assert [r.enrollment.user.last_name for r in response.context["rows"]] == ["Bakker", "Vries"]
    assert not client.get(learners_url(scenario, state="reportable")).context["rows"]


def test_it_shows_the_list_only_to_accreditation_managers(client, scenario):
    author = factories.make_author(scenario["course"])
    client.force_login(author)
    assert client.get(learners_url(scenario)).status_code == 404
    client.force_login(factories.make_user())
    assert client.get(learners_url(scenario)).status_code == 404
    client.force_login(scenario["author"])
    assert client.get(learners_url(scenario, state="everyone")).status_code == 400


def test_it_reads_a_page_in_one_query(scenario, django_assert_num_queries):
    # One SELECT, after the planner settings (in a savepoint) that make it walk the index.
    with django_assert_num_queries(4) as captured:
        rows = verdict_page(scenario["big"], "blocked")
        names = [row.enrollment.user.display_name for row in rows]
    assert [q["sql"].split()[0] for q in captured.captured_queries] == [
        "SAVEPOINT",
        "SET",
        "SELECT",
        "RELEASE",
    ]
    assert len(names) == 6


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_on_a_list_that_takes_too_long_and_says_so(client, scenario, settings):
    """A selection almost no completion is in walks them all (about 20 s at 1M): the page stops at
    STAFF_LIST_TIMEOUT_MS. Here another transaction holds the report table, so the walk waits."""
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    settings.STAFF_LIST_TIMEOUT_MS = 300
    client.force_login(scenario["author"])
    locked, release = threading.Event(), threading.Event()

    def hold_the_table():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE records_attendancereport IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=30)

    def ask_for_the_page():
        assert locked.wait(timeout=30)
        try:
            response = client.get(learners_url(scenario, state="reportable"))
            pages.append(response)
        finally:
            release.set()

    pages = []
    run_in_threads(hold_the_table, ask_for_the_page)
    (response,) = pages
    assert response.status_code == 200
    assert response.context["rows"] == [] and response.context["too_slow"]
    assert "Deze selectie duurt te lang om te tonen" in response.content.decode()
    # Nothing held: the same page shows its learners.
    response = client.get(learners_url(scenario, state="reportable"))
    assert [r.enrollment.user.last_name for r in response.context["rows"]] == ["Bakker", "Vries"]
