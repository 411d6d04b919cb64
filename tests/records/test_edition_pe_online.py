"""Masterclass presences go to PE-online through the same submissions as course completions:
batches, the web service (a stand-in on loopback) through Celery, download and reply upload."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import RegisterNumber
from courses import services
from records.attendance import edition_attendance_rows
from records.models import (
    BlockReason,
    EditionAccreditation,
    EditionAttendanceReport,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
)
from records.registers import (
    prepare_pe_online_submissions,
    send_pe_online_submission,
    submission_xml,
)
from tests import factories
from tests.courses.live_fixtures import make_edition
from tests.records.pe_online_support import PeOnlineServer

pytestmark = pytest.mark.django_db
NUMBERS = ["11111111111", "22222222222", "33333333333"]


@pytest.fixture
def scenario():
    edition = make_edition(capacity=10)
    accreditation = EditionAccreditation.objects.create(
        edition=edition, register="big", pe_course_id="123456", pe_edition_id="98765", points=2
    )
    learners = []
    for i, number in enumerate(NUMBERS):
        user = factories.make_user(
            first_name=f"Arts{i}", last_name=f"Test{i}", profession="huisarts"
        )
        RegisterNumber.objects.create(user=user, register="big", number=number)
        learners.append((user, services.register_for_edition(user, edition)))
    absent = factories.make_user(first_name="Afwezig", profession="huisarts")
    RegisterNumber.objects.create(user=absent, register="big", number="44444444444")
    services.register_for_edition(absent, edition)
    services.record_attendance(edition, [registration.pk for _, registration in learners])
    return {"edition": edition, "big": accreditation, "learners": learners}


def manager(client):
    user = factories.make_user(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    client.force_login(user)
    return user


def reported_numbers(accreditation) -> set[str]:
    return set(
        EditionAttendanceReport.objects.filter(accreditation=accreditation).values_list(
            "submission_row__register_number", flat=True
        )
    )


def test_it_sends_presences_in_batches_through_celery_and_marks_only_accepted_rows(
    service, scenario, settings, django_capture_on_commit_callbacks
):
    settings.PE_ONLINE_BATCH_SIZE = 2
    service.unknown_persons = {NUMBERS[1]}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submissions = prepare_pe_online_submissions(scenario["big"])
        assert not service.requests  # nothing leaves before the commit
    assert len(callbacks) == 2 and [s.rows.count() for s in submissions] == [2, 1]
    # Only presences (never the absent registration), each with the edition id and no endDate.
    entries = service.entries()
    assert [e.findtext("Settings/orgID") for e in entries] == ["19", "19"]
    attendances = [a for e in entries for a in e.findall("Attendance")]
    assert [a.findtext("externalPersonID") for a in attendances] == NUMBERS
    assert {a.findtext("PEEditionID") for a in attendances} == {"98765"}
    assert all(a.find("endDate") is None for a in attendances)
    assert set(PeOnlineSubmission.objects.values_list("status", flat=True)) == {"answered"}
    assert reported_numbers(scenario["big"]) == {NUMBERS[0], NUMBERS[2]}
    rejected = PeOnlineSubmissionRow.objects.get(status="rejected")
    assert rejected.registration == scenario["learners"][1][1]
    assert rejected.error_text == f"Professional {NUMBERS[1]} op regel 3 bestaat niet in PE"
    # The rejected presence is blocked with PE-online's reason while its number is unchanged.
    [row] = edition_attendance_rows(scenario["big"])
    assert row.result.reason == BlockReason.REJECTED_BY_PE_ONLINE
    assert prepare_pe_online_submissions(scenario["big"]) == []
    # Corrected by the learner, it goes again; the first verdict stays as its history.
    RegisterNumber.objects.filter(user=scenario["learners"][1][0]).update(number="55555555555")
    [again] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(again.pk) == "answered"
    history = PeOnlineSubmissionRow.objects.filter(registration=scenario["learners"][1][1])
    assert [(r.register_number, r.status) for r in history.order_by("pk")] == [
        (NUMBERS[1], "rejected"),
        ("55555555555", "accepted"),
    ]
    assert EditionAttendanceReport.objects.filter(accreditation=scenario["big"]).count() == 3
    assert list(edition_attendance_rows(scenario["big"])) == []


def test_it_marks_no_presence_on_a_malformed_reply_or_a_timeout(service, scenario, settings):
    service.malformed = True
    [submission] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(submission.pk) == "failed"
    submission.refresh_from_db()
    assert "geen geldige XML" in submission.error
    assert not EditionAttendanceReport.objects.exists()
    assert set(submission.rows.values_list("status", flat=True)) == {"not_processed"}
    service.malformed, service.hang = False, True
    settings.PE_ONLINE_TIMEOUT_SECONDS = 1
    [again] = prepare_pe_online_submissions(scenario["big"])
    assert send_pe_online_submission(again.pk) == "retry"
    assert not EditionAttendanceReport.objects.exists()


def test_staff_download_the_edition_submission_upload_the_reply_and_offer_a_row_again(
    client, scenario, settings
):
    settings.PE_ONLINE_URL = ""
    manager(client)
    edition, big = scenario["edition"], scenario["big"]
    page_url = reverse("records:edition_attendance", args=[edition.pk])
    response = client.post(reverse("records:edition_pe_online_prepare", args=[edition.pk, big.pk]))
    assert response.status_code == 302 and response["Location"] == page_url
    submission = PeOnlineSubmission.objects.get(edition_accreditation=big)
    xml = client.get(
        reverse("records:edition_pe_online_submission_xml", args=[edition.pk, submission.pk])
    )
    assert b"<PEEditionID>98765</PEEditionID>" in xml.content
    assert "98765" in xml["Content-Disposition"]
    stand_in = PeOnlineServer(user_key="")
    stand_in.outside_period = {NUMBERS[0]}
    upload = reverse("records:edition_pe_online_reply_upload", args=[edition.pk, submission.pk])
    reply = stand_in.summary(xml.content)
    client.post(upload, {"reply": _file(reply)})
    assert reported_numbers(big) == {NUMBERS[1], NUMBERS[2]}
    # A second upload of the same reply changes nothing.
    page = client.post(upload, {"reply": _file(reply)}, follow=True).content.decode()
    assert "al verwerkt" in page
    assert EditionAttendanceReport.objects.count() == 2
    # The page names the rejected learner with PE-online's reason and offers the row again.
    assert "Arts0" in page and "valt buiten alle accr. periodes" in page
    assert "Op de datum van deelname was de scholing niet (meer) geaccrediteerd." in page
    row = PeOnlineSubmissionRow.objects.get(status="rejected")
    client.post(reverse("records:edition_pe_online_release_row", args=[edition.pk, row.pk]))
    [again] = prepare_pe_online_submissions(big)
    assert [r.register_number for r in again.rows.all()] == [NUMBERS[0]]


def test_edition_submissions_are_reached_only_through_their_own_edition(client, scenario):
    manager(client)
    [submission] = prepare_pe_online_submissions(scenario["big"])
    other = make_edition(slug="masterclass-bejegening")
    url = reverse("records:edition_pe_online_submission_xml", args=[other.pk, submission.pk])
    assert client.get(url).status_code == 404
    client.force_login(factories.make_user(is_staff=True))  # staff, not an accreditation manager
    own = reverse(
        "records:edition_pe_online_submission_xml", args=[scenario["edition"].pk, submission.pk]
    )
    assert client.get(own).status_code == 404


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("antwoord.xml", data, content_type="application/xml")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nl",
            "Het antwoord is niet ingelezen; er is niets gewijzigd. PE-online meldt 1 regels "
            "ontvangen; er zijn er 3 verstuurd.",
        ),
        (
            "en",
            "The reply was not read; nothing was changed. PE-online reports 1 rows received; "
            "3 were sent.",
        ),
    ],
)
def test_staff_read_why_a_reply_was_refused_in_their_language(client, scenario, language, expected):
    manager(client)
    client.cookies["django_language"] = language
    [submission] = prepare_pe_online_submissions(scenario["big"])
    reply = (
        b"<Summary><Results><rejected_rows>1</rejected_rows><accepted_rows>0</accepted_rows>"
        b"<total_rows>1</total_rows></Results><Error><errorNR>100</errorNR>"
        b"<errorMsg>Professional 1 op regel 2 bestaat niet in PE</errorMsg></Error></Summary>"
    )
    upload = reverse(
        "records:edition_pe_online_reply_upload", args=[scenario["edition"].pk, submission.pk]
    )
    page = client.post(upload, {"reply": _file(reply)}, follow=True).content.decode()
    assert expected in page
    assert not PeOnlineSubmissionRow.objects.exclude(status="pending").exists()


@pytest.mark.parametrize(
    ("language", "explanation"),
    [
        ("nl", "PE-online kent dit registratienummer niet binnen deze organisatie (orgID)"),
        ("en", "PE-online does not know this register number within this organisation (orgID)"),
    ],
)
def test_staff_read_what_a_documented_rejection_means_in_their_language(
    client, scenario, language, explanation
):
    manager(client)
    client.cookies["django_language"] = language
    [submission] = prepare_pe_online_submissions(scenario["big"])
    stand_in = PeOnlineServer(user_key="")
    stand_in.unknown_persons = {NUMBERS[0]}
    upload = reverse(
        "records:edition_pe_online_reply_upload", args=[scenario["edition"].pk, submission.pk]
    )
    reply = stand_in.summary(submission_xml(submission))
    page = client.post(upload, {"reply": _file(reply)}, follow=True).content.decode()
    # PE-online's own (Dutch) text is kept as it wrote it, its meaning is translated.
    assert f"Professional {NUMBERS[0]} op regel 2 bestaat niet in PE" in page
    assert explanation in page


def test_a_deleted_account_is_named_as_such_not_as_an_ineligible_profession(scenario):
    from accounts.services import delete_learner_account

    delete_learner_account(scenario["learners"][0][0])
    rows = {row.completion_id: row for row in edition_attendance_rows(scenario["big"])}
    deleted = rows[scenario["learners"][0][1].pk]
    assert deleted.result.reason == BlockReason.ACCOUNT_DELETED
    assert prepare_pe_online_submissions(scenario["big"])[0].rows.count() == 2


def test_the_edition_page_costs_the_same_queries_for_3_or_10_presences(client, scenario):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager(client)
    page = reverse("records:edition_attendance", args=[scenario["edition"].pk])
    prepare_pe_online_submissions(scenario["big"])
    client.get(page)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page).status_code == 200
    for i in range(6):
        user = factories.make_user(first_name=f"Extra{i}", profession="huisarts")
        RegisterNumber.objects.create(user=user, register="big", number=f"6666666666{i}")
        services.register_for_edition(user, scenario["edition"])
    services.record_attendance(
        scenario["edition"], scenario["edition"].registrations.values_list("pk", flat=True)
    )
    prepare_pe_online_submissions(scenario["big"])
    with CaptureQueriesContext(connection) as many:
        assert client.get(page).status_code == 200
    assert len(many) == len(few)
