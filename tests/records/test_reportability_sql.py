"""One set of register rules: the SQL verdict (`reportability_expression`, used by the staff
overview, its lists and "mark reported") equals `reportability()` for every pair of completion and
accreditation, over learners that cover every reason, combinations of them and the edges."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from accounts.models import RegisterNumber, User
from accounts.services import DELETED_EMAIL_DOMAIN
from courses import services
from courses.models import LiveSessionRegistration
from records.attendance import edition_reportability
from records.models import (
    BlockReason,
    EditionAccreditation,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
)
from records.registers import (
    EDITION_TARGET,
    completions_for_registers,
    completions_with_verdict,
    edition_reportability_expression,
    latest_rejections,
    reportability,
)
from tests import factories
from tests.courses.live_fixtures import make_edition
from tests.records.registers_support import accredit, at, make_completion

pytestmark = pytest.mark.django_db
Reg = RegisterNumber.Register
Row = PeOnlineSubmissionRow.Status
UTC = dt.UTC

# (register, register_name, number) a learner may hold: valid, normalisable, invalid, padded.
NUMBERS = [
    (Reg.BIG, "", "12345678901"),
    (Reg.BIG, "", "123.456.789-01"),
    (Reg.BIG, "", "1234567890"),  # 10 digits: never confirmed
    (Reg.BIG, "", "١٢٣٤٥٦٧٨٩٠١"),  # Arabic-Indic digits
    (Reg.BIG, "", "12AB-345"),
    (Reg.VVN, "", "123456"),
    (Reg.VVN, "", "12345"),
    (Reg.NVVPO, "", "123"),
    (Reg.NVVPO, "", "12 345"),
    (Reg.KABIZ, "", "ab-12"),
    (Reg.KABIZ, "", "ab_12"),
    (Reg.POH_GGZ, "", "X" * 21),
    (Reg.OTHER, "Register X", " abc "),
    (Reg.OTHER, " register x", "def"),  # the same register by name: the older number counts
    (Reg.OTHER, "REGISTER X ", "   "),
    (Reg.OTHER, "Ander", "123"),
]
MOMENTS = [
    at(2025, 12, 31, 23, 59),
    dt.datetime(2025, 12, 31, 23, 0, tzinfo=UTC),  # 1 January in Amsterdam
    at(2026, 1, 1, 0, 0),
    at(2026, 3, 15),
    at(2026, 6, 30, 23, 59),
    dt.datetime(2026, 6, 30, 22, 0, tzinfo=UTC),  # 1 July in Amsterdam
    at(2026, 7, 1, 0, 0),
    at(2027, 2, 1),
]
SCORES = [None, Decimal("0"), Decimal("0.6999"), Decimal("0.7"), Decimal("0.7001"), Decimal("1")]
PROFESSIONS = [*User.Profession.values, ""]
# First final-test attempts: (passed, submitted) in attempt-number order.
ATTEMPTS = [(), ((True, True),), ((False, True), (True, True)), ((None, False), (True, True))]


def reject(accreditation, completion, *verdicts):
    """PE-online rows for the completion, one submission each, oldest first: (status, number,
    released)."""
    for status, number, released in verdicts:
        PeOnlineSubmissionRow.objects.create(
            submission=PeOnlineSubmission.objects.create(accreditation=accreditation),
            completion=completion,
            line=1,
            register_number=number,
            status=status,
            released_at=completion.completed_at if released else None,
        )


def random_learner(rng, email):
    """A learner with a random profession and up to four of NUMBERS."""
    user = factories.make_user(email=email, profession=rng.choice(PROFESSIONS))
    for register, name, number in rng.sample(NUMBERS, rng.randint(0, 4)):
        if RegisterNumber.objects.filter(user=user, register=register, register_name=name).exists():
            continue
        # Stored as imported: not through clean(), so invalid numbers exist.
        RegisterNumber.objects.create(
            user=user,
            register=register,
            register_name=name,
            number=number,
            needs_confirmation=rng.random() < 0.15,
        )
    return user


@pytest.fixture
def world():
    course = factories.make_course(slug="regels", final_questions=1)
    accreditations = [
        accredit(course, Reg.BIG, valid_until=dt.date(2026, 6, 30)),
        accredit(
            course,
            Reg.VVN,
            pe_course_id="2",
            valid_from=dt.date(2026, 1, 1),
            valid_until=None,
            min_score=0,
            first_attempt_only=True,
        ),
        accredit(course, Reg.NVVPO, pe_course_id="3", min_score=100),
        accredit(course, Reg.KABIZ, pe_course_id="4", first_attempt_only=True),
        accredit(course, Reg.POH_GGZ, pe_course_id="5"),
        accredit(course, Reg.OTHER, register_name="register X ", pe_course_id="6"),
        accredit(course, Reg.OTHER, register_name="Ander", pe_course_id="7", min_score=0),
    ]
    rng = random.Random(15)
    completions = []
    for n in range(160):
        domain = rng.choice(["example.org", DELETED_EMAIL_DOMAIN, DELETED_EMAIL_DOMAIN.upper()])
        user = random_learner(rng, f"learner{n}@{domain}")
        completions.append(
            make_completion(
                course,
                user,
                rng.choice(MOMENTS),
                rng.choice(SCORES),
                rng.random() < 0.05,
                rng.choice(ATTEMPTS),
            )
        )
    # A learner who meets every rule of BIG, with PE-online's verdicts in every order.
    for verdicts in [
        [(Row.REJECTED, "12345678901", False)],  # the same number: blocked
        [(Row.REJECTED, "99999999999", False)],  # corrected since: reportable
        [(Row.REJECTED, "12345678901", True)],  # released by staff
        [(Row.REJECTED, "12345678901", False), (Row.ACCEPTED, "12345678901", False)],
        [(Row.ACCEPTED, "12345678901", False), (Row.REJECTED, "12345678901", False)],
        [(Row.REJECTED, "12345678901", False), (Row.PENDING, "12345678901", False)],
        [(Row.NOT_PROCESSED, "12345678901", False)],
    ]:
        user = factories.make_user(profession="huisarts")
        RegisterNumber.objects.create(user=user, register=Reg.BIG, number="12345678901")
        completion = make_completion(course, user, at(2026, 3, 1), Decimal("0.9"), False, ())
        reject(accreditations[0], completion, *verdicts)
        completions.append(completion)
    return course, accreditations


def python_verdicts(course, accreditations):
    rejections = latest_rejections([a.pk for a in accreditations])
    return {
        (completion.pk, accreditation.pk): reportability(
            completion, accreditation, rejections
        ).reason
        for completion in completions_for_registers(course)
        for accreditation in accreditations
    }


def sql_verdicts(accreditations):
    return {
        (pk, accreditation.pk): reason
        for accreditation in accreditations
        for pk, reason in completions_with_verdict(accreditation).values_list("pk", "block_reason")
    }


def test_it_decides_every_pair_in_sql_as_reportability_does(world):
    course, accreditations = world
    expected = python_verdicts(course, accreditations)
    assert len(expected) == 167 * len(accreditations)
    assert sql_verdicts(accreditations) == expected
    # The learners cover every reason, and reportable completions.
    assert {*BlockReason, None} <= set(expected.values())


def test_it_follows_a_number_changed_through_a_queryset_update(world):
    course, accreditations = world
    RegisterNumber.objects.filter(register=Reg.BIG).update(number="1234-5678-901")
    RegisterNumber.objects.filter(register_name="Register X").update(register_name="ANDER ")
    assert sql_verdicts(accreditations) == python_verdicts(course, accreditations)


# --- Masterclass presences --------------------------------------------------------------------


def test_it_decides_every_presence_in_sql_as_edition_reportability_does():
    edition = make_edition(capacity=60)
    accreditations = [
        EditionAccreditation.objects.create(
            edition=edition,
            register=register,
            register_name=name,
            pe_course_id=str(n),
            pe_edition_id=str(n),
            points=1,
        )
        for n, (register, name) in enumerate(
            [(Reg.BIG, ""), (Reg.VVN, ""), (Reg.KABIZ, ""), (Reg.OTHER, "register X ")]
        )
    ]
    rng = random.Random(16)
    registrations = []
    for n in range(50):
        domain = rng.choice(["example.org", DELETED_EMAIL_DOMAIN])
        user = random_learner(rng, f"present{n}@{domain}")
        registrations.append(services.register_for_edition(user, edition))
    # Learners who meet every BIG rule, with PE-online's verdicts on their presence.
    valid = []
    for _ in range(3):
        user = factories.make_user(profession="huisarts")
        RegisterNumber.objects.create(user=user, register=Reg.BIG, number="12345678901")
        valid.append(services.register_for_edition(user, edition))
    services.record_attendance(edition, [r.pk for r in registrations[:45] + valid])  # 5 absent
    for registration, (status, released) in zip(
        valid, [(Row.REJECTED, False), (Row.REJECTED, True), (Row.ACCEPTED, False)], strict=True
    ):
        registration.refresh_from_db()
        PeOnlineSubmissionRow.objects.create(
            submission=PeOnlineSubmission.objects.create(edition_accreditation=accreditations[0]),
            registration=registration,
            line=1,
            register_number="12345678901",
            status=status,
            released_at=registration.attended_at if released else None,
        )

    rejections = latest_rejections([a.pk for a in accreditations], EDITION_TARGET)
    presences = LiveSessionRegistration.objects.filter(edition=edition).select_related("user")
    expected = {
        (registration.pk, accreditation.pk): edition_reportability(
            registration, accreditation, rejections
        ).reason
        for registration in presences
        for accreditation in accreditations
    }
    decided = {
        (pk, accreditation.pk): reason
        for accreditation in accreditations
        for pk, reason in presences.annotate(
            block_reason=edition_reportability_expression(accreditation)
        ).values_list("pk", "block_reason")
    }
    assert decided == expected
    reasons = set(expected.values())
    assert {
        None,
        BlockReason.ACCOUNT_DELETED,
        BlockReason.PROFESSION_NOT_ELIGIBLE,
        BlockReason.NO_NUMBER,
        BlockReason.INVALID_NUMBER,
        BlockReason.REJECTED_BY_PE_ONLINE,
    } <= reasons
