"""Shared set-up for the register tests: learners complete courses through courses.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from accounts.models import RegisterNumber
from courses import services
from courses.models import CourseCompletion, Enrollment, Lesson, Quiz, QuizAttempt
from records.models import CourseAccreditation
from tests import factories

AMS = ZoneInfo("Europe/Amsterdam")
FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def at(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=AMS)


def answers(quiz, correct: int) -> dict:
    """Form data answering the first `correct` questions right and the rest wrong."""
    data = {}
    for i, question in enumerate(quiz.questions.order_by("position")):
        option = question.options.get(position=0 if i < correct else 1)
        data[f"q-{question.pk}"] = str(option.pk)
    return data


def complete(user, course, when: dt.datetime, *, correct: int = 3, failed_first: bool = False):
    """Enrol, finish every lesson and pass the final test at `when`; return the CourseCompletion."""
    with time_machine.travel(when, tick=False):
        enrollment = services.enroll_learner(user, course)
        factories.spend_study_time(enrollment)  # the course is accredited
        for lesson in Lesson.objects.filter(module__version=enrollment.version):
            services.complete_lesson(enrollment, lesson)
        quiz = enrollment.version.final_test
        if failed_first:
            attempt = services.start_attempt(enrollment, quiz)
            services.submit_attempt(attempt.pk, answers(quiz, 0), user)
        attempt = services.start_attempt(enrollment, quiz)
        result = services.submit_attempt(attempt.pk, answers(quiz, correct), user)
        assert result.attempt.passed, "the helper is meant to produce a completion"
    enrollment.refresh_from_db()
    return enrollment.completion


def make_completion(course, user, when, score=Decimal("0.9"), revoked=False, attempts=()):
    """A completion written directly (no services): for rules and sizes, not for the path.
    `attempts`: the final test's attempts in number order, (passed, submitted)."""
    version = course.published_version
    enrollment = Enrollment.objects.create(user=user, course=course, version=version)
    final = Quiz.objects.get(version=version, kind=Quiz.Kind.FINAL)
    for number, (passed, submitted) in enumerate(attempts, start=1):
        QuizAttempt.objects.create(
            enrollment=enrollment,
            quiz=final,
            number=number,
            passed=passed,
            # A tie in time is decided by the attempt number.
            submitted_at=when if submitted else None,
        )
    return CourseCompletion.objects.create(
        enrollment=enrollment,
        version=version,
        completed_at=when,
        score=score,
        revoked_at=when if revoked else None,
    )


def add_number(
    user, register, number, register_name="", *, confirm_leading_zero=False
) -> RegisterNumber:
    """A register number entered the way the profile form does it: through clean()."""
    entry = RegisterNumber(user=user, register=register, number=number, register_name=register_name)
    entry.confirm_leading_zero = confirm_leading_zero  # type: ignore[attr-defined]  # form-only flag
    entry.full_clean()
    entry.save()
    return entry


def accredit(course, register, **fields) -> CourseAccreditation:
    defaults = {
        "pe_course_id": "412345",
        "points": Decimal("2"),
        "study_load_hours": Decimal("2"),
        "valid_from": dt.date(2026, 1, 1),
        "valid_until": dt.date(2026, 12, 31),
    }
    defaults.update(fields)
    return CourseAccreditation.objects.create(course=course, register=register, **defaults)


def build_export_scenario():
    """The course and learners behind the fixture files in tests/records/fixtures/.

    One course (pass mark 60 %, three questions) accredited by BIG (2 points, orgID 19, an
    e-learning), V&VN (1.5 points, a PE-online course with edition 45324, first attempt only)
    and KABIZ. Eight learners, about one per outcome; the fixture files show what each
    register receives.
    """
    course = factories.make_course(slug="verschil-de-norm", pass_mark=60)
    big = accredit(course, RegisterNumber.Register.BIG, pe_org_id=19)
    vvn = accredit(
        course,
        RegisterNumber.Register.VVN,
        pe_org_id=52,
        pe_course_id="98765",
        pe_course_type="editions",
        pe_edition_id="45324",
        points=Decimal("1.5"),
        first_attempt_only=True,
    )
    kabiz = accredit(
        course,
        RegisterNumber.Register.KABIZ,
        pe_org_id=22,
        pe_course_id="55501",
        points=Decimal("1"),
    )
    Reg = RegisterNumber.Register

    lotte = factories.make_user(first_name="Lotte", last_name="Visser", profession="huisarts")
    add_number(lotte, Reg.BIG, "00123456780")
    complete(lotte, course, at(2025, 12, 20, 10, 0))  # before the accreditation period

    anna = factories.make_user(
        first_name="Anna Maria", surname_prefix="de", last_name="Vries", profession="huisarts"
    )
    add_number(anna, Reg.BIG, "001.2345.6789")  # stored as 00123456789
    complete(anna, course, at(2026, 3, 2, 14, 5))

    pieter = factories.make_user(
        first_name="Pieter", initials="P.J.", last_name="Bakker", profession="huisarts"
    )
    add_number(pieter, Reg.BIG, "12345678901")
    add_number(pieter, Reg.VVN, "987654")  # a huisarts: the V&V register does not take it
    complete(pieter, course, at(2026, 3, 3, 9, 30), failed_first=True)

    sanne = factories.make_user(first_name="Sanne", last_name="Jansen", profession="huisarts")
    complete(sanne, course, at(2026, 3, 4, 16, 45))  # no BIG number

    karin = factories.make_user(first_name="Karin", last_name="Smit", profession="doktersassistent")
    add_number(karin, Reg.KABIZ, "555666777")
    complete(karin, course, at(2026, 3, 5, 11, 0))

    # A number imported before validation existed: it never went through clean().
    omar = factories.make_user(first_name="Omar", last_name="El Amrani", profession="huisarts")
    RegisterNumber.objects.create(user=omar, register=Reg.BIG, number="12AB-345")
    complete(omar, course, at(2026, 3, 6, 8, 15))

    fatima = factories.make_user(first_name="Fatima", last_name="Yilmaz", profession="poh_s")
    add_number(fatima, Reg.VVN, "112 233")
    complete(fatima, course, at(2026, 3, 10, 10, 0))

    eva = factories.make_user(
        first_name="Eva", surname_prefix="de", last_name="Boer", profession="huisarts"
    )
    add_number(eva, Reg.BIG, "0987654321", confirm_leading_zero=True)  # 10 digits, confirmed
    complete(eva, course, at(2026, 7, 1, 13, 0), correct=2)  # 67 %: passes the course, not the 70 %

    return {"course": course, "big": big, "vvn": vvn, "kabiz": kabiz}
