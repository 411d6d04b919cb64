"""Register numbers, the profession↔register mapping and every reason a completion is blocked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import RegisterNumber
from records.models import BlockReason, CourseAccreditation
from records.registers import (
    PROFESSIONS_BY_REGISTER,
    is_profession_eligible,
    normalised_number,
    registration_warnings,
    reportability,
)
from tests import factories
from tests.records.registers_support import accredit, add_number, at, complete

pytestmark = pytest.mark.django_db
Reg = RegisterNumber.Register


@pytest.fixture
def course():
    return factories.make_course(slug="basis", pass_mark=60)


@pytest.fixture
def huisarts():
    return factories.make_user(first_name="Anna", last_name="Vries", profession="huisarts")


# --- Normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("123456789", "00123456789"),
        ("1234567890", "01234567890"),
        ("12345678901", "12345678901"),
        (" 123 456 789 ", "00123456789"),
        ("1234.567.89", "00123456789"),
        ("123-456-7890", "01234567890"),
    ],
)
def test_it_stores_register_numbers_as_eleven_digits(huisarts, raw, stored):
    assert add_number(huisarts, Reg.BIG, raw).number == stored
    assert RegisterNumber.objects.get(user=huisarts).number == stored


@pytest.mark.parametrize(
    "raw", ["", "12345678", "123456789012", "12345678X", "BIG123456789", "+31123456789"]
)
def test_it_refuses_numbers_that_are_not_nine_to_eleven_digits(huisarts, raw):
    with pytest.raises(ValidationError) as excinfo:
        add_number(huisarts, Reg.BIG, raw)
    assert "number" in excinfo.value.message_dict
    assert not RegisterNumber.objects.exists()


def test_it_invents_no_checksum(huisarts):
    # Any 9-11 digits are accepted: the BIG register publishes no check digit to verify.
    for number in ["000000001", "99999999999", "123456780", "123456781"]:
        assert normalised_number(RegisterNumber(register=Reg.BIG, number=number)) == number.zfill(
            11
        )


def test_it_passes_an_other_register_number_on_as_entered():
    number = RegisterNumber(register=Reg.OTHER, register_name="NVVS", number=" LID-4711 ")
    assert normalised_number(number) == "LID-4711"
    assert (
        normalised_number(RegisterNumber(register=Reg.OTHER, register_name="NVVS", number="  "))
        is None
    )


# --- Profession mapping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profession", "eligible"),
    [
        ("huisarts", {"big", "other"}),
        ("verpleegkundige", {"big", "vvn", "other"}),
        ("poh_s", {"vvn", "other"}),
        ("poh_ggz", {"poh_ggz", "other"}),
        ("doktersassistent", {"kabiz", "other"}),
        ("praktijkmanager", {"other"}),
        ("anders", {"other"}),
        ("", {"other"}),
    ],
)
def test_it_maps_professions_to_registers_as_documented(profession, eligible):
    assert {
        reg for reg in PROFESSIONS_BY_REGISTER if is_profession_eligible(profession, reg)
    } == eligible


# --- Block reasons -----------------------------------------------------------------------------


def test_it_reports_a_completion_that_meets_every_rule(course, huisarts):
    big = accredit(course, Reg.BIG)
    add_number(huisarts, Reg.BIG, "123456789")
    result = reportability(complete(huisarts, course, at(2026, 3, 2)), big)
    assert result.reportable and result.reason is None
    assert result.register_number == "00123456789"


def test_it_blocks_without_a_number_for_that_register(course, huisarts):
    big = accredit(course, Reg.BIG)
    add_number(huisarts, Reg.OTHER, "4711", register_name="NHG")
    result = reportability(complete(huisarts, course, at(2026, 3, 2)), big)
    assert result.reason == BlockReason.NO_NUMBER
    assert result.reason_label == "Geen registratienummer voor dit register"


def test_it_blocks_an_invalid_stored_number(course, huisarts):
    big = accredit(course, Reg.BIG)
    RegisterNumber.objects.create(
        user=huisarts, register=Reg.BIG, number="1234"
    )  # legacy, never cleaned
    result = reportability(complete(huisarts, course, at(2026, 3, 2)), big)
    assert result.reason == BlockReason.INVALID_NUMBER
    assert result.register_number == "1234"


def test_it_blocks_a_score_below_the_accreditation_minimum(course, huisarts):
    big = accredit(course, Reg.BIG, min_score=70)
    add_number(huisarts, Reg.BIG, "123456789")
    completion = complete(
        huisarts, course, at(2026, 3, 2), correct=2
    )  # 67 % passes the 60 % course
    assert reportability(completion, big).reason == BlockReason.SCORE_TOO_LOW
    lenient = accredit(course, Reg.OTHER, register_name="NHG", min_score=60)
    add_number(huisarts, Reg.OTHER, "4711", register_name="nhg")
    assert reportability(completion, lenient).reportable


def test_it_blocks_when_only_the_first_attempt_counts_and_it_failed(course):
    nurse = factories.make_user(first_name="Piet", last_name="Bakker", profession="verpleegkundige")
    add_number(nurse, Reg.VVN, "987654321")
    strict = accredit(course, Reg.VVN, first_attempt_only=True)
    completion = complete(nurse, course, at(2026, 3, 2), failed_first=True)
    assert reportability(completion, strict).reason == BlockReason.NOT_FIRST_ATTEMPT
    strict.first_attempt_only = False
    assert reportability(completion, strict).reportable


def test_it_accepts_a_first_attempt_pass_when_only_the_first_counts(course):
    nurse = factories.make_user(first_name="Piet", last_name="Bakker", profession="verpleegkundige")
    add_number(nurse, Reg.VVN, "987654321")
    strict = accredit(course, Reg.VVN, first_attempt_only=True)
    assert reportability(complete(nurse, course, at(2026, 3, 2)), strict).reportable


@pytest.mark.parametrize(
    ("completed", "reportable"),
    [
        (at(2025, 12, 31, 23, 59), False),
        (at(2026, 1, 1, 0, 1), True),  # 31 Dec 23:01 UTC, yet 1 January in the Netherlands
        (at(2026, 6, 30, 23, 30), True),
        (at(2026, 7, 1, 0, 30), False),
    ],
)
def test_it_blocks_completions_outside_the_validity_period(course, huisarts, completed, reportable):
    big = accredit(
        course, Reg.BIG, valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 6, 30)
    )
    add_number(huisarts, Reg.BIG, "123456789")
    result = reportability(complete(huisarts, course, completed), big)
    assert result.reportable is reportable
    if not reportable:
        assert result.reason == BlockReason.OUTSIDE_VALIDITY


def test_it_blocks_a_profession_the_register_does_not_take(course):
    assistant = factories.make_user(
        first_name="Karin", last_name="Smit", profession="doktersassistent"
    )
    add_number(assistant, Reg.BIG, "123456789")
    add_number(assistant, Reg.KABIZ, "555666777")
    completion = complete(assistant, course, at(2026, 3, 2))
    assert (
        reportability(completion, accredit(course, Reg.BIG)).reason
        == BlockReason.PROFESSION_NOT_ELIGIBLE
    )
    assert reportability(completion, accredit(course, Reg.KABIZ, points=Decimal("1"))).reportable


def test_it_blocks_a_revoked_certificate(course, huisarts):
    big = accredit(course, Reg.BIG)
    add_number(huisarts, Reg.BIG, "123456789")
    completion = complete(huisarts, course, at(2026, 3, 2))
    completion.revoked_at = timezone.now()
    completion.save(update_fields=["revoked_at"])
    assert reportability(completion, big).reason == BlockReason.REVOKED


def test_it_matches_an_other_register_by_name(course):
    person = factories.make_user(first_name="Ilse", last_name="Kok", profession="anders")
    add_number(person, Reg.OTHER, "LID-4711", register_name="NVVS")
    completion = complete(person, course, at(2026, 3, 2))
    assert (
        reportability(completion, accredit(course, Reg.OTHER, register_name="nvvs")).register_number
        == "LID-4711"
    )
    assert (
        reportability(completion, accredit(course, Reg.OTHER, register_name="NVAB")).reason
        == BlockReason.NO_NUMBER
    )


# --- Accreditation settings --------------------------------------------------------------------


def test_it_refuses_a_minimum_score_above_100_in_the_database(course):
    with pytest.raises(IntegrityError), transaction.atomic():
        accredit(course, Reg.BIG, min_score=101)


def test_it_allows_one_accreditation_per_register_and_edition(course):
    accredit(course, Reg.BIG, pe_course_type="editions", pe_edition_id="1")
    accredit(course, Reg.BIG, pe_course_type="editions", pe_edition_id="2")
    accredit(course, Reg.VVN, pe_course_type="editions", pe_edition_id="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        accredit(course, Reg.BIG, pe_course_type="editions", pe_edition_id="1")
    assert CourseAccreditation.objects.filter(course=course).count() == 3


def test_it_validates_pe_ids_and_the_other_register_name(course):
    accreditation = CourseAccreditation(
        course=course,
        register=Reg.OTHER,
        pe_course_id="PE-12",
        points=1,
        study_load_hours=1,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        accreditation.full_clean()
    assert {"pe_course_id", "register_name"} <= set(excinfo.value.message_dict)


@pytest.mark.parametrize(
    ("course_type", "edition", "module", "field"),
    [
        ("elearning", "45324", "", "pe_edition_id"),  # PE-online: no editions on e-learning
        ("editions", "", "", "pe_edition_id"),
        ("editions", "45324", "1000", "pe_module_id"),  # modules only exist for e-learning
    ],
)
def test_it_keeps_edition_and_module_consistent_with_the_pe_course_type(
    course, course_type, edition, module, field
):
    accreditation = CourseAccreditation(
        course=course,
        register=Reg.BIG,
        pe_course_id="8001",
        pe_course_type=course_type,
        pe_edition_id=edition,
        pe_module_id=module,
        points=1,
        study_load_hours=1,
        valid_from=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        accreditation.full_clean()
    assert field in excinfo.value.message_dict


def test_it_refuses_an_edition_on_an_elearning_in_the_database(course):
    with pytest.raises(IntegrityError), transaction.atomic():
        accredit(course, Reg.BIG, pe_course_type="elearning", pe_edition_id="45324")


# --- Learner warnings --------------------------------------------------------------------------


def test_it_warns_a_learner_without_a_big_number_before_the_final_test(course, huisarts):
    accredit(course, Reg.BIG)
    accredit(course, Reg.KABIZ)  # a huisarts is not told about the assistants' register
    messages = [w.message for w in registration_warnings(huisarts, course)]
    assert messages == ["Je punten kunnen niet worden geregistreerd zonder geldig BIG-nummer."]


def test_it_warns_about_an_invalid_number(course, huisarts):
    accredit(course, Reg.BIG)
    RegisterNumber.objects.create(user=huisarts, register=Reg.BIG, number="12AB")
    [warning] = registration_warnings(huisarts, course)
    assert warning.message.startswith("Je BIG-nummer is ongeldig")
    assert "9 tot 11 cijfers" in warning.message


def test_it_warns_once_per_register_and_only_for_what_is_missing(course):
    nurse = factories.make_user(first_name="Piet", last_name="Bakker", profession="verpleegkundige")
    add_number(nurse, Reg.BIG, "123456789")
    accredit(course, Reg.BIG, pe_course_type="editions", pe_edition_id="1")
    accredit(course, Reg.BIG, pe_course_type="editions", pe_edition_id="2")
    accredit(course, Reg.VVN)
    assert [w.register for w in registration_warnings(nurse, course)] == ["vvn"]
    add_number(nurse, Reg.VVN, "987654321")
    assert registration_warnings(nurse, course) == []


def test_it_asks_for_a_profession_first(course):
    accredit(course, Reg.BIG)
    nobody = factories.make_user(first_name="X", last_name="Y")
    [warning] = registration_warnings(nobody, course)
    assert "zonder beroep" in warning.message


def test_it_tells_a_learner_whose_profession_no_register_takes(course):
    accredit(course, Reg.BIG)
    manager = factories.make_user(first_name="M", last_name="N", profession="praktijkmanager")
    [warning] = registration_warnings(manager, course)
    assert "niet geaccrediteerd voor jouw beroep (Praktijkmanager)" in warning.message


def test_it_computes_the_warnings_in_two_queries(course, huisarts, django_assert_num_queries):
    accredit(course, Reg.BIG)
    accredit(course, Reg.VVN)
    with django_assert_num_queries(2):  # the course's accreditations, the learner's numbers
        assert len(registration_warnings(huisarts, course)) == 1


def test_it_has_nothing_to_say_about_a_course_without_accreditation(course, huisarts):
    assert registration_warnings(huisarts, course) == []
