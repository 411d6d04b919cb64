"""Course versions: drafts, reviews and publishing, and the audit log of every change.

Authors only ever edit a draft. Learners only ever see a published version. `create_draft`
deep-copies the published version (keeping every `key`); `publish_draft` swaps it in.

The publish rule for learners (tested in tests/courses/test_publishing.py):

- Enrolments that have NOT completed the course move to the new version. Publishing itself moves
  no one (a request that moved 100k learners took seconds): each unfinished learner moves the
  first time one of their requests touches the course (`keep_on_published_version`, called where
  the learner views get their enrolment), and a Celery sweep (`move_enrollments`, in short
  chunks) moves the rest within seconds, so reports and exports converge. Their LessonProgress is
  keyed by lesson key, so finished lessons stay finished; lessons that no longer exist stop
  counting; new required lessons must still be done before the course completes. Their private
  reflections move along to the reflection block with the same lesson and block key.
- Completed enrolments stay on the version they completed; `CourseCompletion.version` says which.
- Quiz attempts started on the old version stay valid: they point at the old quiz, which is kept
  (retired versions are never deleted), so they can be submitted and are graded as started.
  A final test passed on an earlier version counts for the final test with the same key
  (`services.maybe_complete_course`).

The review rule: when a course has reviewers, or has an accreditation (records), publishing needs
at least one approval of this draft by a current reviewer that is newer than the draft's last
content change and given by someone who did not edit this draft. A user who is an author of the
course cannot approve it. Only a site administrator changes roles on an accredited course, so
an author cannot remove the reviewers to publish unreviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.base import ModelState
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import (
    Block,
    ChangeRecord,
    Course,
    CourseCompletion,
    CourseRole,
    CourseVersion,
    Enrollment,
    GlossaryTerm,
    Lesson,
    Module,
    Option,
    Persona,
    Question,
    Quiz,
    QuizBlock,
    Reflection,
    ReflectionBlock,
    ReviewApproval,
    ReviewComment,
    ReviewRequest,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioStep,
)
from .reports import queue_report_refresh
from .tasks import move_enrollments_task, send_review_request_task, warm_lesson_pages_task

# Actions that change a draft's content; an approval must be newer than the last of these.
CONTENT_ACTIONS = [
    ChangeRecord.Action.CREATE,
    ChangeRecord.Action.UPDATE,
    ChangeRecord.Action.DELETE,
    ChangeRecord.Action.MOVE,
    ChangeRecord.Action.DRAFT,
]


def _short(value, limit=200):
    if isinstance(value, models.Model):
        value = str(value)
    elif isinstance(value, (FieldFile, File)):
        value = value.name or ""
    if isinstance(value, (list, tuple)):
        return [_short(v, limit) for v in value][:20]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_change(
    user,
    course,
    action,
    *,
    version=None,
    obj=None,
    object_type="",
    object_key="",
    summary="",
    changes=None,
) -> ChangeRecord:
    """Write and return one ChangeRecord (who, when, what). Call inside the change's transaction."""
    if obj is not None:
        object_type = object_type or getattr(obj, "kind", None) or obj._meta.model_name
        object_key = object_key or getattr(obj, "key", "") or getattr(obj, "slug", "")
        summary = summary or str(obj)
    return ChangeRecord.objects.create(
        course=course,
        version=version,
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type=str(object_type)[:40],
        object_key=str(object_key)[:64],
        summary=_short(summary, 300),
        changes={k: _short(v) for k, v in (changes or {}).items()},
    )


def record_persona_change(user, persona, action, changes=None) -> list[ChangeRecord]:
    """Record a change of a shared persona against every course whose draft shows it, as a content
    change of that draft (so an earlier review approval no longer counts); with no such draft, one
    record without a course. Published versions keep their own copy (`CourseVersion.personas`)."""
    drafts = CourseVersion.objects.filter(
        pk__in=personas_of_drafts(persona), status=CourseVersion.Status.DRAFT
    ).select_related("course")
    records = [
        record_change(user, draft.course, action, version=draft, obj=persona, changes=changes)
        for draft in drafts
    ]
    return records or [record_change(user, None, action, obj=persona, changes=changes)]


def personas_of_drafts(persona):
    """Ids of the versions whose persona stories or scenarios show `persona`."""
    shows = Q(personastoryblock__persona=persona) | Q(scenarioblock__persona=persona)
    return Block.objects.non_polymorphic().filter(shows).values("lesson__module__version")


def diff_of_form(form) -> dict:
    """{field: [old, new]} for the fields a bound, valid ModelForm changed."""
    diff = {}
    for name in form.changed_data:
        old = form.initial.get(name)
        new = form.cleaned_data.get(name)
        field = form.fields[name]
        if old is not None and hasattr(field, "queryset") and not isinstance(old, models.Model):
            # A foreign key's initial value is its pk; log what the author saw instead.
            old = field.queryset.filter(pk=old).first() or old
        diff[name] = [_short(old), _short(new)]
    return diff


# --- Drafts ------------------------------------------------------------------------------------


def _clone(obj, **overrides):
    """Save a copy of `obj` (a plain or multi-table/polymorphic model) as new rows; return it."""
    for field in obj._meta.concrete_fields:
        if field.primary_key or (field.one_to_one and field.remote_field.parent_link):
            setattr(obj, field.attname, None)
    obj.pk = None
    obj._state = ModelState()
    obj.__dict__.pop("_prefetched_objects_cache", None)
    for name, value in overrides.items():
        setattr(obj, name, value)
    obj.save()
    return obj


@transaction.atomic
def create_draft(course: Course, user) -> CourseVersion:
    """Return the course's draft, deep-copying the published (or latest) version when there is none.

    The copy keeps every `key` (modules, lessons, blocks, steps, quizzes, questions, options), so
    progress and reports follow the content. Polymorphic blocks and questions keep their subclass
    and fields; scenario choices point at the copied steps; quiz blocks at the copied quizzes.
    Writes the new rows and a ChangeRecord.
    """
    Course.objects.select_for_update().get(pk=course.pk)  # one draft at a time per course
    existing = course.versions.filter(status=CourseVersion.Status.DRAFT).first()
    if existing:
        return existing
    source = course.published_version or course.versions.order_by("-number").first()
    if source is None:
        raise ValidationError(_("Deze cursus heeft nog geen versie om van uit te gaan."))
    source_pk = source.pk
    number = (course.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = _clone(
        CourseVersion.objects.get(pk=source_pk),
        number=number,
        status=CourseVersion.Status.DRAFT,
        published_at=None,
        published_by=None,
    )

    quiz_map: dict[int, Quiz] = {}
    for quiz in Quiz.objects.filter(version_id=source_pk):
        old_pk = quiz.pk
        quiz_map[old_pk] = _clone(quiz, version=draft)
    question_map: dict[int, int] = {}
    for question in Question.objects.filter(quiz__version_id=source_pk).order_by("pk"):
        old_pk = question.pk
        question_map[old_pk] = _clone(question, quiz=quiz_map[question.quiz_id]).pk
    for option in Option.objects.filter(question__quiz__version_id=source_pk):
        _clone(option, question_id=question_map[option.question_id])

    module_map: dict[int, Module] = {}
    for module in Module.objects.filter(version_id=source_pk):
        old_pk = module.pk
        module_map[old_pk] = _clone(module, version=draft)
    lesson_map: dict[int, Lesson] = {}
    for lesson in Lesson.objects.filter(module__version_id=source_pk):
        old_pk = lesson.pk
        lesson_map[old_pk] = _clone(lesson, module=module_map[lesson.module_id])
    block_map: dict[int, int] = {}
    for block in Block.objects.filter(lesson__module__version_id=source_pk).order_by("pk"):
        old_pk = block.pk
        overrides: dict[str, Any] = {"lesson": lesson_map[block.lesson_id]}
        if isinstance(block, QuizBlock):
            overrides["quiz"] = quiz_map[block.quiz_id]
        block_map[old_pk] = _clone(block, **overrides).pk
    step_map: dict[int, int] = {}
    for step in ScenarioStep.objects.filter(scenario__lesson__module__version_id=source_pk):
        old_pk = step.pk
        step_map[old_pk] = _clone(step, scenario_id=block_map[step.scenario_id]).pk
    for choice in ScenarioChoice.objects.filter(
        step__scenario__lesson__module__version_id=source_pk
    ):
        _clone(
            choice,
            step_id=step_map[choice.step_id],
            next_step_id=step_map.get(choice.next_step_id) if choice.next_step_id else None,
        )

    record_change(
        user,
        course,
        ChangeRecord.Action.DRAFT,
        version=draft,
        object_type="version",
        object_key=str(draft.number),
        summary=_("Concept versie %(new)s gemaakt op basis van versie %(old)s")
        % {"new": draft.number, "old": source.number},
        changes={
            "from_version": source.number,
            "blocks": len(block_map),
            "questions": len(question_map),
        },
    )
    return draft


@transaction.atomic
def discard_draft(version: CourseVersion, user) -> None:
    """Delete the draft `version` with all its content; the published version is untouched.

    Only drafts of courses that have another version can be discarded (a new course's first
    version is all there is). Writes a ChangeRecord.
    """
    course = Course.objects.select_for_update().get(pk=version.course_id)
    if CourseRole.Role.AUTHOR not in user_roles(course, user) and not user.is_superuser:
        raise PermissionDenied
    if not version.is_editable:
        raise ValidationError(_("Alleen een concept kan worden weggegooid."))
    if not course.versions.exclude(pk=version.pk).exists():
        raise ValidationError(
            _("Dit is de enige versie van de cursus; die kan niet worden weggegooid.")
        )
    number = version.number
    # Blocks first: a quiz block protects its quiz, which the version's deletion would reach
    # before the lessons' blocks.
    Block.objects.filter(lesson__module__version=version).non_polymorphic().delete()
    version.delete()
    record_change(
        user,
        course,
        ChangeRecord.Action.DELETE,
        object_type="version",
        object_key=str(number),
        summary=_("Concept versie %(n)s weggegooid") % {"n": number},
    )


# --- Reviews -----------------------------------------------------------------------------------


def user_roles(course: Course, user) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(CourseRole.objects.filter(course=course, user=user).values_list("role", flat=True))


def course_has_reviewers(course: Course) -> bool:
    return CourseRole.objects.filter(course=course, role=CourseRole.Role.REVIEWER).exists()


def course_is_accredited(course: Course) -> bool:
    """Whether an accreditation body accredits the course (asked of the records app)."""
    from records.services import course_has_accreditation  # records imports courses

    return course_has_accreditation(course)


def review_required(course: Course) -> bool:
    """Publishing needs an approval when the course has reviewers or an accreditation."""
    return course_has_reviewers(course) or course_is_accredited(course)


def editors_of(version: CourseVersion) -> set[int]:
    """Ids of the users who changed the content of `version` (made it, added, edited, moved or
    deleted something); their approval of it does not count."""
    return set(
        ChangeRecord.objects.filter(
            version=version, action__in=CONTENT_ACTIONS, user__isnull=False
        ).values_list("user_id", flat=True)
    )


def last_content_change_at(version: CourseVersion):
    return ChangeRecord.objects.filter(version=version, action__in=CONTENT_ACTIONS).aggregate(
        at=Max("created_at")
    )["at"]


def valid_approvals(version: CourseVersion) -> list[ReviewApproval]:
    """Approvals of `version` that count: given after its last content change (older ones are
    outdated), by someone who is still a reviewer of the course and did not edit this draft."""
    changed_at = last_content_change_at(version)
    approvals = (
        ReviewApproval.objects.filter(
            version=version,
            reviewer__in=CourseRole.objects.filter(
                course_id=version.course_id, role=CourseRole.Role.REVIEWER
            ).values("user_id"),
        )
        .exclude(reviewer_id__in=editors_of(version))
        .select_related("reviewer")
    )
    if changed_at is not None:
        approvals = approvals.filter(approved_at__gt=changed_at)
    return list(approvals)


@transaction.atomic
def approve_version(version: CourseVersion, reviewer, note: str = "") -> ReviewApproval:
    """Record (or renew) `reviewer`'s approval of the draft. Authors cannot approve their course."""
    roles = user_roles(version.course, reviewer)
    if CourseRole.Role.REVIEWER not in roles:
        raise PermissionDenied(_("Alleen een reviewer van deze cursus kan goedkeuren."))
    if CourseRole.Role.AUTHOR in roles:
        raise PermissionDenied(
            _("Je bent auteur van deze cursus en kunt je eigen concept niet goedkeuren.")
        )
    if not version.is_editable:
        raise ValidationError(_("Alleen een concept kan worden goedgekeurd."))
    if reviewer.pk in editors_of(version):
        raise PermissionDenied(
            _("Je hebt aan dit concept meegeschreven en kunt het daarom niet goedkeuren.")
        )
    approval, _created = ReviewApproval.objects.update_or_create(
        version=version,
        reviewer=reviewer,
        defaults={"approved_at": timezone.now(), "note": note[:500]},
    )
    record_change(
        reviewer,
        version.course,
        ChangeRecord.Action.APPROVE,
        version=version,
        object_type="version",
        object_key=str(version.number),
        summary=note[:300] or _("Goedgekeurd"),
    )
    return approval


@transaction.atomic
def request_review(version: CourseVersion, user, note: str = "") -> ReviewRequest:
    """An author asks the course's reviewers to review the draft `version`.

    Writes a ReviewRequest and a ChangeRecord; after commit a Celery task e-mails every reviewer
    (`send_review_request_task`). Refuses when the course has no reviewers (nobody to ask).
    """
    course = version.course
    if CourseRole.Role.AUTHOR not in user_roles(course, user) and not user.is_superuser:
        raise PermissionDenied(_("Alleen een auteur van deze cursus kan om een review vragen."))
    if not version.is_editable:
        raise ValidationError(_("Alleen voor een concept kan een review worden aangevraagd."))
    if not course_has_reviewers(course):
        raise ValidationError(
            _("Deze cursus heeft nog geen reviewers. Voeg eerst een reviewer toe.")
        )
    review_request = ReviewRequest.objects.create(
        version=version, requested_by=user, note=(note or "").strip()[:500]
    )
    record_change(
        user,
        course,
        ChangeRecord.Action.REVIEW,
        version=version,
        object_type="version",
        object_key=str(version.number),
        summary=review_request.note[:300],
    )
    transaction.on_commit(lambda: send_review_request_task.delay(review_request.pk))
    return review_request


def send_review_request_mail(review_request_id: int) -> int:
    """Send each current reviewer of the course one e-mail (in Dutch) with a link to the review
    queue and the draft; returns how many were sent (0 when the request is gone)."""
    review_request = (
        ReviewRequest.objects.filter(pk=review_request_id)
        .select_related("version__course", "requested_by")
        .first()
    )
    if review_request is None:
        return 0
    version = review_request.version
    reviewers = list(
        CourseRole.objects.filter(course=version.course, role=CourseRole.Role.REVIEWER)
        .select_related("user")
        .values_list("user__email", flat=True)
    )
    site = settings.SITE_URL.rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Review gevraagd: %(title)s (versie %(n)s)") % {
            "title": version.title,
            "n": version.number,
        }
        body = _(
            "%(who)s vraagt je het concept van versie %(n)s van ‘%(title)s’ te bekijken.\n\n"
            "%(note)s"
            "Open het concept: %(course_url)s\n"
            "Alles wat op je wacht: %(queue_url)s\n"
        ) % {
            "who": review_request.requested_by or _("Een auteur"),
            "n": version.number,
            "title": version.title,
            "note": f"{review_request.note}\n\n" if review_request.note else "",
            "course_url": site + reverse("authoring:course", args=[version.course.slug]),
            "queue_url": site + reverse("authoring:review_queue"),
        }
    messages = [
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in reviewers
    ]
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


@transaction.atomic
def add_review_comment(
    version: CourseVersion,
    user,
    text: str,
    lesson_key: str = "",
    *,
    block_key: str = "",
    quiz_key: str = "",
    question_key: str = "",
) -> ReviewComment:
    """Store a comment by an author or reviewer of the course on the version, or on one lesson,
    block, quiz or question of it (the caller checked that those keys exist)."""
    if not user_roles(version.course, user) and not user.is_superuser:
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Schrijf eerst een opmerking."))
    comment = ReviewComment.objects.create(
        version=version,
        author=user,
        text=text[:5000],
        lesson_key=lesson_key,
        block_key=block_key if lesson_key else "",
        quiz_key=quiz_key,
        question_key=question_key if quiz_key else "",
    )
    record_change(
        user,
        version.course,
        ChangeRecord.Action.COMMENT,
        version=version,
        object_type="comment",
        object_key=block_key or question_key or lesson_key or quiz_key,
        summary=text[:300],
    )
    return comment


@transaction.atomic
def resolve_review_comment(comment: ReviewComment, user, resolved: bool = True) -> ReviewComment:
    """Mark a review comment handled (or open it again); only the course's authors may."""
    course = comment.version.course
    if CourseRole.Role.AUTHOR not in user_roles(course, user) and not user.is_superuser:
        raise PermissionDenied
    comment.resolved_at = timezone.now() if resolved else None
    comment.save(update_fields=["resolved_at"])
    record_change(
        user,
        course,
        ChangeRecord.Action.COMMENT,
        version=comment.version,
        object_type="comment",
        object_key=comment.lesson_key,
        summary=(_("Afgehandeld: %(text)s") if resolved else _("Heropend: %(text)s"))
        % {"text": comment.text[:200]},
    )
    return comment


# --- Publishing --------------------------------------------------------------------------------


def publish_blockers(version: CourseVersion) -> list[str]:
    """Dutch sentences naming what stops `version` from being published; empty when it may be.

    Reads the version's lessons, blocks, quizzes, questions with options and the approvals.
    """
    problems: list[str] = []
    if not version.is_editable:
        return [_("Alleen een concept kan worden gepubliceerd.")]
    lessons = list(version.lessons_in_order().annotate(n_blocks=models.Count("blocks")))
    if not lessons:
        problems.append(_("De cursus heeft nog geen lessen."))
    for lesson in lessons:
        if lesson.n_blocks == 0:
            problems.append(_("Les ‘%(title)s’ heeft nog geen inhoud.") % {"title": lesson.title})
    for scenario in ScenarioBlock.objects.filter(lesson__module__version=version).annotate(
        n_steps=models.Count("steps")
    ):
        if scenario.n_steps == 0:
            problems.append(
                _("Scenario ‘%(title)s’ heeft nog geen stappen.") % {"title": scenario.title}
            )
    quizzes = Quiz.objects.filter(version=version).prefetch_related(
        Prefetch("questions", queryset=Question.objects.prefetch_related("options"))
    )
    for quiz in quizzes:
        questions = list(quiz.questions.all())
        if not questions:
            problems.append(_("Quiz ‘%(title)s’ heeft nog geen vragen.") % {"title": quiz.title})
        for index, question in enumerate(questions, start=1):
            if not question.has_correct_answer():
                problems.append(
                    _("Vraag %(n)s van quiz ‘%(title)s’ heeft geen juist antwoord.")
                    % {"n": index, "title": quiz.title}
                )
    if course_is_accredited(version.course):
        if not valid_approvals(version):
            problems.append(
                _(
                    "Deze cursus is geaccrediteerd: een reviewer die niet aan dit concept heeft "
                    "meegeschreven moet het eerst goedkeuren (na de laatste wijziging)."
                )
            )
    elif course_has_reviewers(version.course) and not valid_approvals(version):
        problems.append(
            _("Een reviewer moet dit concept eerst goedkeuren (na de laatste wijziging).")
        )
    return problems


@dataclass
class PublishResult:
    version: CourseVersion
    retired: CourseVersion | None
    # Unfinished learners on an older version at publication: they move on their next request or
    # by the sweep right after (`move_enrollments`).
    to_move: int
    kept_enrollments: int


@transaction.atomic
def publish_draft(version: CourseVersion, user) -> PublishResult:
    """Publish the draft `version` for an author of the course, in one transaction.

    Raises PermissionDenied for anyone but an author (or superuser), and ValidationError listing
    the blockers (`publish_blockers`) when it may not be published; then `swap_published_version`.
    """
    course = Course.objects.select_for_update().get(pk=version.course_id)
    version = CourseVersion.objects.select_for_update().get(pk=version.pk)
    version.course = course
    if CourseRole.Role.AUTHOR not in user_roles(course, user) and not user.is_superuser:
        raise PermissionDenied(_("Alleen een auteur van deze cursus kan publiceren."))
    problems = publish_blockers(version)
    if problems:
        raise ValidationError(problems)
    return swap_published_version(version, user)


@transaction.atomic
def swap_published_version(version: CourseVersion, user=None) -> PublishResult:
    """Make `version` the published one; unfinished learners follow it (the publish rule).

    No permission or review checks: `publish_draft` does those; trusted callers (the course
    file importer) call this directly. Sets the version published (the previous one retired)
    and `Course.published_version`, writes a ChangeRecord with the learners to move and to keep,
    and queues the sweep that moves them (`move_enrollments`) after commit. Moves no one itself:
    its cost does not grow with the learners.
    """
    course = Course.objects.select_for_update().get(pk=version.course_id)
    version.course = course
    retired = course.published_version
    if retired is not None and retired.pk != version.pk:
        retired.status = CourseVersion.Status.RETIRED
        retired.save(update_fields=["status"])
    # Any other published version left behind (data from before this rule) retires too.
    CourseVersion.objects.filter(course=course, status=CourseVersion.Status.PUBLISHED).exclude(
        pk=version.pk
    ).update(status=CourseVersion.Status.RETIRED)
    now = timezone.now()
    version.status = CourseVersion.Status.PUBLISHED
    version.published_at = now
    version.published_by = user if user is not None and user.is_authenticated else None
    version.personas = persona_snapshots(version)
    version.glossary = glossary_snapshots(version)
    version.save(update_fields=["status", "published_at", "published_by", "personas", "glossary"])
    course.published_version = version
    course.save(update_fields=["published_version"])

    counts = (
        Enrollment.objects.filter(course=course)
        .exclude(version=version)
        .aggregate(
            behind=models.Count("pk"),
            to_move=models.Count("pk", filter=Q(completed_at__isnull=True)),
        )
    )
    to_move, kept = counts["to_move"], counts["behind"] - counts["to_move"]

    record_change(
        user,
        course,
        ChangeRecord.Action.PUBLISH,
        version=version,
        object_type="version",
        object_key=str(version.number),
        summary=_("Versie %(n)s gepubliceerd") % {"n": version.number},
        changes={
            "retired_version": retired.number if retired and retired.pk != version.pk else None,
            "to_move": to_move,
            "kept_enrollments": kept,
        },
    )
    if to_move:
        transaction.on_commit(lambda: move_enrollments_task.delay(course.pk), robust=True)
    # The first learners should not wait for the lesson pages to render (courses.lesson_pages);
    # robust: a failed warm-up only means the pages render on first view instead.
    transaction.on_commit(lambda: warm_lesson_pages_task.delay(version.pk), robust=True)
    # The author report follows the published version's lessons and questions.
    queue_report_refresh([course.pk])
    return PublishResult(version, retired, to_move, kept)


# --- Moving learners to the published version ---------------------------------------------------

# Enrolments one sweep transaction moves: short locks, a bounded statement (no id list grows).
MOVE_CHUNK = 1000


def enrollments_to_move(course_id: int):
    """Unfinished enrolments of the course on another version than its published one."""
    return (
        Enrollment.objects.filter(course_id=course_id, completed_at__isnull=True)
        .filter(~Exists(CourseCompletion.objects.filter(enrollment=OuterRef("pk"))))
        .exclude(version_id=F("course__published_version_id"))
    )


def _move_locked(course: Course, enrollments, *, skip_locked: bool) -> list[int]:
    """Lock the unfinished, not yet moved enrolments among `enrollments` (the first MOVE_CHUNK by
    pk), move them and their reflections to the course's published version; returns their pks.

    Call inside a transaction. A completion locks the same row (services.lock_enrollment) and sets
    `completed_at` with it, so a completed enrolment is never moved and a moved one completes on
    the new version: PostgreSQL re-checks `completed_at IS NULL` on a row it waited for."""
    version_id = course.published_version_id
    rows = list(
        enrollments.filter(course=course, completed_at__isnull=True)
        .exclude(version_id=version_id)
        .filter(~Exists(CourseCompletion.objects.filter(enrollment=OuterRef("pk"))))
        .select_for_update(skip_locked=skip_locked)
        .order_by("pk")
        .values_list("pk", "user_id")[:MOVE_CHUNK]
    )
    if not rows:
        return []
    _move_reflections(course, version_id, [user_id for _pk, user_id in rows])
    pks = [pk for pk, _user_id in rows]
    Enrollment.objects.filter(pk__in=pks).update(version_id=version_id)
    return pks


def keep_on_published_version(enrollment: Enrollment) -> Enrollment:
    """Return `enrollment`, moved to its course's published version when publishing left it
    behind unfinished (the publish rule; the sweep may not have reached it yet).

    No query when it is on the published version or completed (`enrollment.course` loaded, with
    `published_version` to spare a query after a move); else one locked, idempotent step that
    moves the enrolment and its reflections and sets `enrollment.version`.
    """
    course = enrollment.course
    if enrollment.completed_at is not None or course.published_version_id in (
        None,
        enrollment.version_id,
    ):
        return enrollment
    with transaction.atomic():
        moved = _move_locked(course, Enrollment.objects.filter(pk=enrollment.pk), skip_locked=False)
    if not moved:
        # Moved by the sweep, or completed in the meantime: the row says which.
        fresh = Enrollment.objects.values("version_id", "completed_at").get(pk=enrollment.pk)
        enrollment.completed_at = fresh["completed_at"]
        enrollment.version_id = fresh["version_id"]  # a changed id drops the cached version
    if moved or enrollment.version_id == course.published_version_id:
        published = course.published_version
        if published is not None:  # it is: its id was checked above
            enrollment.version = published
    return enrollment


def courses_with_learners_to_move() -> list[int]:
    """Ids of the published courses that still have unfinished learners on an older version (a
    sweep that was never queued or not finished: the broker was down at publication)."""
    behind = Enrollment.objects.filter(course=OuterRef("pk"), completed_at__isnull=True).exclude(
        version_id=OuterRef("published_version_id")
    )
    return list(
        Course.objects.filter(published_version__isnull=False)
        .filter(Exists(behind))
        .values_list("pk", flat=True)
    )


def move_enrollments(course_id: int) -> tuple[int, int]:
    """Move the course's unfinished learners left behind by publishing to its published version,
    in chunks of MOVE_CHUNK, each its own short transaction that skips enrolments a learner's
    request holds (that request moves or completes them). Returns (moved, still to move)."""
    moved = after = 0
    while True:
        with transaction.atomic():
            course = Course.objects.get(pk=course_id)
            if course.published_version_id is None:
                return moved, 0
            # Keyset: each chunk starts after the last one, not at the rows already moved.
            pks = _move_locked(course, Enrollment.objects.filter(pk__gt=after), skip_locked=True)
        moved += len(pks)
        if len(pks) < MOVE_CHUNK:
            return moved, enrollments_to_move(course_id).count()
        after = pks[-1]


def personas_of(version: CourseVersion):
    """The personas the version's persona stories and scenarios show (a queryset)."""
    in_version = Q(stories__lesson__module__version=version) | Q(
        scenarios__lesson__module__version=version
    )
    return Persona.objects.filter(in_version).distinct()


def persona_snapshots(version: CourseVersion) -> dict:
    """{"<pk>": snapshot} of the personas the version shows, kept on it at publication."""
    return {str(p.pk): p.snapshot() for p in personas_of(version)}


def glossary_snapshots(version: CourseVersion) -> dict:
    """{"<pk>": snapshot} of the course's glossary terms, kept on the version at publication: its
    lessons' term links and popovers show these definitions whatever happens to the terms later."""
    return {str(t.pk): t.snapshot() for t in GlossaryTerm.objects.filter(courses=version.course_id)}


def _move_reflections(course, version_id, user_ids):
    """Point moved learners' reflections at the new version's block with the same keys.

    `user_ids` is a list (at most MOVE_CHUNK) or subquery of the moving learners. One UPDATE per
    reflection block of the version, whatever the number of learners; should older versions hold
    two reflections of a learner for the same block, the newest moves."""
    targets = ReflectionBlock.objects.filter(lesson__module__version_id=version_id).values_list(
        "pk", "key", "lesson__key"
    )
    for target, key, lesson_key in targets:
        older = Reflection.objects.filter(
            block__lesson__module__version__course=course,
            block__lesson__key=lesson_key,
            block__key=key,
        ).exclude(block__lesson__module__version_id=version_id)
        # Portable "newest per learner" (DISTINCT ON is PostgreSQL only; `make run` is SQLite).
        newer = older.filter(user_id=OuterRef("user_id")).filter(
            Q(updated_at__gt=OuterRef("updated_at"))
            | Q(updated_at=OuterRef("updated_at"), pk__gt=OuterRef("pk"))
        )
        newest = older.filter(user_id__in=user_ids).filter(~Exists(newer)).values("pk")
        Reflection.objects.filter(pk__in=Subquery(newest)).update(block_id=target)
