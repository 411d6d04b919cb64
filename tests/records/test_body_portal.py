"""Users of an accreditation body log in and see only their own courses' completions."""

import pytest
from django.urls import reverse

from accounts.models import RegisterNumber
from records.models import AccreditationBody
from tests import factories
from tests.records.registers_support import accredit, add_number, at, complete

pytestmark = pytest.mark.django_db
Reg = RegisterNumber.Register


@pytest.fixture
def scenario():
    course = factories.make_course(slug="basis", pass_mark=60)
    other = factories.make_course(slug="ander", pass_mark=60)
    nurse = factories.make_user(first_name="Els", last_name="Kok", profession="verpleegkundige")
    add_number(nurse, Reg.BIG, "12345678901")
    add_number(nurse, Reg.VVN, "246810")
    complete(nurse, course, at(2026, 3, 2))
    outsider = factories.make_user(first_name="Otto", last_name="Elders", profession="huisarts")
    complete(outsider, other, at(2026, 3, 3))
    vvn = accredit(course, Reg.VVN)
    body = AccreditationBody.objects.create(
        name="V&VN", slug="vvn", register="vvn", actor_mode=AccreditationBody.ActorMode.EMAIL
    )
    body.courses.add(course)
    staff = factories.make_user(email="medewerker@vvn.example")
    body.users.add(staff)
    return {"course": course, "body": body, "staff": staff, "vvn": vvn}


def test_a_body_user_sees_only_its_courses_and_its_registers_numbers(client, scenario):
    client.force_login(scenario["staff"])
    home = client.get(reverse("records:body_home")).content.decode()
    assert "/instantie/vvn/cursus/basis/" in home and "/cursus/ander/" not in home
    page = client.get(reverse("records:body_course", args=["vvn", "basis"])).content.decode()
    assert "Kok" in page and "246810" in page
    assert "12345678901" not in page and "Elders" not in page
    assert client.get(reverse("records:body_course", args=["vvn", "ander"])).status_code == 404
    csv_text = b"".join(
        client.get(reverse("records:body_course", args=["vvn", "basis"]) + "?format=csv")
    ).decode()
    assert "246810" in csv_text and "12345678901" not in csv_text
    presence = client.get(reverse("records:body_attendance", args=["vvn", scenario["vvn"].pk]))
    assert presence.status_code == 200
    assert "246810" in b"".join(presence.streaming_content).decode("utf-8-sig")


def test_an_anonymous_body_sees_no_names_or_numbers_and_no_presence_list(client, scenario):
    body = scenario["body"]
    body.actor_mode = AccreditationBody.ActorMode.ACCOUNT
    body.save()
    client.force_login(scenario["staff"])
    page = client.get(reverse("records:body_course", args=["vvn", "basis"])).content.decode()
    assert "Kok" not in page and "246810" not in page and "12345678901" not in page
    url = reverse("records:body_attendance", args=["vvn", scenario["vvn"].pk])
    assert client.get(url).status_code == 404


def test_anyone_else_gets_nothing(client, scenario):
    client.force_login(factories.make_user())
    assert client.get(reverse("records:body_home")).status_code == 404
    assert client.get(reverse("records:body_course", args=["vvn", "basis"])).status_code == 404
    client.logout()
    assert client.get(reverse("records:body_home")).status_code == 302
