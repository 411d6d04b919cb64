"""Reconciliation with PE-online: batches, the web service (a stand-in on loopback), its reply."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import RegisterNumber
from records import pe_online
from records.attendance import attendance_rows
from records.models import (
    AttendanceReport,
    BlockReason,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
)
from records.registers import (
    accreditation_overview,
    apply_pe_online_reply,
    prepare_pe_online_submissions,
    release_rejected_row,
    send_pe_online_submission,
    submission_xml,
)
from tests import factories
from tests.records.pe_online_support import PeOnlineServer
from tests.records.registers_support import accredit, add_number, at, complete

pytestmark = pytest.mark.django_db
Reg = RegisterNumber.Register
NUMBERS = ["11111111111", "22222222222", "33333333333"]


@pytest.fixture
def scenario():
    course = factories.make_course(slug="pe-cursus", pass_mark=60)
    big = accredit(course, Reg.BIG)
    learners = []
    for i, number in enumerate(NUMBERS):
        user = factories.make_user(first_name=f"Arts{i}", last_name="Test", profession="huisarts")
        add_number(user, Reg.BIG, number)
        learners.append((user, complete(user, course, at(2026, 3, 2 + i))))
    return {"course": course, "big": big, "learners": learners}


def reported_numbers(accreditation) -> set[str]:
    return set(
        AttendanceReport.objects.filter(accreditation=accreditation).values_list(
            "completion__enrollment__user__register_numbers__number", flat=True
        )
    )


def test_it_splits_the_attendance_into_batches_the_web_service_accepts(settings, scenario):
    settings.PE_ONLINE_BATCH_SIZE = 2
    submissions = prepare_pe_online_submissions(scenario["big"])
    assert [s.rows.count() for s in submissions] == [2, 1]
    assert [r.line for r in submissions[0].rows.order_by("line")] == [1, 2]
    # Waiting rows are not put into a second submission.
    assert prepare_pe_online_submissions(scenario["big"]) == []
    assert not AttendanceReport.objects.exists()


def test_it_marks_only_the_rows_pe_online_accepted_and_keeps_the_reason_of_the_rest(
    service, scenario
):
    service.unknown_persons = {NUMBERS[1]}
    [submission] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(submission.pk) == "answered"
    assert reported_numbers(scenario["big"]) == {NUMBERS[0], NUMBERS[2]}
    rejected = PeOnlineSubmissionRow.objects.get(status="rejected")
    assert rejected.register_number == NUMBERS[1]
    assert rejected.error_text == f"Professional {NUMBERS[1]} op regel 3 bestaat niet in PE"
    submission.refresh_from_db()
    assert (submission.status, submission.accepted_count, submission.rejected_count) == (
        "answered",
        2,
        1,
    )
    # The key went into the request, never into the downloadable file.
    assert service.entries()[0].findtext("Settings/userKey") == "sleutel-123"
    assert b"sleutel-123" not in submission_xml(submission)
    # The rejected row is blocked with PE-online's reason while the number is unchanged ...
    [row] = [r for r in attendance_rows(scenario["big"])]
    assert row.result.reason == BlockReason.REJECTED_BY_PE_ONLINE
    assert "bestaat niet in PE" in row.result.reason_label
    [counts] = accreditation_overview(scenario["course"])
    assert (counts.reportable, counts.reported, counts.blocked) == (0, 2, 1)
    assert prepare_pe_online_submissions(scenario["big"]) == []
    # ... and goes again once the learner corrects it; the first verdict stays as history.
    user = scenario["learners"][1][0]
    RegisterNumber.objects.filter(user=user).update(number="44444444444")
    [again] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(again.pk) == "answered"
    history = PeOnlineSubmissionRow.objects.filter(completion=scenario["learners"][1][1]).order_by(
        "pk"
    )
    assert [(r.register_number, r.status) for r in history] == [
        (NUMBERS[1], "rejected"),
        ("44444444444", "accepted"),
    ]
    assert AttendanceReport.objects.filter(accreditation=scenario["big"]).count() == 3


def test_it_offers_a_rejected_row_again_when_staff_release_it(service, scenario):
    service.outside_period = {NUMBERS[0]}
    [submission] = prepare_pe_online_submissions(scenario["big"])
    send_pe_online_submission(submission.pk)
    row = PeOnlineSubmissionRow.objects.get(status="rejected")
    assert "valt buiten alle accr. periodes" in row.error_text
    release_rejected_row(row.pk)
    service.outside_period = set()
    [again] = prepare_pe_online_submissions(scenario["big"])
    assert [r.register_number for r in again.rows.all()] == [NUMBERS[0]]
    assert send_pe_online_submission(again.pk) == "answered"
    assert reported_numbers(scenario["big"]) == set(NUMBERS)


def test_it_marks_nothing_when_the_web_service_times_out_and_fails_after_the_last_attempt(
    service, scenario, settings
):
    settings.PE_ONLINE_TIMEOUT_SECONDS = 1
    settings.PE_ONLINE_MAX_ATTEMPTS = 2
    service.hang = True
    [submission] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(submission.pk) == "retry"
    submission.refresh_from_db()
    assert submission.status == "pending" and "niet bereikbaar" in submission.error
    assert send_pe_online_submission(submission.pk) == "failed"
    submission.refresh_from_db()
    assert submission.status == "failed" and submission.attempts == 2
    assert not AttendanceReport.objects.exists()
    assert set(submission.rows.values_list("status", flat=True)) == {"not_processed"}
    # A failed submission does not hold its rows back from the next one.
    service.hang = False
    [again] = prepare_pe_online_submissions(scenario["big"])
    assert again.rows.count() == 3


def test_it_marks_nothing_on_a_malformed_reply_and_says_why(service, scenario):
    service.malformed = True
    [submission] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(submission.pk) == "failed"
    submission.refresh_from_db()
    assert submission.error.startswith("Het antwoord van PE-online is geen geldige XML")
    assert not AttendanceReport.objects.exists()


def test_it_marks_nothing_when_pe_online_refuses_the_key(service, scenario, settings):
    settings.PE_ONLINE_USER_KEY = "fout"
    [submission] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(submission.pk) == "failed"
    submission.refresh_from_db()
    assert "onjuiste sleutel" in submission.error
    assert not AttendanceReport.objects.exists()


def test_it_sends_through_celery_after_commit(
    service, scenario, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [submission] = prepare_pe_online_submissions(scenario["big"])
        assert not service.requests  # nothing leaves before the commit
    assert len(callbacks) == 1
    submission.refresh_from_db()
    assert submission.status == "answered"
    assert reported_numbers(scenario["big"]) == set(NUMBERS)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"", "leeg"),
        (b"<html>Server Error</html>", "geen <Summary>"),
        (b"<Summary><Results><accepted_rows>x</accepted_rows></Results></Summary>", "getal"),
        (
            b"<Summary><Results><rejected_rows>0</rejected_rows><accepted_rows>1</accepted_rows>"
            b"<total_rows>1</total_rows></Results></Summary>",
            "bevat er 0",
        ),
        (
            b"<Summary><Results><rejected_rows>0</rejected_rows><accepted_rows>1</accepted_rows>"
            b"<total_rows>1</total_rows></Results><Accepted><person>99999999999</person>"
            b"<course>412345</course></Accepted></Summary>",
            "regels ontvangen",
        ),
    ],
)
def test_it_refuses_an_uploaded_reply_that_does_not_hold_together(scenario, reply, error):
    [submission] = prepare_pe_online_submissions(scenario["big"])
    with pytest.raises(pe_online.PeOnlineReplyError) as excinfo:
        apply_pe_online_reply(submission.pk, reply)
    assert error in str(excinfo.value)
    submission.refresh_from_db()
    assert submission.status == "pending"
    assert not AttendanceReport.objects.exists()
    assert set(submission.rows.values_list("status", flat=True)) == {"pending"}


def test_it_reads_a_reply_wrapped_by_the_asmx_http_binding():
    inner = (
        '<?xml version="1.0" standalone="yes"?><Summary><Results><rejected_rows>0'
        "</rejected_rows><accepted_rows>1</accepted_rows><total_rows>1</total_rows></Results>"
        "<Accepted><person>11111111111</person><course>8001</course></Accepted></Summary>"
    )
    from xml.sax.saxutils import escape

    wrapped = f'<string xmlns="https://www.pe-online.org/">{escape(inner)}</string>'
    assert pe_online.parse_reply(wrapped).accepted == [("11111111111", "8001")]


def test_it_reads_the_documented_example_reply():
    lines = [
        pe_online.PeLine("39054148101", "9471"),
        pe_online.PeLine("39054148101", "8001"),
        pe_online.PeLine("59059671101", "8001"),
    ]
    reply = pe_online.parse_reply(
        """<?xml version="1.0" standalone="yes"?>
<Summary>
  <Results><rejected_rows>1</rejected_rows><accepted_rows>2</accepted_rows>
    <total_rows>3</total_rows></Results>
  <Error><errorNR>100</errorNR><errorMsg>Cursus 9471 op regel 2 is niet (juist) geaccrediteerd;
    Datum 09-06-2008 valt buiten alle accr. periodes </errorMsg></Error>
  <Accepted><person>59059671101</person><course>8001</course>
    <date>2008-06-08T13:08:13.9422087+02:00</date></Accepted>
  <Accepted><person>39054148101</person><course>8001</course>
    <date>2008-06-08T13:08:13.9422087+02:00</date></Accepted>
</Summary>"""
    )
    verdicts = pe_online.match_reply(lines, reply)
    assert [v.accepted for v in verdicts] == [False, True, True]
    assert verdicts[0].error_text.startswith("Cursus 9471 op regel 2 is niet (juist)")


def test_staff_download_a_submission_and_upload_the_reply(client, scenario, settings):
    settings.PE_ONLINE_URL = ""
    staff = factories.make_user(email="beheer@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)
    course, big = scenario["course"], scenario["big"]
    response = client.post(reverse("records:pe_online_prepare", args=[course.slug, big.pk]), {})
    assert response.status_code == 302
    submission = PeOnlineSubmission.objects.get()
    xml = client.get(reverse("records:pe_online_submission_xml", args=[course.slug, submission.pk]))
    assert xml.status_code == 200 and b"<userKey/>" in xml.content
    stand_in = PeOnlineServer(user_key="")
    stand_in.unknown_persons = {NUMBERS[2]}
    reply = stand_in.summary(xml.content)
    upload = reverse("records:pe_online_reply_upload", args=[course.slug, submission.pk])
    broken = client.post(upload, {"reply": io.BytesIO(b"<Summary>")}, follow=True)
    assert "er is niets gewijzigd" in broken.content.decode()
    assert not AttendanceReport.objects.exists()
    page = client.post(upload, {"reply": io.BytesIO(reply)}, follow=True).content.decode()
    assert "2 geaccepteerd, 1 geweigerd" in page
    assert f"Professional {NUMBERS[2]} op regel 4 bestaat niet in PE" in page
    assert reported_numbers(big) == {NUMBERS[0], NUMBERS[1]}


def test_export_attendance_mark_reported_never_marks_rows_before_pe_onlines_reply(
    scenario, tmp_path
):
    out = tmp_path / "big.xml"
    stdout = io.StringIO()
    call_command(
        "export_attendance",
        "--course",
        "pe-cursus",
        "--register",
        "big",
        "--format",
        "pe-xml",
        "-o",
        str(out),
        "--mark-reported",
        stdout=stdout,
    )
    assert not AttendanceReport.objects.exists()
    submission = PeOnlineSubmission.objects.get()
    stand_in = PeOnlineServer(user_key="")
    stand_in.unknown_persons = {NUMBERS[0]}
    sent = tmp_path / f"big-{submission.pk}.xml"
    reply = tmp_path / "reply.xml"
    reply.write_bytes(stand_in.summary(sent.read_bytes()))
    call_command("import_pe_online_reply", str(submission.pk), str(reply), stdout=stdout)
    assert reported_numbers(scenario["big"]) == {NUMBERS[1], NUMBERS[2]}
    assert "1 rejected" in stdout.getvalue()
    # The rejected row is not exported as reportable, nor marked, by the next run.
    call_command(
        "export_attendance",
        "--course",
        "pe-cursus",
        "--register",
        "big",
        "--format",
        "csv",
        "-o",
        str(tmp_path / "big.csv"),
        "--mark-reported",
        stdout=stdout,
    )
    assert AttendanceReport.objects.count() == 2
    blocked = (tmp_path / "big-niet-rapporteerbaar.csv").read_text("utf-8-sig")
    assert "rejected_by_pe_online" in blocked
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("import_pe_online_reply", str(submission.pk), str(reply))
