"""Masterclass attendance accredited per register, with the edition's PEEditionID."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from lxml import etree

from accounts.models import RegisterNumber
from courses import services
from records.attendance import edition_attendance_rows
from records.models import EditionAccreditation, EditionAttendanceReport
from tests import factories
from tests.courses.live_fixtures import make_edition

pytestmark = pytest.mark.django_db


def accreditation_manager():
    user = factories.make_user(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    return user


@pytest.fixture
def setting():
    edition = make_edition(capacity=5)
    accreditation = EditionAccreditation.objects.create(
        edition=edition, register="big", pe_course_id="123456", pe_edition_id="98765", points=2
    )
    anna = factories.make_user(first_name="Anna", last_name="Jansen", profession="huisarts")
    RegisterNumber.objects.create(user=anna, register="big", number="19012345601")
    bram = factories.make_user(first_name="Bram", last_name="Visser", profession="huisarts")
    cor = factories.make_user(first_name="Cor", last_name="Absent", profession="huisarts")
    RegisterNumber.objects.create(user=cor, register="big", number="19012345602")
    regs = [services.register_for_edition(u, edition) for u in (anna, bram, cor)]
    services.record_attendance(edition, [regs[0].pk, regs[1].pk])
    return edition, accreditation, regs


def test_it_reports_present_learners_with_a_valid_number_and_blocks_the_rest(setting):
    edition, accreditation, regs = setting
    rows = list(edition_attendance_rows(accreditation))
    assert [(r.surname, r.reportable) for r in rows] == [("Jansen", True), ("Visser", False)]
    assert rows[0].result.register_number == "19012345601" and rows[0].points == Decimal("2")
    assert rows[1].result.reason == "no_number"


def test_it_writes_pe_online_xml_with_the_edition_id_and_no_end_date(client, setting):
    edition, accreditation, regs = setting
    client.force_login(accreditation_manager())
    url = reverse(
        "records:edition_attendance_download", args=[edition.pk, accreditation.pk, "pe-xml"]
    )
    response = client.get(url)
    root = etree.fromstring(b"".join(response.streaming_content))
    attendances = root.findall(".//Attendance")
    assert len(attendances) == 1
    assert attendances[0].findtext("PECourseID") == "123456"
    assert attendances[0].findtext("PEEditionID") == "98765"
    assert attendances[0].findtext("externalPersonID") == "19012345601"
    assert attendances[0].find("endDate") is None
    assert "98765" in response["Content-Disposition"]


def test_it_marks_presences_reported_once(client, setting):
    edition, accreditation, regs = setting
    client.force_login(accreditation_manager())
    url = reverse("records:edition_attendance_mark_reported", args=[edition.pk, accreditation.pk])
    client.post(url)
    client.post(url)
    assert list(EditionAttendanceReport.objects.values_list("registration_id", flat=True)) == [
        regs[0].pk
    ]
    assert list(edition_attendance_rows(accreditation)) == [
        r for r in edition_attendance_rows(accreditation) if not r.reportable
    ]
    page = client.get(reverse("records:edition_attendance", args=[edition.pk]))
    assert "PEEditionID 98765" in page.content.decode()


def test_it_shows_edition_exports_to_accreditation_managers_only(client, setting):
    edition, accreditation, regs = setting
    for user in (factories.make_user(), factories.make_user(is_staff=True)):
        client.force_login(user)
        page = client.get(reverse("records:edition_attendance", args=[edition.pk]))
        assert page.status_code == 404
