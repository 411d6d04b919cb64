"""The staff overview's stored verdicts (records.CompletionVerdict): every change a verdict
depends on, made the way users make it, leaves the overview equal to a live decision."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import transaction

from accounts.models import RegisterNumber, User
from accounts.services import delete_learner_account
from courses.models import CourseCompletion
from records.models import AttendanceReport, CompletionVerdict, CourseAccreditation
from records.registers import (
    accreditation_overview,
    check_verdicts,
    completions_with_verdict,
    live_overview,
    mark_reported,
    prepare_pe_online_submissions,
    rebuild_verdicts,
    record_attendance_reported,
    release_rejected_row,
    send_pe_online_submission,
)
from tests import factories
from tests.records.registers_support import (
    accredit,
    add_number,
    at,
    build_export_scenario,
    complete,
    make_completion,
)
from tests.threads_support import run_in_threads

Reg = RegisterNumber.Register


def counted(rows) -> list[tuple]:
    return [
        (
            row.accreditation.pk,
            row.reportable,
            row.reported,
            row.blocked,
            {reason.value: n for reason, n in row.reasons.items()},
        )
        for row in rows
    ]


def assert_stored_equals_live(course) -> list[tuple]:
    """The overview read from a current store equals a live decision; returns the counts."""
    accreditations = list(CourseAccreditation.objects.filter(course=course))
    assert accreditations and all(a.verdicts_current for a in accreditations)
    stored = counted(accreditation_overview(course))
    assert stored == counted(live_overview(course))
    return stored


@pytest.fixture
def scenario(db):
    scenario = build_export_scenario()
    for accreditation in CourseAccreditation.objects.filter(course=scenario["course"]):
        rebuild_verdicts(accreditation.pk)
    return scenario


def learner(first_name: str):
    return User.objects.get(first_name=first_name)


def test_it_counts_the_overview_from_the_store_in_two_queries(scenario, django_assert_num_queries):
    course = scenario["course"]
    with django_assert_num_queries(2):  # the accreditations, one GROUP BY
        rows = accreditation_overview(course)
    assert sum(r.reportable + r.blocked + r.reported for r in rows) == 3 * 8
    for n in range(20):
        newcomer = factories.make_user(profession="huisarts")
        add_number(newcomer, Reg.BIG, f"{n:011d}")
        make_completion(course, newcomer, at(2026, 3, 1))
    with django_assert_num_queries(2):
        rows = accreditation_overview(course)
    assert sum(r.reportable + r.blocked + r.reported for r in rows) == 3 * 28
    assert_stored_equals_live(course)


def test_it_counts_a_completion_made_through_the_services(scenario):
    course = scenario["course"]
    before = assert_stored_equals_live(course)
    newcomer = factories.make_user(profession="huisarts")
    add_number(newcomer, Reg.BIG, "12345678902")
    complete(newcomer, course, at(2026, 5, 1))
    after = assert_stored_equals_live(course)
    assert after[0][1] == before[0][1] + 1  # BIG: one more reportable


def test_it_follows_a_revoked_and_restored_certificate(scenario):
    course = scenario["course"]
    completion = CourseCompletion.objects.filter(version__course=course).first()
    completion.revoked_at = at(2026, 6, 1)
    completion.save(update_fields=["revoked_at"])
    assert "revoked" in str(assert_stored_equals_live(course))
    completion.revoked_at = None
    completion.save(update_fields=["revoked_at"])
    assert "revoked" not in str(assert_stored_equals_live(course))


def test_it_forgets_a_deleted_completion(scenario):
    course = scenario["course"]
    completion = make_completion(course, factories.make_user(), at(2026, 3, 1))
    assert CompletionVerdict.objects.filter(completion=completion).count() == 3
    completion.delete()
    assert_stored_equals_live(course)


def test_it_follows_a_number_added_changed_confirmed_and_removed(scenario):
    course = scenario["course"]
    number = add_number(learner("Sanne"), Reg.BIG, "12345678901")  # a GP without a number
    assert_stored_equals_live(course)
    number.number = "1234"
    number.save()
    assert_stored_equals_live(course)
    number.number, number.needs_confirmation = "01234567890", True
    number.save()
    assert "unconfirmed_number" in str(assert_stored_equals_live(course))
    number.needs_confirmation = False
    number.save(update_fields=["needs_confirmation"])
    assert "unconfirmed_number" not in str(assert_stored_equals_live(course))
    number.delete()
    assert_stored_equals_live(course)


def test_it_follows_numbers_written_in_bulk(scenario):
    course = scenario["course"]
    RegisterNumber.objects.filter(register=Reg.BIG).update(number="1234")
    assert "invalid_number" in str(assert_stored_equals_live(course))
    RegisterNumber.objects.bulk_create(
        [RegisterNumber(user=learner("Sanne"), register=Reg.BIG, number="12345678903")]
    )
    assert_stored_equals_live(course)


def test_it_follows_a_change_of_profession(scenario):
    course = scenario["course"]
    for first_name in ("Anna Maria", "Karin", "Fatima"):
        user = learner(first_name)
        user.profession = "doktersassistent" if user.profession == "huisarts" else "huisarts"
        user.save()
    assert_stored_equals_live(course)


def test_it_ignores_a_login_but_follows_an_account_deletion(scenario, django_assert_num_queries):
    course = scenario["course"]
    user = learner("Anna Maria")
    user.last_login = at(2026, 7, 1)
    with django_assert_num_queries(1):  # the UPDATE only
        user.save(update_fields=["last_login"])
    delete_learner_account(user)
    assert "account_deleted" in str(assert_stored_equals_live(course))


def test_it_counts_marked_and_recorded_reports(scenario):
    course, big, vvn = scenario["course"], scenario["big"], scenario["vvn"]
    assert mark_reported(big, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "big.xml") > 0
    ids = list(CourseCompletion.objects.filter(version__course=course).values_list("pk", flat=True))
    assert record_attendance_reported(vvn, ids[:3], "vvn.xml") == 3
    rows = assert_stored_equals_live(course)
    assert [row[2] for row in rows[:2]] != [0, 0]


def live_reportable(accreditation) -> set[int]:
    return set(
        completions_with_verdict(accreditation)
        .filter(block_reason__isnull=True, reported=False)
        .values_list("pk", flat=True)
    )


def reported_ids(accreditation) -> set[int]:
    return set(
        AttendanceReport.objects.filter(accreditation=accreditation).values_list(
            "completion_id", flat=True
        )
    )


def test_it_marks_what_the_store_calls_reportable_in_one_insert(
    scenario, django_assert_num_queries
):
    big = scenario["big"]
    expected = live_reportable(big)
    # savepoint, JIT off, the lock, is the store current?, one INSERT (reports and verdicts),
    # release
    with django_assert_num_queries(6):
        assert mark_reported(big, None, None, "big.xml") == len(expected) == 2
    assert reported_ids(big) == expected
    assert_stored_equals_live(scenario["course"])


def test_it_marks_by_the_live_verdict_while_the_store_is_rebuilt(
    scenario, django_capture_on_commit_callbacks
):
    big = scenario["big"]
    big.valid_until = dt.date(2026, 3, 2)
    with django_capture_on_commit_callbacks():  # the rebuild is not run
        big.save()
    expected = live_reportable(big)
    assert mark_reported(big, None, None, "big.xml") == len(expected) == 1
    assert reported_ids(big) == expected


def test_it_follows_pe_online_verdicts_and_a_released_row(service, db):
    course = factories.make_course(slug="pe-store", pass_mark=60)
    big = accredit(course, Reg.BIG)
    numbers = ["11111111111", "22222222222", "33333333333"]
    for i, number in enumerate(numbers):
        user = factories.make_user(profession="huisarts")
        add_number(user, Reg.BIG, number)
        complete(user, course, at(2026, 3, 2 + i))
    rebuild_verdicts(big.pk)
    service.unknown_persons = {numbers[1]}
    [submission] = prepare_pe_online_submissions(big)
    assert send_pe_online_submission(submission.pk) == "answered"
    [counts] = assert_stored_equals_live(course)
    assert counts[1:4] == (0, 2, 1)
    row = submission.rows.get(status="rejected")
    release_rejected_row(row.pk)
    [counts] = assert_stored_equals_live(course)
    assert counts[1:4] == (1, 2, 0)


def test_it_rebuilds_after_a_change_of_rules_and_counts_live_meanwhile(
    scenario, django_capture_on_commit_callbacks
):
    course, big = scenario["course"], scenario["big"]
    big.min_score = 95
    with django_capture_on_commit_callbacks() as queued:
        big.save()
    big.refresh_from_db()
    assert not big.verdicts_current
    # Meanwhile: counted live, with the new rules.
    assert counted(accreditation_overview(course)) == counted(live_overview(course))
    for callback in queued:
        callback()  # the rebuild task (eager in tests)
    assert "score_too_low" in str(assert_stored_equals_live(course))
    with django_capture_on_commit_callbacks(execute=True):
        other = accredit(course, Reg.NVVPO, pe_course_id="55")
    other.refresh_from_db()
    assert other.verdicts_current
    assert_stored_equals_live(course)


def test_it_rebuilds_in_chunks_with_the_rules_of_the_first(scenario):
    course, big = scenario["course"], scenario["big"]
    CompletionVerdict.objects.filter(accreditation=big).delete()
    CourseAccreditation.objects.filter(pk=big.pk).update(min_score=95)
    assert rebuild_verdicts(big.pk, chunk_size=3) == 8
    assert_stored_equals_live(course)


def test_it_finds_and_repairs_what_a_bulk_write_left_stale(scenario, caplog):
    course, big = scenario["course"], scenario["big"]
    CourseCompletion.objects.filter(version__course=course).update(revoked_at=at(2026, 8, 1))
    assert counted(accreditation_overview(course)) != counted(live_overview(course))
    assert check_verdicts(fix=False)[big.pk] == 8
    call_command("check_verdicts")
    assert "Stored verdicts of accreditation" in caplog.text
    assert_stored_equals_live(course)
    assert check_verdicts() == {}


# --- Concurrency: real threads, each with its own PostgreSQL connection -------------------------


def five_reportable_learners(slug: str):
    """A BIG-accredited course with its verdicts stored, completed by five learners with a BIG
    number: (course, their RegisterNumbers, the accreditation)."""
    course = factories.make_course(slug=slug, final_questions=1)
    numbers = []
    for n in range(5):
        learner = factories.make_user(profession="huisarts")
        numbers.append(add_number(learner, Reg.BIG, f"{n:011d}"))
        make_completion(course, learner, at(2026, 3, 1))
    accreditation = accredit(course, Reg.BIG)
    rebuild_verdicts(accreditation.pk)
    return course, numbers, accreditation


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_report_when_a_number_changes_while_reporting():
    course, learners, accreditation = five_reportable_learners("gelijktijdig-opslag")
    marked, changed, newcomer = threading.Event(), threading.Event(), threading.Event()

    def report():
        with transaction.atomic():
            mark_reported(accreditation, None, None, "a.xml")
            marked.set()
            changed.wait(timeout=30)
            # The other two now wait for this transaction's lock on the verdicts.
            threading.Event().wait(0.5)

    def change_number():
        marked.wait(timeout=30)
        changed.set()
        number = learners[0]
        number.number = "1234"  # invalid: the verdict it decides is blocked, but reported stays
        number.save()

    def new_completion():
        marked.wait(timeout=30)
        learner = factories.make_user(profession="huisarts")
        add_number(learner, Reg.BIG, "99999999999")
        make_completion(course, learner, at(2026, 3, 2))
        newcomer.set()

    run_in_threads(report, change_number, new_completion)
    assert newcomer.is_set()
    [counts] = assert_stored_equals_live(course)
    assert counts[1:4] == (1, 5, 0)


@pytest.mark.django_db(transaction=True)
def test_it_rebuilds_after_a_number_change_that_was_not_yet_committed():
    course, learners, accreditation = five_reportable_learners("herbouw-gelijktijdig")
    changed, rebuilt = threading.Event(), threading.Event()

    def change_number():
        with transaction.atomic():
            number = learners[0]
            number.number = "1234"  # invalid
            number.save()
            changed.set()
            # The rebuild now waits for this transaction's lock, then reads the new number.
            threading.Event().wait(0.5)

    def rebuild():
        changed.wait(timeout=30)
        rebuild_verdicts(accreditation.pk)
        rebuilt.set()

    run_in_threads(change_number, rebuild)
    assert rebuilt.is_set()
    [counts] = assert_stored_equals_live(course)
    assert counts[1:4] == (4, 0, 1)
