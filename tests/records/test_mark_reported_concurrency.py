"""'Mark reported' under concurrency: real threads, each with its own PostgreSQL connection."""

import threading

import pytest
from django.db import transaction

from accounts.models import RegisterNumber
from records.models import AttendanceReport
from records.registers import mark_reported
from tests import factories
from tests.records.registers_support import accredit, at, make_completion
from tests.threads_support import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)
LEARNERS = 30


@pytest.fixture
def accreditation():
    course = factories.make_course(slug="gelijktijdig", final_questions=1)
    for n in range(LEARNERS):
        learner = factories.make_user(profession="huisarts")
        RegisterNumber.objects.create(
            user=learner, register=RegisterNumber.Register.BIG, number=f"{n:011d}"
        )
        make_completion(course, learner, at(2026, 3, 1))
    blocked = factories.make_user(profession="huisarts")  # no number
    make_completion(course, blocked, at(2026, 3, 1))
    return accredit(course, RegisterNumber.Register.BIG)


def test_it_waits_for_an_uncommitted_marking_and_then_writes_nothing_twice(accreditation):
    counts = {}
    first_wrote, second_started = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            counts["first"] = mark_reported(accreditation, None, None, "a.xml")
            first_wrote.set()
            second_started.wait(timeout=30)
            # The second call now blocks on the unique index until this commits.
            threading.Event().wait(0.5)

    def second():
        first_wrote.wait(timeout=30)
        second_started.set()
        counts["second"] = mark_reported(accreditation, None, None, "b.xml")

    run_in_threads(first, second)
    assert counts == {"first": LEARNERS, "second": 0}
    reports = AttendanceReport.objects.filter(accreditation=accreditation)
    assert reports.count() == LEARNERS
    assert set(reports.values_list("file_name", flat=True)) == {"a.xml"}


def test_it_records_each_completion_once_when_eight_staff_mark_at_once(accreditation):
    barrier = threading.Barrier(8)
    counts = []

    def mark():
        barrier.wait(timeout=30)
        counts.append(mark_reported(accreditation, None, None, "x.xml"))

    run_in_threads(*[mark] * 8)
    assert sum(counts) == LEARNERS and len(counts) == 8
    reports = AttendanceReport.objects.filter(accreditation=accreditation)
    assert reports.count() == reports.values("completion").distinct().count() == LEARNERS
