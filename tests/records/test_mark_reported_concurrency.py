"""'Mark reported' under concurrency: real threads, each with its own PostgreSQL connection."""

import threading

import pytest
from django.db import transaction

from accounts.models import RegisterNumber
from courses import services
from records.models import AttendanceReport, EditionAccreditation, EditionAttendanceReport
from records.registers import mark_edition_reported, mark_reported
from tests import factories
from tests.courses.live_fixtures import make_edition
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


@pytest.fixture
def edition_accreditation():
    edition = make_edition(capacity=LEARNERS + 2)
    present = []
    for n in range(LEARNERS):
        learner = factories.make_user(profession="huisarts")
        RegisterNumber.objects.create(
            user=learner, register=RegisterNumber.Register.BIG, number=f"{n:011d}"
        )
        present.append(services.register_for_edition(learner, edition).pk)
    blocked = factories.make_user(profession="huisarts")  # no number
    present.append(services.register_for_edition(blocked, edition).pk)
    absent = factories.make_user(profession="huisarts")
    RegisterNumber.objects.create(
        user=absent, register=RegisterNumber.Register.BIG, number="1" * 11
    )
    services.register_for_edition(absent, edition)
    services.record_attendance(edition, present)
    return EditionAccreditation.objects.create(
        edition=edition, register="big", pe_course_id="1", pe_edition_id="2", points=2
    )


def test_it_records_each_presence_once_when_eight_staff_mark_at_once(edition_accreditation):
    barrier = threading.Barrier(8)
    counts = []

    def mark():
        barrier.wait(timeout=30)
        counts.append(mark_edition_reported(edition_accreditation, "x.xml"))

    run_in_threads(*[mark] * 8)
    assert sum(counts) == LEARNERS and len(counts) == 8
    reports = EditionAttendanceReport.objects.filter(accreditation=edition_accreditation)
    assert reports.count() == reports.values("registration").distinct().count() == LEARNERS
    assert not reports.filter(registration__attended_at__isnull=True).exists()
    assert mark_edition_reported(edition_accreditation, "y.xml") == 0
