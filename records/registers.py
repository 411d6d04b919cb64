"""Rules of the Dutch quality registers: who earns points where, and which completions count.

`reportability()` decides per completion and accreditation; `registration_warnings()` tells a
learner before the final test what would block their points; `accreditation_overview()` counts
for staff; `record_attendance_reported()` records what was sent. See docs/registers.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import OperationalError, connection, models, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, NullIf
from django.db.models.lookups import Exact, GreaterThanOrEqual, IsNull, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import RegisterNumber, User
from accounts.registers import professions_for, register_name_key, stored_normalised_number
from accounts.services import deleted_account_condition, is_deleted_account
from courses.models import CourseCompletion, LiveSessionRegistration, Quiz, QuizAttempt

from . import pe_online
from .exports import day_range, exportable_completions
from .models import (
    AttendanceReport,
    BlockReason,
    CompletionVerdict,
    CourseAccreditation,
    EditionAccreditation,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
)

logger = logging.getLogger(__name__)

Register = RegisterNumber.Register
Profession = User.Profession


def is_profession_eligible(profession: str, register: str) -> bool:
    """True when a learner with `profession` can earn points in `register` (accounts.registers
    REGISTERS; "other", a register named by the provider, takes anyone)."""
    allowed = professions_for(register)
    if allowed is None:
        return True
    return profession in allowed


def matching_register_number(numbers: Iterable[RegisterNumber], accreditation: CourseAccreditation):
    """The learner's number for the accreditation's register (for "other": same register name)."""
    for number in numbers:
        if number.register != accreditation.register:
            continue
        if accreditation.register == Register.OTHER and (
            register_name_key(number.register_name)
            != register_name_key(accreditation.register_name)
        ):
            continue
        return number
    return None


def normalised_number(register_number: RegisterNumber) -> str | None:
    """The number as the register receives it, or None when it does not fit the register's rule.

    Re-checked at export time with accounts.registers (BIG exactly 11 ASCII digits, V&VN 6,
    NVVPO 3 or 4, ...): a number stored without validation is never sent. A 10-digit BIG number
    is not restored here: only the learner may confirm the leading zero.
    """
    return stored_normalised_number(register_number.number, register_number.register) or None


@dataclass(frozen=True)
class Reportability:
    """Whether one completion can be reported under one accreditation."""

    reason: BlockReason | None
    register_number: str = ""
    detail: str = ""  # PE-online's error text for REJECTED_BY_PE_ONLINE

    @property
    def reportable(self) -> bool:
        return self.reason is None

    @property
    def reason_label(self) -> str:
        if self.reason is None:
            return ""
        label = str(BlockReason(self.reason).label)
        return f"{label}: {self.detail}" if self.detail else label


def _first_final_attempt_passed(completion) -> bool:
    # Export querysets annotate this; a single call falls back to one query.
    if hasattr(completion, "first_final_passed"):
        return bool(completion.first_final_passed)
    first = _final_attempts(completion.enrollment_id).values_list("passed", flat=True).first()
    return bool(first)


def register_numbers_of(completion) -> list[RegisterNumber]:
    """The learner's register numbers: from the `register_number_rows` annotation of
    `completions_for_registers()` (no query; built once per completion), else one query."""
    if not hasattr(completion, "register_number_rows"):
        return list(completion.enrollment.user.register_numbers.all())
    cached = getattr(completion, "_register_numbers", None)
    if cached is None:
        user_id = completion.enrollment.user_id
        cached = [
            RegisterNumber(user_id=user_id, **row) for row in completion.register_number_rows or ()
        ]
        completion._register_numbers = cached
    return cached


def reportability(
    completion: CourseCompletion,
    accreditation: CourseAccreditation,
    rejections: dict | None = None,
) -> Reportability:
    """Decide whether `completion` earns the accreditation's points (no query when prefetched).

    Checked in this order, the first failing rule is the reason: revoked certificate, profession
    not eligible for the register, no number for the register, invalid number, completed outside
    the validity period, score below the minimum, passed only after the first attempt, and
    rejected by PE-online for the same number (from `rejections`, see `latest_rejections()`).
    """
    user = completion.enrollment.user
    if completion.revoked_at is not None:
        return Reportability(BlockReason.REVOKED)
    if is_deleted_account(user):
        # Not "profession not eligible": the profession was erased with the account.
        return Reportability(BlockReason.ACCOUNT_DELETED)
    if not is_profession_eligible(user.profession, accreditation.register):
        return Reportability(BlockReason.PROFESSION_NOT_ELIGIBLE)
    number = matching_register_number(register_numbers_of(completion), accreditation)
    if number is None:
        return Reportability(BlockReason.NO_NUMBER)
    normalised = normalised_number(number)
    if normalised is None:
        return Reportability(BlockReason.INVALID_NUMBER, number.number)
    if number.needs_confirmation:
        return Reportability(BlockReason.UNCONFIRMED_NUMBER, number.number)
    if not accreditation.is_valid_on(timezone.localdate(completion.completed_at)):
        return Reportability(BlockReason.OUTSIDE_VALIDITY, normalised)
    if accreditation.min_score and (
        completion.score is None or completion.score * 100 < accreditation.min_score
    ):
        return Reportability(BlockReason.SCORE_TOO_LOW, normalised)
    if accreditation.first_attempt_only and not _first_final_attempt_passed(completion):
        return Reportability(BlockReason.NOT_FIRST_ATTEMPT, normalised)
    rejected = (rejections or {}).get((completion.pk, accreditation.pk))
    if rejected is not None and rejected[0] == normalised:
        # The same number PE-online refused: sending it again changes nothing until the
        # learner corrects it or staff offer it again (release_rejected_row).
        return Reportability(BlockReason.REJECTED_BY_PE_ONLINE, normalised, rejected[1])
    return Reportability(None, normalised)


def reportability_expression(accreditation: CourseAccreditation) -> Case:
    """`reportability()` in SQL, for a CourseCompletion queryset: the BlockReason value of the
    first failing rule, or NULL when the completion is reportable under `accreditation`.

    Same rules in the same order; the number rules read `RegisterNumber.normalised` and
    `register_key`, which accounts derives with the functions `reportability()` uses.
    tests/records/test_reportability_sql.py holds the two to the same verdict. The learner's
    number is read in one correlated subquery that decides every rule after it (a CASE stops at
    the first rule that holds, so later subqueries run only when needed); no number yields
    NO_NUMBER.
    """
    completed_at = OuterRef("completed_at")
    start, end = day_range(accreditation.valid_from, accreditation.valid_until)
    rules: list[When] = [
        When(
            LessThan(completed_at, Value(start, output_field=DateTimeField())),
            then=Value(BlockReason.OUTSIDE_VALIDITY.value),
        ),
    ]
    if end is not None:
        rules.append(
            When(
                GreaterThanOrEqual(completed_at, Value(end, output_field=DateTimeField())),
                then=Value(BlockReason.OUTSIDE_VALIDITY.value),
            )
        )
    if accreditation.min_score:
        score = OuterRef("score")
        minimum = Value(Decimal(accreditation.min_score) / 100, output_field=DecimalField())
        rules += [
            When(IsNull(score, True), then=Value(BlockReason.SCORE_TOO_LOW.value)),
            When(LessThan(score, minimum), then=Value(BlockReason.SCORE_TOO_LOW.value)),
        ]
    if accreditation.first_attempt_only:
        first_passed = Subquery(
            _final_attempts(OuterRef(OuterRef("enrollment_id"))).values("passed")[:1]
        )
        rules.append(
            When(
                Exact(Coalesce(first_passed, Value(False)), Value(False)),
                then=Value(BlockReason.NOT_FIRST_ATTEMPT.value),
            )
        )
    revoked = When(revoked_at__isnull=False, then=Value(BlockReason.REVOKED.value))
    return _verdict_expression(accreditation, COURSE_TARGET, "enrollment__user", [revoked], rules)


def edition_reportability_expression(accreditation: EditionAccreditation) -> Case:
    """`records.attendance.edition_reportability()` in SQL, for a LiveSessionRegistration
    queryset: the BlockReason value of the first failing rule, or NULL when the presence is
    reportable under the edition `accreditation` (tests/records/test_reportability_sql.py)."""
    return _verdict_expression(accreditation, EDITION_TARGET, "user", [], [])


def _verdict_expression(
    accreditation, target: PeTarget, user: str, first: list[When], number_rules: list[When]
) -> Case:
    """The register rules in SQL, in `reportability()`'s order: `first` (the subject's own),
    the learner's account and profession (at the path `user`), their number for the register,
    its validity and confirmation, `number_rules` (the subject's rules that only count with a
    number: period, score, attempt) and PE-online's last rejection of the same number for the
    same subject (`target` names it)."""
    rejected_number = (
        PeOnlineSubmissionRow.objects.filter(
            **{
                f"{target.subject_field}_id": OuterRef(OuterRef("pk")),
                f"submission__{target.accreditation_field}_id": accreditation.pk,
            },
            status__in=[
                PeOnlineSubmissionRow.Status.ACCEPTED,
                PeOnlineSubmissionRow.Status.REJECTED,
            ],
        )
        .order_by("-pk")
        .values(
            number=Case(
                When(
                    status=PeOnlineSubmissionRow.Status.REJECTED,
                    released_at__isnull=True,
                    then=F("register_number"),
                ),
                default=None,
            )
        )[:1]
    )
    rules = [
        When(normalised="", then=Value(BlockReason.INVALID_NUMBER.value)),
        When(needs_confirmation=True, then=Value(BlockReason.UNCONFIRMED_NUMBER.value)),
        *number_rules,
        When(
            Exact(F("normalised"), Subquery(rejected_number)),
            then=Value(BlockReason.REJECTED_BY_PE_ONLINE.value),
        ),
    ]
    number_verdict = _matching_numbers(accreditation, f"{user}_id").values(
        verdict=Case(*rules, default=Value(""), output_field=CharField())
    )[:1]
    learner_rules = [
        *first,
        When(deleted_account_condition(user), then=Value(BlockReason.ACCOUNT_DELETED.value)),
    ]
    allowed = professions_for(accreditation.register)
    if allowed is not None:
        eligible = Q(**{f"{user}__profession__in": sorted(allowed)}) if allowed else Q(pk=None)
        learner_rules.append(When(~eligible, then=Value(BlockReason.PROFESSION_NOT_ELIGIBLE.value)))
    return Case(
        *learner_rules,
        # No number row: NO_NUMBER; "" from the number's rules: reportable (NULL).
        default=NullIf(
            Coalesce(Subquery(number_verdict), Value(BlockReason.NO_NUMBER.value)), Value("")
        ),
        output_field=CharField(),
    )


def _matching_numbers(accreditation, user_id: str = "enrollment__user_id"):
    """`matching_register_number()` in SQL: the learner's numbers for the accreditation's
    register (an "other" register matched by name), the one that counts first; for a
    subquery of a queryset whose learner's id is at `user_id`."""
    numbers = RegisterNumber.objects.filter(
        user_id=OuterRef(user_id), register=accreditation.register
    )
    if accreditation.register == Register.OTHER:
        numbers = numbers.filter(register_key=register_name_key(accreditation.register_name))
    return numbers.order_by("pk")


def _final_attempts(enrollment_id):
    """The submitted final-test attempts of an enrollment, first one first."""
    return QuizAttempt.objects.filter(
        enrollment_id=enrollment_id, quiz__kind=Quiz.Kind.FINAL, submitted_at__isnull=False
    ).order_by("submitted_at", "number")


def completions_for_registers(
    course=None, since: dt.date | None = None, until: dt.date | None = None, *, user=None
):
    """`exportable_completions()` of `course` (revoked ones included: they are listed as blocked)
    or of `user` (valid ones only), with what `reportability()` reads.

    Bundles the learner (joined), their register numbers (an array subquery, so a server-side
    cursor reads 1M rows in one query and flat memory, with no prefetch query per chunk) and
    whether the first final-test attempt passed (subquery).
    """
    register_numbers = ArraySubquery(
        RegisterNumber.objects.filter(user_id=OuterRef("enrollment__user_id"))
        .order_by("pk")
        .values(
            row=JSONObject(
                pk="pk",
                register="register",
                register_name="register_name",
                number="number",
                needs_confirmation="needs_confirmation",
            )
        )
    )
    first_final = _final_attempts(OuterRef("enrollment_id")).values("passed")[:1]
    qs = (
        exportable_completions(
            course, user=user, since=since, until=until, include_revoked=user is None
        )
        .select_related("enrollment__user", "version")
        .annotate(first_final_passed=Subquery(first_final))
    )
    if connection.vendor == "postgresql":
        qs = qs.annotate(register_number_rows=register_numbers)
    else:  # SQLite (`make run`): one prefetch query per iterator chunk
        qs = qs.prefetch_related(
            Prefetch(
                "enrollment__user__register_numbers", queryset=RegisterNumber.objects.order_by("pk")
            )
        )
    return qs


def with_reported_at(completions, accreditation: CourseAccreditation):
    """Annotate `reported_at` (None when not yet reported under `accreditation`)."""
    reports = AttendanceReport.objects.filter(
        completion_id=OuterRef("pk"), accreditation=accreditation
    )
    return completions.annotate(reported_at=Subquery(reports.values("reported_at")[:1]))


# --- Learner-facing warnings -------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationWarning:
    """A message for the learner about what keeps their points from being registered."""

    message: str
    register: str = ""

    def __str__(self):
        return self.message


def registration_warnings(user, course, accreditations=None) -> list[RegistrationWarning]:
    """Dutch messages: what is missing or invalid for the registers that accredit `course`.

    Only registers that accept the learner's profession are mentioned; a learner whose profession
    no accrediting register accepts is told so once. Returns [] when the course has no accreditation
    or everything is in order. Two queries (accreditations, the learner's numbers); one, or none
    for a course without accreditation, when the caller passes the course's `accreditations` in
    `CourseAccreditation.objects.for_course()`'s order.
    """
    if accreditations is None:
        accreditations = list(CourseAccreditation.objects.for_course(course))
    if not accreditations or not getattr(user, "is_authenticated", False):
        return []
    if not user.profession:
        return [
            RegistrationWarning(
                _(
                    "Je punten kunnen niet worden geregistreerd zonder beroep. "
                    "Vul je beroep en registratienummer in je profiel in."
                )
            )
        ]
    numbers = list(user.register_numbers.all())
    warnings: list[RegistrationWarning] = []
    seen: set[tuple[str, str]] = set()
    eligible_any = False
    for accreditation in accreditations:
        if not is_profession_eligible(user.profession, accreditation.register):
            continue
        eligible_any = True
        key = (accreditation.register, accreditation.register_name.casefold())
        if key in seen:
            continue
        seen.add(key)
        label = _register_number_label(accreditation)
        number = matching_register_number(numbers, accreditation)
        if number is None:
            message = _("Je punten kunnen niet worden geregistreerd zonder geldig %(label)s.") % {
                "label": label
            }
        elif normalised_number(number) is None:
            message = _(
                "Je %(label)s is ongeldig. Zonder geldig nummer kunnen je punten niet worden "
                "geregistreerd; pas het aan in je profiel."
            ) % {"label": label}
        elif number.needs_confirmation:
            message = _(
                "Controleer je %(label)s in je profiel: het is eerder met nullen aangevuld "
                "opgeslagen. Tot je het bevestigt, worden je punten niet doorgegeven."
            ) % {"label": label}
        else:
            continue
        warnings.append(RegistrationWarning(message, accreditation.register))
    if not eligible_any:
        warnings.append(
            RegistrationWarning(
                _(
                    "Deze cursus is niet geaccrediteerd voor jouw beroep (%(profession)s); "
                    "er worden geen punten voor je geregistreerd."
                )
                % {"profession": user.get_profession_display()}
            )
        )
    return warnings


def _register_number_label(accreditation: CourseAccreditation) -> str:
    labels = {
        Register.BIG: _("BIG-nummer"),
        Register.VVN: _("relatienummer in het V&VN Kwaliteitsregister"),
        Register.NVVPO: _("NVVPO-registratienummer"),
        Register.KABIZ: _("KABIZ-registratienummer"),
        Register.POH_GGZ: _("registratienummer bij de LV POH-GGZ"),
    }
    if accreditation.register == Register.OTHER:
        return _("registratienummer in %(name)s") % {"name": accreditation.register_name}
    return labels[Register(accreditation.register)]


# --- Staff overview and reporting --------------------------------------------------------------

REPORTED = CompletionVerdict.REPORTED  # a completion's state once reported, whatever its verdict


@dataclass
class AccreditationCounts:
    accreditation: CourseAccreditation
    reportable: int = 0
    reported: int = 0
    blocked: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def blocked_reasons(self) -> list[tuple[str, int]]:
        """(label, count) in the order of BlockReason, for the overview table."""
        return [(label, count) for _reason, label, count in self.blocked_reason_rows]

    @property
    def blocked_reason_rows(self) -> list[tuple[str, str, int]]:
        """(reason, label, count) in the order of BlockReason."""
        return [
            (reason.value, str(reason.label), self.reasons[reason])
            for reason in BlockReason
            if self.reasons[reason]
        ]


def completions_with_verdict(
    accreditation: CourseAccreditation, since: dt.date | None = None, until: dt.date | None = None
):
    """The completions of the accreditation's course in the period (revoked ones included), with
    `block_reason` (a BlockReason value, None when reportable; `reportability_expression()`)
    and `reported` (already reported under the accreditation), both decided in SQL. A queryset,
    oldest first."""
    reports = AttendanceReport.objects.filter(
        completion_id=OuterRef("pk"), accreditation_id=accreditation.pk
    )
    return exportable_completions(
        [accreditation.course_id], since=since, until=until, include_revoked=True
    ).annotate(block_reason=reportability_expression(accreditation), reported=Exists(reports))


class ListState(models.TextChoices):
    """Which completions a staff list shows (`verdict_page()`)."""

    BLOCKED = "blocked", gettext_lazy("Niet rapporteerbaar")
    REPORTABLE = "reportable", gettext_lazy("Te rapporteren")
    REPORTED = "reported", gettext_lazy("Gerapporteerd")


VERDICT_PAGE_SIZE = 50


def verdict_page(
    accreditation: CourseAccreditation,
    state: str,
    reason: str | None = None,
    after: tuple[dt.datetime, int] | None = None,
    size: int = VERDICT_PAGE_SIZE,
):
    """One page of the accreditation's completions in `state` (a ListState; BLOCKED optionally
    for one `reason`), newest first: at most `size` + 1 completions (one more tells that a next
    page exists) with the learner, `block_reason`, `reported_at` and `register_number` (as
    reported, or as entered when blocked for it). `after` is the (completed_at, pk) of the
    previous page's last row: keyset paging, no OFFSET and no COUNT. A list; one query (and on
    PostgreSQL one SET: `_walking_newest_first()`)."""
    completions = with_reported_at(completions_with_verdict(accreditation), accreditation)
    if state == ListState.REPORTED:
        completions = completions.filter(reported=True)
    elif state == ListState.REPORTABLE:
        completions = completions.filter(reported=False, block_reason__isnull=True)
    else:
        completions = completions.filter(reported=False, block_reason__isnull=False)
        if reason:
            completions = completions.filter(block_reason=reason)
    if after is not None:
        completions = completions.filter(
            Q(completed_at__lt=after[0]) | Q(completed_at=after[0], pk__lt=after[1])
        )
    shown_number = _matching_numbers(accreditation).values(
        shown=Case(
            When(Q(normalised="") | Q(needs_confirmation=True), then=F("number")),
            default=F("normalised"),
        )
    )[:1]
    page = (
        completions.annotate(register_number=Subquery(shown_number))
        .select_related("enrollment__user")
        .order_by("-completed_at", "-pk")[: size + 1]
    )
    try:
        with transaction.atomic():
            _walking_newest_first()
            return list(page)
    except OperationalError as error:
        if type(error.__cause__).__name__ == "QueryCanceled":  # psycopg: statement_timeout
            raise ListTooSlow from error
        raise


class ListTooSlow(Exception):
    """A staff list page gave up after settings.STAFF_LIST_TIMEOUT_MS (`verdict_page()`)."""


def _walking_newest_first() -> None:
    """Make PostgreSQL read a page by walking the completions newest first
    (courses_completion_recent_idx) and deciding each row's verdict with index lookups, until the
    page is full, for the rest of the transaction. The planner cannot estimate how many rows
    pass the verdict, so it otherwise joins and decides every completion of the course before
    sorting (0.7 s CPU at 100k completions for any page; walking: a few ms when the state is
    common). A state that almost no completion is in costs a walk through all of them: the page
    gives up after settings.STAFF_LIST_TIMEOUT_MS (`ListTooSlow`). JIT is switched off too
    (`_without_jit()`)."""
    if connection.vendor == "postgresql":
        timeout = int(settings.STAFF_LIST_TIMEOUT_MS)
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL jit = off; SET LOCAL enable_hashjoin = off; "
                f"SET LOCAL enable_mergejoin = off; SET LOCAL statement_timeout = {timeout}"
            )


def accreditation_overview(course) -> list[AccreditationCounts]:
    """Per accreditation of `course`: completions reportable (not yet reported), reported, blocked
    (per reason).

    Read from the stored verdicts (CompletionVerdict: one GROUP BY over an index, whatever the
    number of completions); an accreditation whose store is being rebuilt after a change of its
    rules is counted live instead (`live_overview()`). Two queries when every store is current.
    """
    counts = [AccreditationCounts(a) for a in CourseAccreditation.objects.for_course(course)]
    stored = {row.accreditation.pk: row for row in counts if row.accreditation.verdicts_current}
    if stored:
        states = (
            CompletionVerdict.objects.filter(accreditation_id__in=list(stored))
            .values_list("accreditation_id", "state")
            .annotate(count=Count("*"))
            .order_by()
        )
        for accreditation_id, state, number in states:
            _add_state(stored[accreditation_id], state, number)
    stale = [row for row in counts if row.accreditation.pk not in stored]
    if stale:
        _count_live(stale)
    return counts


def live_overview(course) -> list[AccreditationCounts]:
    """`accreditation_overview()` decided live for every completion (no stored verdict): what
    the store must always equal. Two queries (and on PostgreSQL one SET)."""
    counts = [AccreditationCounts(a) for a in CourseAccreditation.objects.for_course(course)]
    if counts:
        _count_live(counts)
    return counts


def _count_live(rows: list[AccreditationCounts]) -> None:
    with transaction.atomic():
        _without_jit()
        _count_states(rows)


def _add_state(row: AccreditationCounts, state: str | None, number: int) -> None:
    if state == REPORTED:
        row.reported += number
    elif not state:
        row.reportable += number
    else:
        row.blocked += number
        row.reasons[BlockReason(state)] += number


def _without_jit() -> None:
    """Switch PostgreSQL's JIT compilation off for the rest of the transaction: the verdict's
    CASE and subqueries make the planner expect a costly query, and compiling it cost more CPU
    than the query itself (0.55 s of 0.8 s for the overview at 100k completions)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _state(accreditation: CourseAccreditation) -> Case:
    """REPORTED once reported under `accreditation`, else its `reportability_expression()`."""
    reports = AttendanceReport.objects.filter(
        completion_id=OuterRef("pk"), accreditation_id=accreditation.pk
    )
    return Case(
        When(Exists(reports), then=Value(REPORTED)),
        default=reportability_expression(accreditation),
        output_field=CharField(),
    )


def _count_states(rows: list[AccreditationCounts]) -> None:
    """Add the course's completions to `rows` (accreditations of one course), counted per
    combination of states in one query."""
    columns = {f"state_{n}": _state(row.accreditation) for n, row in enumerate(rows)}
    states = (
        exportable_completions([rows[0].accreditation.course_id], include_revoked=True)
        .annotate(**columns)
        .order_by()
        .values_list(*columns)
        .annotate(count=Count("pk"))
    )
    for *combination, number in states:
        for row, state in zip(rows, combination, strict=True):
            _add_state(row, state, number)


def mark_reported(
    accreditation: CourseAccreditation,
    since: dt.date | None,
    until: dt.date | None,
    file_name: str,
    user=None,
    now=None,
) -> int:
    """Record every reportable, not yet reported completion of the period as reported in
    `file_name`; return how many were recorded.

    One INSERT … SELECT: the completions the stored verdicts call reportable (decided live by
    `completions_with_verdict()` while the store is being rebuilt); no list of ids passes
    through Python. The unique constraint on (accreditation, completion) skips the ones
    already reported and makes concurrent calls record each completion once (ON CONFLICT DO
    NOTHING); each call counts only the rows it wrote.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _without_jit()
        _lock_accreditation(accreditation.pk, shared=True)
        if _verdicts_current(accreditation):
            reportable = CompletionVerdict.objects.filter(
                accreditation_id=accreditation.pk, state=CompletionVerdict.REPORTABLE
            )
            selected = exportable_completions(
                [accreditation.course_id], since=since, until=until, include_revoked=True
            ).filter(pk__in=reportable.values("completion_id"))
        else:
            # Already reported ones are left to ON CONFLICT, not to NOT EXISTS: a scan of the
            # table being written (the plan for a table that was empty) would reread every new
            # row per row.
            selected = completions_with_verdict(accreditation, since, until).filter(
                block_reason__isnull=True
            )
        return _insert_reports(selected, accreditation, file_name, user, now)


def _verdicts_current(accreditation: CourseAccreditation) -> bool:
    """True when the stored verdicts follow `accreditation`'s rules (read now: one query)."""
    return CourseAccreditation.objects.filter(
        pk=accreditation.pk, verdicts_built_for=accreditation.verdict_rules_key()
    ).exists()


def record_attendance_reported(
    accreditation: CourseAccreditation,
    completion_ids: Iterable[int],
    file_name: str,
    user=None,
    now=None,
    chunk_size: int = 10_000,
) -> int:
    """Record that the given completions were reported in `file_name`; return how many are new.

    For a file already written (`export_attendance --mark-reported`): exactly the completions it
    holds, not what the period holds by now. In one transaction, one INSERT … SELECT per
    `chunk_size` ids. Completions of another course, or already recorded for this
    accreditation, are ignored, so a re-run changes nothing.
    """
    now = now or timezone.now()
    ids = sorted(set(completion_ids))
    created = 0
    with transaction.atomic():
        _lock_accreditation(accreditation.pk, shared=True)
        for start in range(0, len(ids), chunk_size):
            selected = CourseCompletion.objects.filter(
                pk__in=ids[start : start + chunk_size], version__course_id=accreditation.course_id
            )
            created += _insert_reports(selected, accreditation, file_name, user, now)
    return created


def mark_edition_reported(
    accreditation: EditionAccreditation, file_name: str, user=None, now=None
) -> int:
    """Record every reportable, not yet reported presence at the accreditation's masterclass
    edition as reported in `file_name`; return how many were recorded.

    As `mark_reported()`: one INSERT … SELECT with the verdict decided by the database
    (`edition_reportability_expression()`), no list of ids through Python, each presence
    recorded once under concurrent calls (ON CONFLICT DO NOTHING on the unique constraint).
    """
    selected = LiveSessionRegistration.objects.filter(
        edition_id=accreditation.edition_id, attended_at__isnull=False
    ).filter(IsNull(edition_reportability_expression(accreditation), True))
    with transaction.atomic():
        _without_jit()
        return _insert_reports(selected, accreditation, file_name, user, now or timezone.now())


def _insert_reports(subjects, accreditation, file_name: str, user, now) -> int:
    """INSERT a report (AttendanceReport, or EditionAttendanceReport for an edition
    accreditation: `pe_target()`) for each of `subjects` (a queryset of completions or
    presences) not yet reported under `accreditation`, set-based (ON CONFLICT DO NOTHING on the
    unique constraint); return how many were written. A completion's stored verdict becomes
    REPORTED in the same statement (PostgreSQL; SQLite: a second one): the caller holds the
    accreditation's lock (`_lock_accreditation()`, shared)."""
    target = pe_target(accreditation)
    subject = target.subject_field
    sql, params = _insert_sql(
        target.report_model,
        subjects.order_by().values(subject=F("pk")),
        {subject: "subject"},
        {
            "accreditation": accreditation.pk,
            "reported_at": connection.ops.adapt_datetimefield_value(now),
            "file_name": file_name,
            "reported_by": getattr(user, "pk", None),
        },
        conflict=("accreditation", subject),
    )
    if target is not COURSE_TARGET:
        return _execute(sql, params)
    if connection.vendor != "postgresql":
        created = _execute(sql, params)
        reported = AttendanceReport.objects.filter(
            accreditation_id=accreditation.pk, file_name=file_name, reported_at=now
        ).values(subject=F("completion_id"), verdict=Value(REPORTED))
        _execute(*_verdicts_sql(accreditation.pk, reported))
        return created
    column = connection.ops.quote_name(AttendanceReport._meta.get_field(subject).column)  # type: ignore[union-attr,arg-type]
    stored_sql, stored_params = _verdicts_sql(
        accreditation.pk, ("SELECT reported.subject, %s AS verdict FROM reported", [REPORTED])
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH reported AS ({sql} RETURNING {column} AS subject), "  # noqa: S608
            f"stored AS ({stored_sql}) SELECT count(*) FROM reported",
            [*params, *stored_params],
        )
        return cursor.fetchone()[0]


def _insert_sql(
    model, selected, columns: dict[str, str], constants: dict, conflict, update: str = ""
) -> tuple[str, list]:
    """An INSERT INTO `model`'s table of a row per row of `selected` (a values() queryset, or
    its SQL and parameters; `columns` maps fields to its names) with `constants` for the other
    fields, in one statement; on a conflict on the unique `conflict` fields DO NOTHING, or
    with `update` the name of a field, DO UPDATE it to the new value, unless it is unchanged
    or REPORTED (CompletionVerdict: a reported completion stays reported, so a writer that
    read before a report committed cannot undo it). Returns the SQL and its parameters."""
    meta = model._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    if isinstance(selected, tuple):
        select_sql, select_params = selected
    else:
        select_sql, select_params = selected.query.sql_with_params()
    names = ", ".join(column(name) for name in [*columns, *constants])
    values = ", ".join(
        [*(f"selected.{quote(alias)}" for alias in columns.values())] + ["%s"] * len(constants)
    )
    action = "DO NOTHING"
    params: list = [*constants.values(), *select_params]
    if update:
        field, table = column(update), quote(meta.db_table)
        action = (
            f"DO UPDATE SET {field} = EXCLUDED.{field} "
            f"WHERE {table}.{field} <> EXCLUDED.{field} AND {table}.{field} <> %s"
        )
        params.append(REPORTED)
    # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) "  # noqa: S608 - names from the models
        f"SELECT {values} FROM ({select_sql}) selected "
        f"WHERE 1 = 1 ON CONFLICT ({', '.join(column(name) for name in conflict)}) {action}"
    )
    return sql, params


def _execute(sql: str, params) -> int:
    """Run a writing statement; return how many rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- The stored verdicts -----------------------------------------------------------------------
#
# CompletionVerdict keeps `_state()` per completion and accreditation, for the staff overview.
# Every change of what a verdict reads rewrites the verdicts it touches in its own transaction
# (`refresh_verdicts()`), so a committed change is always counted; a change of an accreditation's
# rules rebuilds all of them in a task (`rebuild_verdicts()`), meanwhile the overview counts live.
#
# Concurrency (PostgreSQL, READ COMMITTED). A writer decides the verdicts in a statement that
# starts after it holds transaction-level advisory locks, so it reads every change committed by
# a writer that held them before: a refresh holds the accreditations' lock shared and its
# learners' lock exclusive (two changes about one learner are decided one after the other); a
# rebuild holds the accreditation's lock exclusive. Writing REPORTED takes no learner lock: a
# report is never undone, and no writer overwrites REPORTED (`_insert_sql()`).

_ACCREDITATION_LOCK = 5_318_001  # advisory lock namespaces: a key is (namespace << 32) | id
_LEARNER_LOCK = 5_318_002


def refresh_verdicts(completions, accreditations=None) -> None:
    """Decide the verdicts of `completions` (a CourseCompletion queryset) under every
    accreditation of their course (or only those whose id is in `accreditations`, ids or a
    values queryset) and store them.

    Call it in the transaction of the change, after the change. One query when no accreditation
    is concerned, else two and one INSERT … SELECT per accreditation.
    """
    courses = completions.order_by().values("version__course_id")
    concerned = CourseAccreditation.objects.filter(course_id__in=courses)
    if accreditations is not None:
        concerned = concerned.filter(pk__in=accreditations)
    if not _lock(concerned, completions):
        return
    for accreditation in concerned.order_by("pk"):  # read after the lock: its rules as they are
        _write_verdicts(
            accreditation, completions.filter(version__course_id=accreditation.course_id)
        )


def _lock(accreditations, completions) -> int:
    """Take the refresh's locks (shared on the accreditations, exclusive on the completions'
    learners, each in id order) in one statement; return how many accreditations there are."""
    if connection.vendor != "postgresql":  # SQLite runs one writing transaction at a time
        return accreditations.count()
    accreditation_sql, accreditation_params = (
        accreditations.order_by("pk").values(key=F("pk")).query.sql_with_params()
    )
    learner_sql, learner_params = (
        CourseCompletion.objects.filter(pk__in=completions.values("pk"))
        .order_by("enrollment__user_id")
        .values(key=F("enrollment__user_id"))
        .distinct()
        .query.sql_with_params()
    )
    key = "(%s::bigint << 32) | locked_id.key"  # the lock's key: (namespace << 32) | id
    sql = (
        f"SELECT accreditations.n, (SELECT count(pg_advisory_xact_lock({key})) "  # noqa: S608
        f"FROM ({learner_sql}) locked_id WHERE accreditations.n > 0) "
        f"FROM (SELECT count(pg_advisory_xact_lock_shared({key})) AS n "
        f"FROM ({accreditation_sql}) locked_id) accreditations"
    )
    params = (_LEARNER_LOCK, *learner_params, _ACCREDITATION_LOCK, *accreditation_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _write_verdicts(accreditation: CourseAccreditation, completions) -> int:
    """Store `_state()` of `completions` (of the accreditation's course) under `accreditation`;
    return how many verdicts changed."""
    decided = completions.order_by().values(
        subject=F("pk"), verdict=Coalesce(_state(accreditation), Value(""))
    )
    return _store_verdicts(accreditation.pk, decided)


def _store_verdicts(accreditation_id: int, decided) -> int:
    """Upsert the verdicts `decided` (a values() queryset of `subject`, a completion id, and
    `verdict`, its state) under the accreditation; return how many changed."""
    return _execute(*_verdicts_sql(accreditation_id, decided))


def _verdicts_sql(accreditation_id: int, decided) -> tuple[str, list]:
    return _insert_sql(
        CompletionVerdict,
        decided,
        {"completion": "subject", "state": "verdict"},
        {"accreditation": accreditation_id},
        conflict=("accreditation", "completion"),
        update="state",
    )


def _lock_accreditation(accreditation_id: int, *, shared: bool) -> None:
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {function}((%s::bigint << 32) | %s)",
                [_ACCREDITATION_LOCK, accreditation_id],
            )


REBUILD_CHUNK = 50_000  # completions decided per transaction of a rebuild


def rebuild_verdicts(accreditation_id: int, chunk_size: int = REBUILD_CHUNK) -> int:
    """Decide every completion of the accreditation's course again, store the verdicts and mark
    the store current for the rules read; return how many verdicts changed (new, different or
    no longer of the course).

    In transactions of `chunk_size` completions (in id order), each waiting for and then
    holding back the other writers of the accreditation's verdicts only while it runs (about a
    second: a learner completing the course meanwhile waits that long, not for the whole
    rebuild). Between chunks those writers decide with the new rules too. Gives up, leaving the
    store not current, when the rules change again meanwhile: that change queued its own.
    """
    rules, after, changed = None, 0, 0
    while True:
        with transaction.atomic():
            _lock_accreditation(accreditation_id, shared=False)
            accreditation = CourseAccreditation.objects.filter(pk=accreditation_id).first()
            if accreditation is None or rules not in (None, accreditation.verdict_rules_key()):
                return changed
            rules = accreditation.verdict_rules_key()
            _without_jit()
            completions = exportable_completions(
                [accreditation.course_id], include_revoked=True
            ).filter(pk__gt=after)
            last = next(
                iter(
                    completions.order_by("pk").values_list("pk", flat=True)[
                        chunk_size - 1 : chunk_size
                    ]
                ),
                None,
            )
            if last is not None:
                changed += _write_verdicts(accreditation, completions.filter(pk__lte=last))
                after = last
                continue
            changed += _write_verdicts(accreditation, completions)
            gone, _by_model = (
                CompletionVerdict.objects.filter(accreditation_id=accreditation_id)
                .exclude(completion__version__course_id=accreditation.course_id)
                .delete()
            )
            CourseAccreditation.objects.filter(pk=accreditation_id).update(verdicts_built_for=rules)
            return changed + gone


def queue_verdict_rebuild(accreditation_id: int) -> None:
    from .tasks import rebuild_verdicts_task

    rebuild_verdicts_task.delay(accreditation_id)


def verdict_differences(accreditation: CourseAccreditation) -> int:
    """How many of the accreditation's stored verdicts differ from a live decision: missing,
    different, or of a completion no longer of its course (0 when the store is right). Two
    queries, no lock: a change committing meanwhile may show as a difference."""
    stored = CompletionVerdict.objects.filter(
        accreditation_id=accreditation.pk, completion_id=OuterRef("pk")
    ).values("state")[:1]
    completions = exportable_completions([accreditation.course_id], include_revoked=True)
    wrong = (
        completions.annotate(
            stored=Subquery(stored), live=Coalesce(_state(accreditation), Value(""))
        )
        .filter(Q(stored__isnull=True) | ~Q(stored=F("live")))
        .count()
    )
    strays = (
        CompletionVerdict.objects.filter(accreditation_id=accreditation.pk)
        .exclude(completion__version__course_id=accreditation.course_id)
        .count()
    )
    return wrong + strays


def check_verdicts(fix: bool = True) -> dict[int, int]:
    """The safety net: per accreditation, how many stored verdicts were found wrong (rebuilt
    when `fix`); a store not current is rebuilt (or counted as wrong) too."""
    found = {}
    for accreditation in CourseAccreditation.objects.order_by("pk"):
        with transaction.atomic():
            _without_jit()
            wrong = verdict_differences(accreditation)
        if not accreditation.verdicts_current or wrong:
            found[accreditation.pk] = rebuild_verdicts(accreditation.pk) if fix else wrong
        if accreditation.verdicts_current and found.get(accreditation.pk):
            # A current store that was wrong: some writer did not refresh what it changed.
            logger.warning(
                "Stored verdicts of accreditation %s: %s wrong",
                accreditation.pk,
                found[accreditation.pk],
            )
    return found


# --- Receivers: what the verdicts read changed ---------------------------------------------------


def on_course_completed(sender, events, **kwargs) -> None:
    """New completions (courses.signals.course_completed): their verdicts."""
    ids = [event["completion"].pk for event in events]
    refresh_verdicts(CourseCompletion.objects.filter(pk__in=ids))


def on_completion_saved(sender, instance, **kwargs) -> None:
    """A completion saved or revoked one at a time (post_save)."""
    refresh_verdicts(CourseCompletion.objects.filter(pk=instance.pk))


def on_register_number_changed(sender, instance, **kwargs) -> None:
    """A learner's number added, changed, confirmed or deleted (post_save, post_delete)."""
    refresh_verdicts(CourseCompletion.objects.filter(enrollment__user_id=instance.user_id))


def on_register_numbers_changed(sender, user_ids, **kwargs) -> None:
    """Numbers written in bulk (accounts.signals.register_numbers_changed)."""
    refresh_verdicts(CourseCompletion.objects.filter(enrollment__user_id__in=user_ids))


LEARNER_FIELDS = frozenset({"email", "profession"})  # what the verdicts read of the account


def on_user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    """A learner's profession or e-mail address (account deletion) changed (post_save)."""
    if created or (update_fields is not None and not LEARNER_FIELDS & set(update_fields)):
        return
    refresh_verdicts(CourseCompletion.objects.filter(enrollment__user_id=instance.pk))


# --- PE-online submissions and replies --------------------------------------------------------
#
# One code path for both things PE-online is told about: completions of a course (under a
# CourseAccreditation) and presences at a masterclass edition (under an EditionAccreditation).
# `PeTarget` names, per kind, the model fields that differ; everything else is shared.


@dataclass(frozen=True)
class PeTarget:
    """Which rows a kind of accreditation reports and where its verdicts are written."""

    accreditation_field: str  # PeOnlineSubmission FK: "accreditation" / "edition_accreditation"
    subject_field: str  # PeOnlineSubmissionRow FK: "completion" / "registration"
    elearning_possible: bool

    @property
    def accreditation_model(self):
        return PeOnlineSubmission._meta.get_field(self.accreditation_field).related_model

    @property
    def report_model(self):
        from .models import EditionAttendanceReport

        return AttendanceReport if self.subject_field == "completion" else EditionAttendanceReport

    def rows(self, accreditation, since=None, until=None):
        """The accreditation's not yet reported AttendanceRows (`completion_id` is the
        subject's id: a completion or a registration)."""
        from .attendance import attendance_rows, edition_attendance_rows

        if self.subject_field == "completion":
            return attendance_rows(accreditation, since, until)
        return edition_attendance_rows(accreditation)


COURSE_TARGET = PeTarget("accreditation", "completion", elearning_possible=True)
EDITION_TARGET = PeTarget("edition_accreditation", "registration", elearning_possible=False)


def pe_target(accreditation) -> PeTarget:
    return COURSE_TARGET if isinstance(accreditation, CourseAccreditation) else EDITION_TARGET


def submission_target(submission: PeOnlineSubmission) -> PeTarget:
    return COURSE_TARGET if submission.accreditation_id else EDITION_TARGET


def _is_elearning(accreditation) -> bool:
    return accreditation.pe_course_type == CourseAccreditation.PeCourseType.ELEARNING


def latest_rejections(
    accreditation_ids, target: PeTarget = COURSE_TARGET
) -> dict[tuple[int, int], tuple[str, str]]:
    """{(subject id, accreditation id): (number sent, PE-online's reason)} for completions (or,
    with EDITION_TARGET, presences) whose latest PE-online verdict under that accreditation is a
    rejection not yet released. One query."""
    accreditation_key = f"submission__{target.accreditation_field}_id"
    subject_key = f"{target.subject_field}_id"
    rows = (
        PeOnlineSubmissionRow.objects.filter(
            **{f"{accreditation_key}__in": list(accreditation_ids)},
            status__in=[
                PeOnlineSubmissionRow.Status.ACCEPTED,
                PeOnlineSubmissionRow.Status.REJECTED,
            ],
        )
        .order_by(subject_key, accreditation_key, "-pk")
        .values_list(
            subject_key,
            accreditation_key,
            "status",
            "released_at",
            "register_number",
            "error_text",
        )
    )
    latest: dict[tuple[int, int], tuple[str, str]] = {}
    seen: set[tuple[int, int]] = set()
    for subject_id, accreditation_id, status, released_at, number, text in rows:
        key = (subject_id, accreditation_id)
        if key in seen:
            continue
        seen.add(key)
        if status == PeOnlineSubmissionRow.Status.REJECTED and released_at is None:
            latest[key] = (number, text)
    return latest


def prepare_pe_online_submissions(
    accreditation,
    since: dt.date | None = None,
    until: dt.date | None = None,
    user=None,
    completion_ids=None,
) -> list[PeOnlineSubmission]:
    """Write the reportable, not yet reported completions of the period (for a CourseAccreditation)
    or presences (for an EditionAccreditation; no period) into submissions of at most
    PE_ONLINE_BATCH_SIZE rows; return them. Rows waiting in an unanswered submission are left
    out; `completion_ids` limits the subjects. With the web service configured each submission
    is sent by Celery after commit.

    The accreditation row is locked, so two staff members preparing at once never put a
    completion into two submissions.
    """
    target = pe_target(accreditation)
    with transaction.atomic():
        target.accreditation_model.objects.select_for_update().get(pk=accreditation.pk)
        waiting = set(
            PeOnlineSubmissionRow.objects.filter(
                **{f"submission__{target.accreditation_field}": accreditation},
                submission__status=PeOnlineSubmission.Status.PENDING,
            ).values_list(f"{target.subject_field}_id", flat=True)
        )
        elearning = _is_elearning(accreditation)
        rows = [
            row
            for row in target.rows(accreditation, since, until)
            if row.reportable
            and row.completion_id not in waiting
            and (completion_ids is None or row.completion_id in completion_ids)
        ]
        size = settings.PE_ONLINE_BATCH_SIZE
        submissions = []
        for start in range(0, len(rows), size):
            submission = PeOnlineSubmission.objects.create(
                **{target.accreditation_field: accreditation}, created_by=user
            )
            PeOnlineSubmissionRow.objects.bulk_create(
                [
                    PeOnlineSubmissionRow(
                        submission=submission,
                        line=line,
                        register_number=row.result.register_number,
                        end_date=row.completed_at if elearning else None,
                        **{f"{target.subject_field}_id": row.completion_id},
                    )
                    for line, row in enumerate(rows[start : start + size], start=1)
                ]
            )
            submissions.append(submission)
        if pe_online.is_configured():
            for submission in submissions:
                transaction.on_commit(partial(_queue_send, submission.pk))
    return submissions


def _queue_send(submission_id: int) -> None:
    from .tasks import send_pe_online_submission_task

    send_pe_online_submission_task.delay(submission_id)


def submission_lines(submission: PeOnlineSubmission) -> list[pe_online.PeLine]:
    """What the submission sends, in line order (one query)."""
    accreditation = submission.target
    elearning = _is_elearning(accreditation)
    return [
        pe_online.PeLine(
            person=row.register_number,
            course_id=accreditation.pe_course_id,
            end_date=row.end_date,
            module_id=accreditation.pe_module_id if elearning else "",
            edition_id="" if elearning else accreditation.pe_edition_id,
        )
        for row in submission.rows.order_by("line")
    ]


def submission_xml(submission: PeOnlineSubmission, *, user_key: str = "") -> bytes:
    """The <Entry> of one submission; `user_key` only when sending it."""
    return b"".join(
        pe_online.entry_chunks(
            submission.target.effective_pe_org_id,
            submission_lines(submission),
            user_key=user_key,
        )
    )


_SUBMISSION_RELATED = ("accreditation__course", "edition_accreditation__edition__session_type")


def apply_pe_online_reply(submission_id: int, reply: bytes | str, user=None) -> PeOnlineSubmission:
    """Read PE-online's reply to a submission: accepted rows become AttendanceReports (or
    EditionAttendanceReports: reported), rejected rows keep PE-online's reason. Returns the
    submission.

    Raises PeOnlineReplyError (nothing written) when the reply is malformed, does not match what
    was sent, or the submission was already answered; PeOnlineBatchRefused when PE-online
    processed nothing (the caller marks the submission failed).
    """
    with transaction.atomic():
        submission = (
            PeOnlineSubmission.objects.select_for_update(of=("self",))
            .select_related(*_SUBMISSION_RELATED)
            .get(pk=submission_id)
        )
        if submission.status == PeOnlineSubmission.Status.ANSWERED:
            raise pe_online.PeOnlineReplyError(
                _(
                    "Deze aanlevering is al verwerkt; een antwoord kan maar één keer worden "
                    "ingelezen."
                )
            )
        target = submission_target(submission)
        rows = list(submission.rows.order_by("line"))
        verdicts = pe_online.match_reply(submission_lines(submission), pe_online.parse_reply(reply))
        now = timezone.now()
        accepted_rows = []
        for row, verdict in zip(rows, verdicts, strict=True):
            row.status = (
                PeOnlineSubmissionRow.Status.ACCEPTED
                if verdict.accepted
                else PeOnlineSubmissionRow.Status.REJECTED
            )
            row.error_text = verdict.error_text
            if verdict.accepted:
                accepted_rows.append(row)
        PeOnlineSubmissionRow.objects.bulk_update(rows, ["status", "error_text"])
        target.report_model.objects.bulk_create(
            [
                target.report_model(
                    accreditation_id=submission.target_id,
                    reported_at=now,
                    file_name=submission.file_name,
                    reported_by=user,
                    submission_row=row,
                    **{f"{target.subject_field}_id": row.subject_id},
                )
                for row in accepted_rows
            ],
            ignore_conflicts=True,
        )
        if target is COURSE_TARGET:  # accepted: reported; rejected: blocked for the number
            refresh_verdicts(
                CourseCompletion.objects.filter(pe_online_rows__submission_id=submission.pk),
                [submission.target_id],
            )
        submission.status = PeOnlineSubmission.Status.ANSWERED
        submission.answered_at = now
        submission.reply = reply if isinstance(reply, str) else reply.decode("utf-8", "replace")
        submission.error = ""
        submission.accepted_count = len(accepted_rows)
        submission.rejected_count = len(rows) - len(accepted_rows)
        submission.save(
            update_fields=[
                "status",
                "answered_at",
                "reply",
                "error",
                "accepted_count",
                "rejected_count",
            ]
        )
    return submission


def fail_pe_online_submission(submission_id: int, error: str, reply: bytes | str = b"") -> None:
    """Mark a submission failed with `error`; its rows were not processed (none is reported)."""
    with transaction.atomic():
        submission = PeOnlineSubmission.objects.select_for_update().get(pk=submission_id)
        if submission.status == PeOnlineSubmission.Status.ANSWERED:
            return
        submission.status = PeOnlineSubmission.Status.FAILED
        submission.error = error
        if reply:
            submission.reply = reply if isinstance(reply, str) else reply.decode("utf-8", "replace")
        submission.save(update_fields=["status", "error", "reply"])
        submission.rows.update(status=PeOnlineSubmissionRow.Status.NOT_PROCESSED)


def send_pe_online_submission(submission_id: int) -> str:
    """Send one pending submission to the web service and read the reply.

    Returns "answered", "retry" (service unavailable, attempts left: the row stays pending) or
    "failed" (malformed reply, refused batch, or attempts used up), or "skipped" when it is not
    pending any more. PE-online writes a resent batch only once, so a retry after a lost
    reply is safe.
    """
    with transaction.atomic():
        submission = (
            PeOnlineSubmission.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(*_SUBMISSION_RELATED)
            .filter(pk=submission_id, status=PeOnlineSubmission.Status.PENDING)
            .first()
        )
        if submission is None:
            return "skipped"
        submission.attempts += 1
        submission.last_attempt_at = timezone.now()
        submission.save(update_fields=["attempts", "last_attempt_at"])
        xml = submission_xml(submission, user_key=settings.PE_ONLINE_USER_KEY)
        try:
            reply = pe_online.post_entry(xml)
        except pe_online.PeOnlineUnavailable as exc:
            if submission.attempts >= settings.PE_ONLINE_MAX_ATTEMPTS:
                fail_pe_online_submission(submission.pk, str(exc))
                return "failed"
            submission.error = str(exc)
            submission.save(update_fields=["error"])
            return "retry"
        except pe_online.PeOnlineReplyError as exc:
            fail_pe_online_submission(submission.pk, str(exc))
            return "failed"
    try:
        apply_pe_online_reply(submission.pk, reply)
    except pe_online.PeOnlineReplyError as exc:
        fail_pe_online_submission(submission.pk, str(exc), reply)
        return "failed"
    return "answered"


def release_rejected_row(row_id: int, user=None) -> PeOnlineSubmissionRow:
    """Let staff offer a rejected row again unchanged (e.g. after PE-online fixed the course)."""
    with transaction.atomic():
        row = PeOnlineSubmissionRow.objects.select_for_update().get(pk=row_id)
        if row.status == PeOnlineSubmissionRow.Status.REJECTED and row.released_at is None:
            row.released_at = timezone.now()
            row.save(update_fields=["released_at"])
            if row.completion_id is not None:
                refresh_verdicts(
                    CourseCompletion.objects.filter(pk=row.completion_id),
                    PeOnlineSubmission.objects.filter(pk=row.submission_id).values(
                        "accreditation_id"
                    ),
                )
    return row


@dataclass
class PeOnlineState:
    submissions: list = field(default_factory=list)
    rejected_rows: list = field(default_factory=list)


def pe_online_overview(course, recent: int = 10) -> dict[int, PeOnlineState]:
    """Per accreditation id of `course`: its latest submissions and the rejected rows still
    waiting for a correction (with the learner, for staff). Three queries at most."""
    return _pe_online_states(COURSE_TARGET, {"course": course}, recent)


def edition_pe_online_overview(edition, recent: int = 10) -> dict[int, PeOnlineState]:
    """The same per accreditation id of a masterclass edition."""
    return _pe_online_states(EDITION_TARGET, {"edition": edition}, recent)


def _row_learner(row: PeOnlineSubmissionRow):
    if row.completion is not None:
        return row.completion.enrollment.user
    assert row.registration is not None  # records_pesubrow_one_subject
    return row.registration.user


def _pe_online_states(target: PeTarget, scope: dict, recent: int) -> dict[int, PeOnlineState]:
    accreditation_field = target.accreditation_field
    scope_filter = {f"{accreditation_field}__{name}": value for name, value in scope.items()}
    state: dict[int, PeOnlineState] = {}
    submissions = PeOnlineSubmission.objects.filter(**scope_filter).order_by(
        accreditation_field, "-created_at", "-pk"
    )
    for submission in submissions:
        entry = state.setdefault(submission.target_id, PeOnlineState())
        if len(entry.submissions) < recent:
            entry.submissions.append(submission)
    rejections = latest_rejections(list(state), target)
    if rejections:
        learner = (
            "completion__enrollment__user"
            if target.subject_field == "completion"
            else "registration__user"
        )
        rows = (
            PeOnlineSubmissionRow.objects.filter(
                status=PeOnlineSubmissionRow.Status.REJECTED,
                released_at__isnull=True,
                **{f"submission__{key}": value for key, value in scope_filter.items()},
            )
            .select_related(learner, "submission")
            .order_by("-pk")
        )
        seen = set()
        for row in rows:
            key = (row.subject_id, row.submission.target_id)
            if key in rejections and key not in seen:
                seen.add(key)
                row.learner = _row_learner(row)  # type: ignore[attr-defined]  # for the page
                state[row.submission.target_id].rejected_rows.append(row)
    return state


# --- Before a learner deletes their account ----------------------------------------------------


def _reported_or_waiting(target: PeTarget, subjects) -> set[tuple[int, int]]:
    """(subject id, accreditation id) pairs of `subjects` (completions or registrations, as
    `target` says) already reported or waiting in an unanswered PE-online submission. Two
    queries."""
    subject = target.subject_field
    reported = target.report_model.objects.filter(**{f"{subject}__in": subjects})
    waiting = PeOnlineSubmissionRow.objects.filter(
        **{f"{subject}__in": subjects}, submission__status=PeOnlineSubmission.Status.PENDING
    )
    return set(reported.values_list(f"{subject}_id", "accreditation_id")) | set(
        waiting.values_list(f"{subject}_id", f"submission__{target.accreditation_field}_id")
    )


def unreported_points(user) -> list[tuple[CourseCompletion, CourseAccreditation]]:
    """(completion, accreditation) pairs whose points could still be reported for `user` but are
    neither reported nor waiting in a PE-online submission. Deleting the account would lose them."""
    completions = list(
        completions_for_registers(user=user).filter(
            Exists(CourseAccreditation.objects.filter(course_id=OuterRef("version__course_id")))
        )
    )
    if not completions:
        return []
    accreditations = list(
        CourseAccreditation.objects.filter(
            course_id__in={c.version.course_id for c in completions}
        ).select_related("course")
    )
    done = _reported_or_waiting(COURSE_TARGET, completions)
    rejections = latest_rejections([a.pk for a in accreditations])
    pairs = []
    for completion in completions:
        for accreditation in accreditations:
            if accreditation.course_id != completion.version.course_id:
                continue
            if (completion.pk, accreditation.pk) in done:
                continue
            if reportability(completion, accreditation, rejections).reportable:
                pairs.append((completion, accreditation))
    return pairs


def unreported_presences(user) -> list[tuple[LiveSessionRegistration, EditionAccreditation]]:
    """(registration, edition accreditation) pairs of `user`'s masterclass presences whose points
    could still be reported (`records.attendance.edition_reportability`) but are neither
    reported nor waiting in a PE-online submission. Deleting the account would lose them.
    Six queries (one when the learner has no presence at an accredited edition)."""
    from .attendance import edition_reportability

    presences = list(
        LiveSessionRegistration.objects.filter(
            user=user, attended_at__isnull=False, edition__accreditations__isnull=False
        )
        .distinct()
        .select_related("user", "edition__session_type")
        .prefetch_related("user__register_numbers")
        .order_by("edition__starts_at", "pk")
    )
    if not presences:
        return []
    accreditations = list(
        EditionAccreditation.objects.filter(edition__in={p.edition_id for p in presences})
    )
    done = _reported_or_waiting(EDITION_TARGET, presences)
    rejections = latest_rejections([a.pk for a in accreditations], EDITION_TARGET)
    return [
        (registration, accreditation)
        for registration in presences
        for accreditation in accreditations
        if accreditation.edition_id == registration.edition_id
        and (registration.pk, accreditation.pk) not in done
        and edition_reportability(registration, accreditation, rejections).reportable
    ]


def report_before_deletion(user) -> int:
    """Put the learner's unreported points (completions and masterclass presences) into PE-online
    submissions (the numbers go with the rows, so they survive the account's deletion). Returns
    how many submissions were made."""
    by_accreditation: dict[
        tuple[str, int], tuple[CourseAccreditation | EditionAccreditation, set[int]]
    ] = {}
    for completion, accreditation in unreported_points(user):
        entry = by_accreditation.setdefault(("course", accreditation.pk), (accreditation, set()))
        entry[1].add(completion.pk)
    for registration, edition_accreditation in unreported_presences(user):
        entry = by_accreditation.setdefault(
            ("edition", edition_accreditation.pk), (edition_accreditation, set())
        )
        entry[1].add(registration.pk)
    made = 0
    for subject_accreditation, ids in by_accreditation.values():
        made += len(
            prepare_pe_online_submissions(subject_accreditation, user=user, completion_ids=ids)
        )
    return made


# --- What a certificate and the catalog say about accreditation -------------------------------


@dataclass(frozen=True)
class CertificateLine:
    """One register's accreditation as a certificate states it, with the learner's number as
    PE-online receives it ("" when the learner has no valid number for that register)."""

    register: str
    organisation: str
    pe_org_id: int | None
    accreditation_id: str  # PE-online course id (and edition)
    points: object
    number: str


def certificate_lines(completion: CourseCompletion) -> list[CertificateLine]:
    """The accreditations that cover `completion`: valid on its (Dutch) completion date and
    for a register that takes the learner's profession. Two queries."""
    from accounts.registers import register_info

    user = completion.enrollment.user
    day = timezone.localdate(completion.completed_at)
    numbers = list(user.register_numbers.all())
    lines = []
    for accreditation in CourseAccreditation.objects.for_course(completion.version.course_id):
        if not accreditation.is_valid_on(day):
            continue
        if not is_profession_eligible(user.profession, accreditation.register):
            continue
        number = matching_register_number(numbers, accreditation)
        normalised = normalised_number(number) if number is not None else None
        edition = f" / {accreditation.pe_edition_id}" if accreditation.pe_edition_id else ""
        lines.append(
            CertificateLine(
                register=accreditation.register_label,
                organisation=register_info(accreditation.register).pe_org_name,
                pe_org_id=accreditation.effective_pe_org_id,
                accreditation_id=f"{accreditation.pe_course_id}{edition}",
                points=accreditation.points,
                number=normalised or "",
            )
        )
    return lines


def accredited_course_ids() -> set[int]:
    """Courses with at least one accreditation: only these may be called "geaccrediteerd"."""
    return set(CourseAccreditation.objects.values_list("course_id", flat=True).distinct())
