"""Rules of the Dutch quality registers: who earns points where, and which completions count.

`reportability()` decides per completion and accreditation; `registration_warnings()` tells a
learner before the final test what would block their points; `accreditation_overview()` counts
for staff; `record_attendance_reported()` records what was sent. See docs/registers.md.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RegisterNumber, User
from accounts.registers import InvalidRegisterNumber, normalise_register_number, professions_for
from courses.models import CourseCompletion, Quiz, QuizAttempt

from .models import AttendanceReport, BlockReason, CourseAccreditation

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
            number.register_name.strip().casefold()
            != accreditation.register_name.strip().casefold()
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
    try:
        return normalise_register_number(register_number.number, register_number.register)
    except (InvalidRegisterNumber, KeyError):
        return None


@dataclass(frozen=True)
class Reportability:
    """Whether one completion can be reported under one accreditation."""

    reason: BlockReason | None
    register_number: str = ""

    @property
    def reportable(self) -> bool:
        return self.reason is None

    @property
    def reason_label(self) -> str:
        return "" if self.reason is None else str(BlockReason(self.reason).label)


def _first_final_attempt_passed(completion) -> bool:
    # Export querysets annotate this; a single call falls back to one query.
    if hasattr(completion, "first_final_passed"):
        return bool(completion.first_final_passed)
    first = (
        QuizAttempt.objects.filter(
            enrollment_id=completion.enrollment_id,
            quiz__kind=Quiz.Kind.FINAL,
            submitted_at__isnull=False,
        )
        .order_by("submitted_at", "number")
        .values_list("passed", flat=True)
        .first()
    )
    return bool(first)


def reportability(
    completion: CourseCompletion, accreditation: CourseAccreditation
) -> Reportability:
    """Decide whether `completion` earns the accreditation's points (no query when prefetched).

    Checked in this order, the first failing rule is the reason: revoked certificate, profession
    not eligible for the register, no number for the register, invalid number, completed outside
    the validity period, score below the minimum, passed only after the first attempt.
    """
    user = completion.enrollment.user
    if completion.revoked_at is not None:
        return Reportability(BlockReason.REVOKED)
    if not is_profession_eligible(user.profession, accreditation.register):
        return Reportability(BlockReason.PROFESSION_NOT_ELIGIBLE)
    number = matching_register_number(user.register_numbers.all(), accreditation)
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
    return Reportability(None, normalised)


def completions_for_export(course, since: dt.date | None = None, until: dt.date | None = None):
    """Completions of `course` completed between `since` and `until` (local dates, inclusive).

    Bundles what `reportability()` reads: the learner (joined), their register numbers (one
    prefetch query per iterator chunk) and whether the first final-test attempt passed (subquery).
    """
    first_final = (
        QuizAttempt.objects.filter(
            enrollment_id=OuterRef("enrollment_id"),
            quiz__kind=Quiz.Kind.FINAL,
            submitted_at__isnull=False,
        )
        .order_by("submitted_at", "number")
        .values("passed")[:1]
    )
    qs = (
        CourseCompletion.objects.filter(version__course=course)
        .select_related("enrollment__user")
        .prefetch_related(
            Prefetch(
                "enrollment__user__register_numbers", queryset=RegisterNumber.objects.order_by("pk")
            )
        )
        .annotate(first_final_passed=Subquery(first_final))
        .order_by("completed_at", "pk")
    )
    if since is not None:
        qs = qs.filter(completed_at__gte=_start_of_local_day(since))
    if until is not None:
        qs = qs.filter(completed_at__lt=_start_of_local_day(until + dt.timedelta(days=1)))
    return qs


def _start_of_local_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


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


def registration_warnings(user, course) -> list[RegistrationWarning]:
    """Dutch messages: what is missing or invalid for the registers that accredit `course`.

    Only registers that accept the learner's profession are mentioned; a learner whose profession
    no accrediting register accepts is told so once. Returns [] when the course has no accreditation
    or everything is in order. Two queries (accreditations, the learner's numbers).
    """
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
        return [
            (str(reason.label), self.reasons[reason])
            for reason in BlockReason
            if self.reasons[reason]
        ]


def accreditation_overview(course, chunk_size: int = 500) -> list[AccreditationCounts]:
    """Per accreditation of `course`: completions reportable (not yet reported), reported, blocked.

    Reads every completion once: 1 query for accreditations, 1 for reported pairs, 1 for the
    completions and 1 per chunk of `chunk_size` for register numbers.
    """
    counts = [AccreditationCounts(a) for a in CourseAccreditation.objects.for_course(course)]
    if not counts:
        return counts
    reported = set(
        AttendanceReport.objects.filter(accreditation__course=course).values_list(
            "completion_id", "accreditation_id"
        )
    )
    for completion in completions_for_export(course).iterator(chunk_size=chunk_size):
        for row in counts:
            if (completion.pk, row.accreditation.pk) in reported:
                row.reported += 1
                continue
            result = reportability(completion, row.accreditation)
            if result.reportable:
                row.reportable += 1
            else:
                row.blocked += 1
                row.reasons[result.reason] += 1
    return counts


def record_attendance_reported(
    accreditation: CourseAccreditation,
    completion_ids: Iterable[int],
    file_name: str,
    user=None,
    now=None,
) -> int:
    """Record that the given completions were reported in `file_name`; return how many are new.

    Writes AttendanceReport rows in one transaction. Completions of another course, or already
    recorded for this accreditation, are ignored, so a re-run changes nothing.
    """
    now = now or timezone.now()
    ids = set(completion_ids)
    with transaction.atomic():
        valid = CourseCompletion.objects.filter(
            pk__in=ids, version__course_id=accreditation.course_id
        )
        new_ids = list(
            valid.exclude(
                Exists(
                    AttendanceReport.objects.filter(
                        completion_id=OuterRef("pk"), accreditation=accreditation
                    )
                )
            ).values_list("pk", flat=True)
        )
        AttendanceReport.objects.bulk_create(
            [
                AttendanceReport(
                    completion_id=pk,
                    accreditation=accreditation,
                    reported_at=now,
                    file_name=file_name,
                    reported_by=user,
                )
                for pk in sorted(new_ids)
            ],
            ignore_conflicts=True,
        )
    return len(new_ids)
