"""Deleting an account with accredited completions: warn, offer to report first, label honestly."""

import pytest
from django.urls import reverse

from accounts.models import RegisterNumber
from accounts.services import delete_learner_account
from courses import services
from records.models import BlockReason, EditionAccreditation, PeOnlineSubmissionRow
from records.registers import reportability, unreported_points, unreported_presences
from tests import factories
from tests.courses.live_fixtures import make_edition
from tests.records.registers_support import accredit, add_number, at, complete

pytestmark = pytest.mark.django_db
Reg = RegisterNumber.Register


@pytest.fixture
def scenario():
    course = factories.make_course(slug="basis", pass_mark=60)
    big = accredit(course, Reg.BIG)
    learner = factories.make_user(first_name="Anna", last_name="Vries", profession="huisarts")
    add_number(learner, Reg.BIG, "12345678901")
    completion = complete(learner, course, at(2026, 3, 2))
    return {"course": course, "big": big, "learner": learner, "completion": completion}


def test_it_warns_before_deletion_and_reports_first_on_request(client, scenario):
    client.force_login(scenario["learner"])
    page = client.get(reverse("privacy")).content.decode()
    assert "niet al je accreditatiepunten zijn al doorgegeven" in page
    assert "BIG-register" in page and "2 punten" in page
    response = client.post(reverse("privacy_report_first"), follow=True)
    assert "Je punten worden aan PE-online doorgegeven" in response.content.decode()
    row = PeOnlineSubmissionRow.objects.get(completion=scenario["completion"])
    assert row.register_number == "12345678901"
    assert unreported_points(scenario["learner"]) == []
    assert "niet al je accreditatiepunten" not in client.get(reverse("privacy")).content.decode()
    # The number goes with the waiting row even when the account is deleted now.
    delete_learner_account(scenario["learner"])
    row.refresh_from_db()
    assert row.register_number == "12345678901"


def test_it_does_not_relabel_a_deleted_account_as_profession_not_eligible(scenario):
    delete_learner_account(scenario["learner"])
    completion = scenario["completion"]
    completion.refresh_from_db()
    result = reportability(completion, scenario["big"])
    assert result.reason == BlockReason.ACCOUNT_DELETED
    assert result.reason_label == "Account verwijderd door de deelnemer"


def test_public_verification_says_the_account_was_removed(client, scenario):
    delete_learner_account(scenario["learner"])
    page = client.get(scenario["completion"].get_absolute_url()).content.decode()
    assert "Uitgegeven aan een account dat sindsdien is verwijderd" in page
    assert "Ja, dit certificaat is geldig." in page


def test_it_warns_about_an_unreported_masterclass_presence_and_reports_it_first(
    client, django_assert_num_queries
):
    learner = factories.make_user(first_name="Bram", last_name="Smit", profession="huisarts")
    add_number(learner, Reg.BIG, "12345678901")
    edition = make_edition(capacity=5)
    EditionAccreditation.objects.create(
        edition=edition, register="big", pe_course_id="123456", pe_edition_id="98765", points=3
    )
    registration = services.register_for_edition(learner, edition)
    client.force_login(learner)
    # Registered but not (yet) present: nothing to lose.
    assert "niet al je accreditatiepunten" not in client.get(reverse("privacy")).content.decode()
    services.record_attendance(edition, [registration.pk])
    with django_assert_num_queries(6):
        [(presence, accreditation)] = unreported_presences(learner)
        assert presence.edition.session_type.title == "Masterclass bias"
        assert [n.register for n in presence.user.register_numbers.all()] == ["big"]

    page = client.get(reverse("privacy")).content.decode()
    assert "niet al je accreditatiepunten zijn al doorgegeven" in page
    assert "Masterclass bias" in page and "BIG-register" in page and "3 punten" in page

    client.post(reverse("privacy_report_first"))
    row = PeOnlineSubmissionRow.objects.get(registration=registration)
    assert row.register_number == "12345678901"
    assert unreported_presences(learner) == []
    assert "niet al je accreditatiepunten" not in client.get(reverse("privacy")).content.decode()
