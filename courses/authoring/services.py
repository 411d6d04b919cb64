"""Authoring workflows: create, save, move and delete course content in a draft.

Each function is one transaction that also writes a ChangeRecord, so the audit log always
matches the content. Views call these; they never save content themselves.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, ProtectedError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses import publishing
from courses.models import ChangeRecord, Course, CourseImport, CourseRole, CourseVersion, Module
from courses.models.content import new_key
from courses.publishing import diff_of_form, record_change, record_persona_change


def can_create_courses(user) -> bool:
    """`Course.may_be_created_by` (the one copy of the rule)."""
    return Course.may_be_created_by(user)


def next_position(queryset) -> int:
    top = queryset.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def unique_key(queryset, text: str) -> str:
    """A readable key from `text` (‘Sekse en gender’ → ‘sekse-en-gender’) unused in `queryset`."""
    base = slugify(text)[:50].strip("-") or new_key()
    taken = set(queryset.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


@transaction.atomic
def create_course(user, *, slug: str, title: str, summary: str = "") -> Course:
    """Create a course with an empty draft version 1 and one module; make `user` its author."""
    if not can_create_courses(user):
        raise PermissionDenied
    course = Course.objects.create(slug=slug)
    version = CourseVersion.objects.create(course=course, number=1, title=title, summary=summary)
    Module.objects.create(version=version, key="module-1", title=_("Module 1"), position=0)
    CourseRole.objects.create(course=course, user=user, role=CourseRole.Role.AUTHOR)
    record_change(
        user, course, ChangeRecord.Action.CREATE, version=version, obj=course, summary=title
    )
    return course


def _require_draft(version: CourseVersion):
    if not version.is_editable:
        # Published and retired versions are frozen: learners may be on them.
        raise ValidationError(_("Deze versie is gepubliceerd en kan niet meer worden gewijzigd."))


def _save_parent(form, draft: CourseVersion, fields: dict):
    """Set `fields` (a new object's parent, key, position) and save the form; returns
    (object, whether it was new, the form's diff)."""
    _require_draft(draft)
    obj = form.instance
    adding = obj._state.adding
    for name, value in fields.items():
        setattr(obj, name, value)
    diff = diff_of_form(form)
    return form.save(), adding, diff


def _record_save(user, draft: CourseVersion, obj, adding: bool, diff: dict, object_type: str):
    if adding or diff:
        record_change(
            user,
            draft.course,
            ChangeRecord.Action.CREATE if adding else ChangeRecord.Action.UPDATE,
            version=draft,
            obj=obj,
            object_type=object_type,
            changes=diff,
        )


@transaction.atomic
def save_form(form, user, draft: CourseVersion, *, object_type: str = "", **fields):
    """Save a valid ModelForm for content of the `draft` version after setting `fields` on it
    (a new object's parent, key and position), and record what changed. Returns the object."""
    obj, adding, diff = _save_parent(form, draft, fields)
    _record_save(user, draft, obj, adding, diff, object_type)
    return obj


@transaction.atomic
def save_with_formset(
    form, formset, user, draft: CourseVersion, *, object_type: str = "", **fields
):
    """Save a parent form and its inline formset (question + options, step + choices) together.

    Positions of the children follow the formset's order. Returns the saved parent.
    """
    obj, adding, diff = _save_parent(form, draft, fields)
    formset.instance = obj
    children = formset.save(commit=False)
    for deleted in formset.deleted_objects:
        deleted.delete()
    if formset.can_order:
        # The author's "Volgorde" numbers; forms without one keep their place at the end.
        kept = [f.instance for f in formset.ordered_forms]
    else:
        kept = [
            f.instance
            for f in formset.forms
            if f not in formset.deleted_forms and (f.instance.pk or f.has_changed())
        ]
    # Positions are unique per parent: park the saved children past every current position in
    # one statement (each row moves above the old maximum, so none meets another), then number
    # them 0, 1, 2, … as they are saved.
    siblings = formset.model._base_manager.filter(**{formset.fk.name: obj})
    siblings.update(position=F("position") + next_position(siblings) + len(kept))
    for position, child in enumerate(kept):
        child.position = position
        child.save()
    child_changes = len(children) + len(formset.deleted_objects)
    if child_changes:
        diff["children"] = [None, _("%(n)s onderdelen gewijzigd") % {"n": child_changes}]
    _record_save(user, draft, obj, adding, diff, object_type)
    return obj


@transaction.atomic
def move_item(obj, siblings, direction: str, user, version: CourseVersion) -> bool:
    """Swap `obj` with its neighbour above (`up`) or below (`down`) among `siblings` (a queryset
    ordered by position). Returns False when it is already first or last."""
    _require_draft(version)
    # Lock the siblings so two quick moves cannot interleave their position swaps.
    list(siblings.select_for_update().values_list("pk", flat=True))
    ordered = siblings.order_by("position", "pk")
    if direction == "up":
        neighbour = ordered.filter(position__lt=obj.position).order_by("-position").first()
    else:
        neighbour = ordered.filter(position__gt=obj.position).order_by("position").first()
    if neighbour is None:
        return False
    mine, theirs = obj.position, neighbour.position
    # Positions are unique per parent: park one row on a free position while swapping.
    parked = next_position(siblings) + 1
    parents = type(obj)._meta.get_parent_list()
    base = parents[-1] if parents else type(obj)  # `position` lives on the polymorphic base
    base._base_manager.filter(pk=obj.pk).update(position=parked)
    base._base_manager.filter(pk=neighbour.pk).update(position=mine)
    base._base_manager.filter(pk=obj.pk).update(position=theirs)
    obj.position = theirs
    record_change(
        user,
        version.course,
        ChangeRecord.Action.MOVE,
        version=version,
        obj=obj,
        changes={"position": [mine, theirs]},
    )
    return True


@transaction.atomic
def move_item_to(obj, siblings, index: int, user, version: CourseVersion) -> bool:
    """Put `obj` at 0-based place `index` among `siblings` (drag and drop; one request per move)
    and number them 0, 1, 2, … again. Returns False when it was already there."""
    _require_draft(version)
    # Lock the siblings so two moves cannot interleave their renumbering.
    ids = list(siblings.select_for_update().order_by("position", "pk").values_list("pk", flat=True))
    if obj.pk not in ids:
        raise ValidationError(_("Dit onderdeel hoort niet in deze lijst."))
    index = max(0, min(index, len(ids) - 1))
    old = ids.index(obj.pk)
    if old == index:
        return False
    ids.remove(obj.pk)
    ids.insert(index, obj.pk)
    parents = type(obj)._meta.get_parent_list()
    base = parents[-1] if parents else type(obj)  # `position` lives on the polymorphic base
    rows = base._base_manager
    # Positions are unique per parent: first past every current one, then 0..n-1.
    parked = next_position(siblings) + 1
    for offset, pk in enumerate(ids):
        rows.filter(pk=pk).update(position=parked + offset)
    for position, pk in enumerate(ids):
        rows.filter(pk=pk).update(position=position)
    mine = obj.position
    obj.position = index
    record_change(
        user,
        version.course,
        ChangeRecord.Action.MOVE,
        version=version,
        obj=obj,
        changes={"position": [mine, index]},
    )
    return True


@transaction.atomic
def delete_item(obj, user, version: CourseVersion, *, object_type: str = ""):
    """Delete content from the draft and record it; a Dutch error when something still uses it."""
    _require_draft(version)
    summary, key = str(obj), getattr(obj, "key", "") or getattr(obj, "slug", "")
    object_type = object_type or getattr(obj, "kind", None) or obj._meta.model_name
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _(
                "Dit kan niet worden verwijderd, omdat het nog wordt gebruikt "
                "(bijvoorbeeld in een les)."
            )
        ) from exc
    record_change(
        user,
        version.course,
        ChangeRecord.Action.DELETE,
        version=version,
        object_type=object_type,
        object_key=key,
        summary=summary,
    )


@transaction.atomic
def save_persona(form, user):
    """Save a valid PersonaForm and record the change (personas belong to no single course)."""
    adding = form.instance._state.adding
    diff = diff_of_form(form)
    persona = form.save()
    if adding or diff:
        record_persona_change(
            user,
            persona,
            ChangeRecord.Action.CREATE if adding else ChangeRecord.Action.UPDATE,
            diff,
        )
    return persona


def may_change_roles(course: Course, user) -> bool:
    """Authors change roles, except on an accredited course: there only a site administrator
    may, so an author cannot remove the reviewers to publish without an independent review."""
    if user.is_superuser:
        return True
    if publishing.course_is_accredited(course):
        return False
    return CourseRole.objects.filter(course=course, user=user, role=CourseRole.Role.AUTHOR).exists()


@transaction.atomic
def set_role(course: Course, actor, user, role: str, *, remove: bool = False):
    """Give or take `user`'s role on the course; an author cannot remove the last author.

    Raises PermissionDenied when `actor` may not change roles (`may_change_roles`). Writes a
    ChangeRecord saying who changed whose role, and when.
    """
    Course.objects.select_for_update().get(pk=course.pk)  # one role change at a time
    if not may_change_roles(course, actor):
        raise PermissionDenied(
            _("Deze cursus is geaccrediteerd: alleen een beheerder kan rollen wijzigen.")
        )
    if remove:
        authors = CourseRole.objects.filter(course=course, role=CourseRole.Role.AUTHOR)
        if (
            role == CourseRole.Role.AUTHOR
            and authors.count() <= 1
            and authors.filter(user=user).exists()
        ):
            raise ValidationError(_("Een cursus heeft minstens één auteur nodig."))
        CourseRole.objects.filter(course=course, user=user, role=role).delete()
    else:
        CourseRole.objects.get_or_create(course=course, user=user, role=role)
    record_change(
        actor,
        course,
        ChangeRecord.Action.ROLE,
        object_type="role",
        object_key=role,
        summary=f"{'-' if remove else '+'} {user.email} ({role})",
        changes={"user": user.email, "role": role, "removed": remove},
    )


logger = logging.getLogger(__name__)


def request_course_import(user, upload) -> CourseImport:
    """Store the uploaded zip and queue its import by a Celery task (after commit), so the upload
    request does not hold a web worker while a large course is unpacked, checked and written.
    Returns the CourseImport whose page shows the progress."""
    from courses.tasks import import_course_archive_task

    with transaction.atomic():
        job = CourseImport(uploaded_by=user)
        job.archive.save("cursus.zip", upload, save=False)
        job.save()
        transaction.on_commit(lambda: import_course_archive_task.delay(job.pk))
    return job


def run_course_import(import_id: int) -> str:
    """Import CourseImport `import_id`'s zip (`courses.course_files.archive.import_archive`, all or
    nothing), recording its progress and what the author should read; returns the final status.
    A finished or already running import is left alone, so a redelivered task is harmless. The
    zip is deleted afterwards."""
    from courses.course_files.archive import ArchiveRefused, import_archive

    claimed = CourseImport.objects.filter(pk=import_id, status=CourseImport.Status.QUEUED).update(
        status=CourseImport.Status.RUNNING, progress=10
    )
    job = CourseImport.objects.select_related("uploaded_by").get(pk=import_id)
    if not claimed:
        return job.status

    def report(percent: int) -> None:
        CourseImport.objects.filter(pk=import_id).update(progress=percent)

    try:
        with job.archive.open("rb") as archive:
            results = import_archive(archive, job.uploaded_by, progress=report)
    except ArchiveRefused as exc:
        status, notes = CourseImport.Status.FAILED, [str(m) for m in exc.messages]
    except Exception:
        logger.exception("Course import %s failed", import_id)
        status = CourseImport.Status.FAILED
        notes = [_("Het importeren is mislukt door een interne fout. Probeer het later opnieuw.")]
    else:
        status, notes = CourseImport.Status.DONE, [str(r.summary()) for r in results]
    job.archive.delete(save=False)
    job.status, job.messages, job.progress = status, notes, 100
    job.finished_at = timezone.now()
    job.save(update_fields=["archive", "status", "messages", "progress", "finished_at"])
    return job.status
