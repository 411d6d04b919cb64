"""Register numbers, the profession↔register mapping and every reason a completion is blocked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import RegisterNumber
from accounts.registers import REGISTERS
from records.models import BlockReason, CourseAccreditation
from records.registers import (
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


# --- Register table and number rules -----------------------------------------------------------


def test_it_knows_the_registers_as_pe_onlines_organisation_list_does():
    # orgIDs from PE-online's org_lijst.pdf (docs/registers.md).
    assert {code: info.pe_org_id for code, info in REGISTERS.items()} == {
        "big": 19,
        "vvn": 52,
        "nvvpo": 26,
        "poh_ggz": 68,
        "kabiz": 22,
        "other": None,
    }
    assert set(REGISTERS) == set(Reg.values)


@pytest.mark.parametrize(
    ("register", "raw", "stored"),
    [
        (Reg.BIG, "12345678901", "12345678901"),
        (Reg.BIG, "123 456 789 01", "12345678901"),
        (Reg.BIG, "1234.567.8901", "12345678901"),
        (Reg.BIG, "01234567890", "01234567890"),
        (Reg.VVN, "123456", "123456"),
        (Reg.VVN, "123-456", "123456"),
        (Reg.NVVPO, "123", "123"),
        (Reg.NVVPO, "1234", "1234"),
        (Reg.KABIZ, "AB1234", "AB1234"),
        (Reg.POH_GGZ, "4711", "4711"),
    ],
)
def test_it_stores_numbers_in_the_shape_of_their_register(huisarts, register, raw, stored):
    assert add_number(huisarts, register, raw).number == stored
    assert RegisterNumber.objects.get(user=huisarts).number == stored


@pytest.mark.parametrize(
    ("register", "raw"),
    [
        (Reg.BIG, ""),
        (Reg.BIG, "123456789"),  # 9 digits: padding "00" would point at someone else
        (Reg.BIG, "12345678"),
        (Reg.BIG, "123456789012"),
        (Reg.BIG, "1234567890X"),
        (Reg.BIG, "+31123456789"),
        (Reg.BIG, "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661"),
        (Reg.BIG, "１２３４５６７８９０１"),  # full-width digits
        (Reg.VVN, "12345678901"),  # a BIG number is not a V&VN relatienummer
        (Reg.VVN, "12345"),
        (Reg.NVVPO, "12"),
        (Reg.NVVPO, "12345"),
        (Reg.KABIZ, "AB 12/34"),
    ],
)
def test_it_refuses_numbers_that_do_not_fit_the_register(huisarts, register, raw):
    with pytest.raises(ValidationError) as excinfo:
        add_number(huisarts, register, raw)
    assert "number" in excinfo.value.message_dict
    assert not RegisterNumber.objects.exists()


def test_it_refuses_arabic_indic_digits_with_a_clear_message(huisarts):
    with pytest.raises(ValidationError) as excinfo:
        add_number(huisarts, Reg.BIG, "١٢٣٤٥٦٧٨٩٠١")
    assert excinfo.value.message_dict["number"] == [
        "Een registratienummer bestaat alleen uit de cijfers 0 tot en met 9."
    ]
    assert normalised_number(RegisterNumber(register=Reg.BIG, number="١٢٣٤٥٦٧٨٩٠١")) is None


def test_it_restores_a_dropped_leading_zero_only_after_the_learner_confirms(huisarts):
    with pytest.raises(ValidationError) as excinfo:
        add_number(huisarts, Reg.BIG, "1234567890")
    assert "01234567890" in excinfo.value.message_dict["number"][0]
    assert not RegisterNumber.objects.exists()
    assert add_number(huisarts, Reg.BIG, "1234567890", confirm_leading_zero=True).number == (
        "01234567890"
    )
    # A stored 10-digit number (never confirmed) is not restored at export time.
    assert normalised_number(RegisterNumber(register=Reg.BIG, number="1234567890")) is None


def test_it_invents_no_checksum(huisarts):
    # Any 11 ASCII digits are accepted: the BIG register publishes no check digit to verify.
    for number in ["00000000001", "99999999999", "12345678900", "12345678901"]:
        assert normalised_number(RegisterNumber(register=Reg.BIG, number=number)) == number


def test_it_passes_an_other_register_number_on_as_entered():
    number = RegisterNumber(register=Reg.OTHER, register_name="NVVS", number=" LID-4711 ")
    assert normalised_number(number) == "LID-4711"
    assert (
        normalised_number(RegisterNumber(register=Reg.OTHER, register_name="NVVS", number="  "))
        is None
    )


def test_it_lets_a_learner_hold_several_registers_and_reports_to_each(course):
    nurse = factories.make_user(first_name="Ria", last_name="Smit", profession="poh_s")
    add_number(nurse, Reg.VVN, "246810")
    add_number(nurse, Reg.NVVPO, "812")
    vvn = accredit(course, Reg.VVN)
    nvvpo = accredit(course, Reg.NVVPO, points=Decimal("1"))
    completion = complete(nurse, course, at(2026, 3, 2))
    assert reportability(completion, vvn).register_number == "246810"
    assert reportability(completion, nvvpo).register_number == "812"


def test_it_fills_in_the_registers_pe_online_org_id(course):
    vvn = CourseAccreditation(
        course=course,
        register=Reg.VVN,
        pe_course_id="1",
        points=1,
        study_load_hours=1,
        valid_from=dt.date(2026, 1, 1),
    )
    assert vvn.effective_pe_org_id == 52
    vvn.full_clean()
    assert vvn.pe_org_id == 52


# --- Profession mapping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profession", "eligible"),
    [
        ("huisarts", {"big", "other"}),
        ("verpleegkundige", {"vvn", "other"}),  # nurses no longer go to KNMG/GAIA
        ("poh_s", {"vvn", "nvvpo", "other"}),
        ("poh_ggz", {"poh_ggz", "other"}),
        ("doktersassistent", {"kabiz", "other"}),
        ("praktijkmanager", {"other"}),
        ("anders", {"other"}),
        ("", {"other"}),
    ],
)
def test_it_maps_professions_to_registers_as_documented(profession, eligible):
    assert {reg for reg in REGISTERS if is_profession_eligible(profession, reg)} == eligible


# --- Block reasons -----------------------------------------------------------------------------


def test_it_reports_a_completion_that_meets_every_rule(course, huisarts):
    big = accredit(course, Reg.BIG)
    add_number(huisarts, Reg.BIG, "123456789 01")
    result = reportability(complete(huisarts, course, at(2026, 3, 2)), big)
    assert result.reportable and result.reason is None
    assert result.register_number == "12345678901"


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
    add_number(huisarts, Reg.BIG, "12345678901")
    completion = complete(
        huisarts, course, at(2026, 3, 2), correct=2
    )  # 67 % passes the 60 % course
    assert reportability(completion, big).reason == BlockReason.SCORE_TOO_LOW
    lenient = accredit(course, Reg.OTHER, register_name="NHG", min_score=60)
    add_number(huisarts, Reg.OTHER, "4711", register_name="nhg")
    assert reportability(completion, lenient).reportable


def test_it_blocks_when_only_the_first_attempt_counts_and_it_failed(course):
    nurse = factories.make_user(first_name="Piet", last_name="Bakker", profession="verpleegkundige")
    add_number(nurse, Reg.VVN, "987654")
    strict = accredit(course, Reg.VVN, first_attempt_only=True)
    completion = complete(nurse, course, at(2026, 3, 2), failed_first=True)
    assert reportability(completion, strict).reason == BlockReason.NOT_FIRST_ATTEMPT
    strict.first_attempt_only = False
    assert reportability(completion, strict).reportable


def test_it_accepts_a_first_attempt_pass_when_only_the_first_counts(course):
    nurse = factories.make_user(first_name="Piet", last_name="Bakker", profession="verpleegkundige")
    add_number(nurse, Reg.VVN, "987654")
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
    add_number(huisarts, Reg.BIG, "12345678901")
    result = reportability(complete(huisarts, course, completed), big)
    assert result.reportable is reportable
    if not reportable:
        assert result.reason == BlockReason.OUTSIDE_VALIDITY


def test_it_blocks_a_profession_the_register_does_not_take(course):
    assistant = factories.make_user(
        first_name="Karin", last_name="Smit", profession="doktersassistent"
    )
    add_number(assistant, Reg.BIG, "12345678901")
    add_number(assistant, Reg.KABIZ, "555666777")
    completion = complete(assistant, course, at(2026, 3, 2))
    assert (
        reportability(completion, accredit(course, Reg.BIG)).reason
        == BlockReason.PROFESSION_NOT_ELIGIBLE
    )
    assert reportability(completion, accredit(course, Reg.KABIZ, points=Decimal("1"))).reportable


def test_it_no_longer_sends_a_nurse_to_knmg_gaia_under_her_big_number(course):
    nurse = factories.make_user(first_name="Els", last_name="Kok", profession="verpleegkundige")
    add_number(nurse, Reg.BIG, "12345678901")
    add_number(nurse, Reg.VVN, "135790")
    completion = complete(nurse, course, at(2026, 3, 2))
    big = accredit(course, Reg.BIG, pe_org_id=19)
    vvn = accredit(course, Reg.VVN, pe_org_id=52, points=Decimal("1"))
    assert reportability(completion, big).reason == BlockReason.PROFESSION_NOT_ELIGIBLE
    assert reportability(completion, vvn).register_number == "135790"


def test_it_blocks_a_revoked_certificate(course, huisarts):
    big = accredit(course, Reg.BIG)
    add_number(huisarts, Reg.BIG, "12345678901")
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


def test_it_blocks_and_warns_about_a_number_padded_by_the_old_rule(course, huisarts):
    big = accredit(course, Reg.BIG)
    RegisterNumber.objects.create(
        user=huisarts, register=Reg.BIG, number="00123456789", needs_confirmation=True
    )
    [warning] = registration_warnings(huisarts, course)
    assert warning.message.startswith("Controleer je BIG-nummer")
    result = reportability(complete(huisarts, course, at(2026, 3, 2)), big)
    assert result.reason == BlockReason.UNCONFIRMED_NUMBER


def test_it_warns_once_per_register_and_only_for_what_is_missing(course):
    nurse = factories.make_user(first_name="Piet", last_name="Bakker", profession="verpleegkundige")
    add_number(nurse, Reg.BIG, "12345678901")
    accredit(course, Reg.VVN, pe_course_type="editions", pe_edition_id="1")
    accredit(course, Reg.VVN, pe_course_type="editions", pe_edition_id="2")
    accredit(course, Reg.BIG)  # KNMG/GAIA: not for nurses, so not mentioned
    assert [w.register for w in registration_warnings(nurse, course)] == ["vvn"]
    add_number(nurse, Reg.VVN, "987654")
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


def test_it_flags_numbers_padded_by_the_old_rule_in_the_data_migration(huisarts):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "accounts.migrations.0002_registers_as_pe_online_knows_them"
    )
    padded = RegisterNumber.objects.create(user=huisarts, register=Reg.BIG, number="00123456789")
    real = RegisterNumber.objects.create(user=huisarts, register=Reg.VVN, number="123456")
    old_vvn = RegisterNumber.objects.create(user=huisarts, register=Reg.KABIZ, number="00987654321")
    migration.flag_padded_numbers(apps, None)
    flagged = set(
        RegisterNumber.objects.filter(needs_confirmation=True).values_list("pk", flat=True)
    )
    assert flagged == {padded.pk, old_vvn.pk}
    assert real.pk not in flagged
    padded.refresh_from_db()
    assert padded.number == "00123456789"  # nothing rewritten
