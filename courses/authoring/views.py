"""The author area (/auteur/): build, preview, review, publish and report on courses.

Access: every view needs a login. `get_course_for_author` 404s for a course the user is not an
author of (superusers may edit all); reviewers get read access through
`get_course_for_reviewer` and may comment and approve, never edit. Content is only ever edited
in the course's draft version; the published version stays as learners see it.
"""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import publishing, reports
from courses.course_files.item_checks import item_warnings, version_quizzes
from courses.models import (
    Block,
    ChangeRecord,
    Course,
    CourseImport,
    CourseRole,
    CourseVersion,
    Enrollment,
    Lesson,
    Module,
    Option,
    Persona,
    PersonaStoryBlock,
    Question,
    Quiz,
    QuizBlock,
    ReviewComment,
    ReviewRequest,
    ScenarioBlock,
    ScenarioStep,
)
from courses.player import annotate_question, blocks_for_player
from courses.services import questions_for_grading
from lms.lib.jobs import status_payload
from lms.lib.spreadsheet import csv_safe_row

from . import forms, services

# --- Access ------------------------------------------------------------------------------------


def get_course_for_author(user, slug) -> Course:
    """The course `slug` if `user` is one of its authors (or a superuser), else 404."""
    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(
        Course.objects.editable_by(user).select_related("published_version"), slug=slug
    )


def get_course_for_reviewer(user, slug) -> Course:
    """The course `slug` if `user` is an author or reviewer of it (or a superuser), else 404."""
    if not user.is_authenticated:
        raise Http404
    courses = Course.objects.select_related("published_version")
    if not user.is_superuser:
        courses = courses.filter(roles__user=user).distinct()
    return get_object_or_404(courses, slug=slug)


def get_draft(course: Course) -> CourseVersion:
    """The course's draft; 404 when there is none (editing starts with ‘create a draft’)."""
    draft = CourseVersion.objects.filter(course=course, status=CourseVersion.Status.DRAFT).first()
    if draft is None:
        raise Http404
    draft.course = course
    return draft


def get_lesson(version, key) -> Lesson:
    lesson = (
        Lesson.objects.select_related("module").filter(module__version=version, key=key).first()
    )
    if lesson is None:
        raise Http404
    return lesson


def _back(course, anchor=""):
    return redirect(reverse("authoring:course", args=[course.slug]) + anchor)


def render_form(request, form, *, title, course=None, cancel_url=None, **extra):
    """The shared form page (`authoring/form.html`); Cancel goes to `cancel_url`, else to the
    course's page. `extra`: a formset with its legend and help, `multipart` for uploads."""
    if cancel_url is None:
        cancel_url = reverse("authoring:course", args=[course.slug])
    context = {"form": form, "course": course, "title": title, "cancel_url": cancel_url}
    return render(request, "authoring/form.html", {**context, **extra})


def _require_course_creator(user):
    if not services.can_create_courses(user):
        raise Http404


# --- Read paths with bounded queries ------------------------------------------------------------


def blocks_for_editor(lesson) -> list[Any]:
    """The lesson's blocks as their own classes, each with `kind_label` and `summary` set.

    1 query for the blocks + 1 per block type + 1 per related object type; never per block.
    """
    # Any: the blocks get `kind_label` and `summary` set for the editor's list.
    blocks: list[Any] = list(Block.objects.filter(lesson=lesson).order_by("position"))
    prefetch_related_objects([b for b in blocks if isinstance(b, PersonaStoryBlock)], "persona")
    prefetch_related_objects([b for b in blocks if isinstance(b, QuizBlock)], "quiz")
    for block in blocks:
        block.kind_label = block.label
        block.summary = Truncator(block.editor_summary()).words(20)
    return blocks


def course_structure(version):
    """Modules with their lessons (ordered), for the course overview: two queries."""
    if version is None:
        return []
    return list(
        Module.objects.filter(version=version)
        .order_by("position")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=Lesson.objects.order_by("position").annotate(n_blocks=Count("blocks")),
            )
        )
    )


# --- Index and course ---------------------------------------------------------------------------


@login_required
def course_import(request):
    """Upload a zip of course files: new courses and new drafts of the user's own courses. The
    upload is stored and imported in the background; the author is sent to its progress page."""
    if not services.can_create_courses(request.user):
        raise Http404
    form = forms.ArchiveImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.request_course_import(request.user, form.cleaned_data["archive"])
        return redirect(job)
    status = 400 if request.method == "POST" else 200
    return render(request, "authoring/import.html", {"form": form}, status=status)


def get_course_import_for_user(user, pk) -> CourseImport:
    """The user's own course import (404 for anyone else's)."""
    return get_object_or_404(CourseImport, pk=pk, uploaded_by=user)


@login_required
def course_import_status(request, pk):
    job = get_course_import_for_user(request.user, pk)
    return render(request, "authoring/import_status.html", {"job": job})


@login_required
def course_import_status_json(request, pk):
    """The import's status for its page's poll."""
    job = get_course_import_for_user(request.user, pk)
    return JsonResponse(status_payload(job, messages=job.messages))


@login_required
def index(request):
    roles = (
        CourseRole.objects.filter(user=request.user)
        .select_related("course__published_version")
        .order_by("course__slug")
    )
    courses: dict[int, dict] = {}
    for role in roles:
        entry = courses.setdefault(role.course_id, {"course": role.course, "roles": []})
        entry["roles"].append(role.get_role_display())
    if request.user.is_superuser:
        for course in Course.objects.select_related("published_version").order_by("slug"):
            courses.setdefault(course.pk, {"course": course, "roles": [_("beheerder")]})
    can_create = services.can_create_courses(request.user)
    if not courses and not can_create:
        # Learners without a role on any course have no author area.
        raise Http404
    drafts = dict(
        CourseVersion.objects.filter(
            course_id__in=courses, status=CourseVersion.Status.DRAFT
        ).values_list("course_id", "title")
    )
    for course_id, entry in courses.items():
        entry["draft_title"] = drafts.get(course_id)
    return render(
        request,
        "authoring/index.html",
        {
            "entries": list(courses.values()),
            "can_create": can_create,
        },
    )


@login_required
def course_create(request):
    _require_course_creator(request.user)
    form = forms.CourseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = services.create_course(
            request.user,
            slug=form.cleaned_data["slug"],
            title=form.cleaned_data["title"],
            summary=form.cleaned_data["summary"],
        )
        messages.success(request, _("De cursus is aangemaakt. Voeg nu lessen toe."))
        return _back(course)
    return render_form(
        request,
        form=form,
        title=_("Nieuwe cursus"),
        cancel_url=reverse("authoring:index"),
    )


@login_required
def course_overview(request, slug):
    course = get_course_for_reviewer(request.user, slug)
    roles = publishing.user_roles(course, request.user)
    is_author = CourseRole.Role.AUTHOR in roles or request.user.is_superuser
    draft = CourseVersion.objects.filter(course=course, status=CourseVersion.Status.DRAFT).first()
    shown = draft or course.published_version
    context = {
        "course": course,
        "draft": draft,
        "published": course.published_version,
        "shown": shown,
        "modules": course_structure(shown),
        "is_author": is_author,
        "is_reviewer": CourseRole.Role.REVIEWER in roles,
        "versions": course.versions.order_by("-number"),
    }
    if draft:
        context.update(
            quizzes=Quiz.objects.filter(version=draft)
            .annotate(n_questions=Count("questions"))
            .order_by("title"),
            comments=ReviewComment.objects.filter(version=draft).select_related("author"),
            approvals=publishing.valid_approvals(draft),
            blockers=publishing.publish_blockers(draft),
            item_warnings=item_warnings(version_quizzes(draft)),
            comment_form=forms.ReviewCommentForm(),
            approval_form=forms.ApprovalForm(),
            review_request_form=forms.ReviewRequestForm(),
            review_requests=ReviewRequest.objects.filter(version=draft)
            .select_related("requested_by")
            .order_by("-requested_at")[:5],
            accredited=publishing.course_is_accredited(course),
            module_form=forms.ModuleForm(prefix="module"),
        )
    return render(request, "authoring/course.html", context)


@login_required
@require_POST
def draft_create(request, slug):
    course = get_course_for_author(request.user, slug)
    publishing.create_draft(course, request.user)
    messages.success(
        request, _("Er is een concept gemaakt. Deelnemers zien je wijzigingen pas na publiceren.")
    )
    return _back(course)


@login_required
def draft_discard(request, slug):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    if request.method == "POST":
        try:
            publishing.discard_draft(draft, request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Het concept is weggegooid."))
        return _back(course)
    return render(
        request,
        "authoring/confirm_delete.html",
        {
            "course": course,
            "cancel_url": reverse("authoring:course", args=[slug]),
            "question": _("Het concept van versie %(n)s met al je wijzigingen weggooien?")
            % {"n": draft.number},
        },
    )


@login_required
def version_edit(request, slug):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    form = forms.VersionForm(request.POST or None, instance=draft)
    if request.method == "POST" and form.is_valid():
        services.save_form(form, request.user, draft, object_type="version")
        messages.success(request, _("De cursusgegevens zijn opgeslagen."))
        return _back(course)
    return render_form(
        request,
        form=form,
        course=course,
        title=_("Cursusgegevens"),
    )


# --- Modules -----------------------------------------------------------------------------------


@login_required
@require_POST
def module_create(request, slug):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    form = forms.ModuleForm(request.POST, prefix="module")
    if form.is_valid():
        modules = Module.objects.filter(version=draft)
        services.save_form(
            form,
            request.user,
            draft,
            version=draft,
            key=services.unique_key(modules, form.cleaned_data["title"]),
            position=services.next_position(modules),
        )
        messages.success(request, _("De module is toegevoegd."))
    else:
        messages.error(request, _("Geef de module een titel."))
    return _back(course, "#modules")


@login_required
def module_edit(request, slug, module_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    module = get_object_or_404(Module, version=draft, key=module_key)
    form = forms.ModuleForm(request.POST or None, instance=module)
    if request.method == "POST" and form.is_valid():
        services.save_form(form, request.user, draft)
        messages.success(request, _("De module is opgeslagen."))
        return _back(course, f"#module-{module.key}")
    return render_form(
        request,
        form=form,
        course=course,
        title=_("Module bewerken"),
    )


@login_required
@require_POST
def module_move(request, slug, module_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    module = get_object_or_404(Module, version=draft, key=module_key)
    if response := _move(request, module, Module.objects.filter(version=draft), draft):
        return response
    return _back(course, f"#module-{module.key}")


@login_required
def module_delete(request, slug, module_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    module = get_object_or_404(Module, version=draft, key=module_key)
    return _confirm_delete(
        request,
        course,
        draft,
        module,
        reverse("authoring:course", args=[slug]),
        _("Module ‘%(title)s’ en al haar lessen verwijderen?") % {"title": module.title},
    )


def _move(request, obj, siblings, version):
    """Move `obj` one place (↑/↓) or to a place (drag and drop). Returns a 204 for the drag and
    drop script (it sends `X-Requested-With`), None when the view should redirect as before."""
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    dragged = request.headers.get("X-Requested-With") == "fetch"
    try:
        if form.cleaned_data["position"] is not None:
            moved = services.move_item_to(
                obj, siblings, form.cleaned_data["position"], request.user, version
            )
        else:
            moved = services.move_item(
                obj, siblings, form.cleaned_data["direction"], request.user, version
            )
    except ValidationError as exc:
        if dragged:
            return HttpResponse(exc.messages[0], status=400, content_type="text/plain")
        messages.error(request, exc.messages[0])
        return None
    if dragged:
        return HttpResponse(status=204)
    if not moved:
        messages.info(request, _("Dit onderdeel staat al bovenaan of onderaan."))
    return None


def _confirm_delete(request, course, version, obj, back_url, question):
    if request.method == "POST":
        try:
            services.delete_item(obj, request.user, version)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Verwijderd."))
        return redirect(back_url)
    return render(
        request,
        "authoring/confirm_delete.html",
        {"course": course, "question": question, "cancel_url": back_url},
    )


# --- Lessons -----------------------------------------------------------------------------------


@login_required
def lesson_create(request, slug):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    initial = {
        "module": Module.objects.filter(version=draft, key=request.GET.get("module")).first()
    }
    form = forms.LessonCreateForm(request.POST or None, version=draft, initial=initial)
    if request.method == "POST" and form.is_valid():
        lesson = services.save_form(
            form,
            request.user,
            draft,
            key=services.unique_key(
                Lesson.objects.filter(module__version=draft), form.cleaned_data["title"]
            ),
            position=services.next_position(
                Lesson.objects.filter(module=form.cleaned_data["module"])
            ),
        )
        messages.success(request, _("De les is toegevoegd. Voeg nu blokken toe."))
        return redirect("authoring:lesson", slug, lesson.key)
    return render_form(
        request,
        form=form,
        course=course,
        title=_("Nieuwe les"),
    )


@login_required
def lesson_edit(request, slug, lesson_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    form = forms.LessonForm(request.POST or None, instance=lesson)
    old_module_id = lesson.module_id
    if request.method == "POST" and form.is_valid():
        extra = {}
        if form.cleaned_data["module"].pk != old_module_id:
            # Into another module: last place there (positions are unique per module).
            target = Lesson.objects.filter(module=form.cleaned_data["module"])
            extra["position"] = services.next_position(target)
        services.save_form(form, request.user, draft, **extra)
        messages.success(request, _("De les is opgeslagen."))
        return redirect("authoring:lesson", slug, lesson.key)
    return render(
        request,
        "authoring/lesson.html",
        {
            "course": course,
            "version": draft,
            "lesson": lesson,
            "form": form,
            "blocks": blocks_for_editor(lesson),
            "block_kinds": [(kind, label) for kind, (_m, _f, label) in forms.BLOCK_KINDS.items()],
            "comments": ReviewComment.objects.filter(
                version=draft, lesson_key=lesson.key
            ).select_related("author"),
            "comment_form": forms.ReviewCommentForm(initial={"lesson_key": lesson.key}),
        },
    )


@login_required
@require_POST
def lesson_move(request, slug, lesson_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    if response := _move(request, lesson, Lesson.objects.filter(module=lesson.module), draft):
        return response
    return _back(course, f"#lesson-{lesson.key}")


@login_required
def lesson_delete(request, slug, lesson_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    return _confirm_delete(
        request,
        course,
        draft,
        lesson,
        reverse("authoring:course", args=[slug]),
        _("Les ‘%(title)s’ met al haar blokken verwijderen?") % {"title": lesson.title},
    )


@login_required
def lesson_preview(request, slug, lesson_key):
    """The lesson exactly as a learner will see it, from the draft (or the published version)."""
    course = get_course_for_reviewer(request.user, slug)
    version = (
        CourseVersion.objects.filter(course=course, status=CourseVersion.Status.DRAFT).first()
        or course.published_version
    )
    if version is None:
        raise Http404
    lesson = get_lesson(version, lesson_key)
    lessons = list(version.lessons_in_order())
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    blocks = blocks_for_player(lesson)
    return render(
        request,
        "authoring/preview.html",
        {
            "course": course,
            "version": version,
            "lesson": lesson,
            "blocks": blocks,
            "previous": lessons[index - 1] if index > 0 else None,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
            # Reviewers comment on a draft lesson right below its preview.
            "comments": ReviewComment.objects.filter(
                version=version, lesson_key=lesson.key
            ).select_related("author")
            if version.is_editable
            else None,
            "comment_form": forms.ReviewCommentForm(
                initial={"lesson_key": lesson.key},
                targets=block_targets(blocks),
                whole=_("de hele les"),
            ),
        },
    )


def block_targets(blocks) -> list[tuple[str, str]]:
    """(key, label) per block for a review comment on one block: "Blok 2: Tekst – …"."""
    return [
        (
            block.key,
            _("Blok %(n)s: %(kind)s – %(summary)s")
            % {
                "n": n,
                "kind": block.label,
                "summary": Truncator(Truncator(block.editor_summary()).words(20)).chars(60),
            },
        )
        for n, block in enumerate(blocks, start=1)
    ]


def question_targets(questions) -> list[tuple[str, str]]:
    return [
        (
            question.key,
            _("Vraag %(n)s: %(prompt)s")
            % {"n": n, "prompt": Truncator(strip_tags(question.prompt)).chars(60)},
        )
        for n, question in enumerate(questions, start=1)
    ]


def _draft_or_published(course):
    version = (
        CourseVersion.objects.filter(course=course, status=CourseVersion.Status.DRAFT).first()
        or course.published_version
    )
    if version is None:
        raise Http404
    return version


@login_required
def quiz_preview(request, slug, quiz_key):
    """A quiz (practice, self-assessment or the final test) with every question as a learner
    sees it, inert; `?antwoorden=1` marks the right answers. Authors and reviewers."""
    course = get_course_for_reviewer(request.user, slug)
    version = _draft_or_published(course)
    quiz = get_object_or_404(Quiz, version=version, key=quiz_key)
    questions = questions_for_grading(quiz.pk)
    reveal = request.GET.get("antwoorden") == "1"
    for question in questions:
        annotate_question(question)
    return render(
        request,
        "authoring/quiz_preview.html",
        {
            "course": course,
            "version": version,
            "quiz": quiz,
            "questions": questions,
            "reveal": reveal,
            "comments": ReviewComment.objects.filter(
                version=version, quiz_key=quiz.key
            ).select_related("author")
            if version.is_editable
            else None,
            "comment_form": forms.ReviewCommentForm(
                initial={"quiz_key": quiz.key},
                targets=question_targets(questions),
                whole=_("de hele quiz"),
            ),
        },
    )


# --- Blocks ------------------------------------------------------------------------------------


@login_required
def block_create(request, slug, lesson_key, kind):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    if kind not in forms.BLOCK_KINDS:
        raise Http404
    form = forms.block_form(kind, draft, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        blocks = Block.objects.filter(lesson=lesson)
        block = services.save_form(
            form,
            request.user,
            draft,
            lesson=lesson,
            key=services.unique_key(blocks, kind),
            position=services.next_position(blocks),
        )
        messages.success(request, _("Het blok is toegevoegd."))
        if isinstance(block, ScenarioBlock):  # its steps are edited on the block's own page
            return redirect("authoring:block", slug, lesson.key, block.key)
        return redirect(
            reverse("authoring:lesson", args=[slug, lesson.key]) + f"#block-{block.key}"
        )
    return render(
        request,
        "authoring/block_form.html",
        {
            "form": form,
            "course": course,
            "lesson": lesson,
            "kind": kind,
            "max_upload": settings.MEDIA_MAX_UPLOAD_BYTES,
            "title": _("Nieuw blok: %(kind)s") % {"kind": forms.BLOCK_KINDS[kind][2]},
            "cancel_url": reverse("authoring:lesson", args=[slug, lesson.key]),
        },
    )


def _get_block(lesson, key):
    block = Block.objects.filter(lesson=lesson, key=key).first()
    if block is None:
        raise Http404
    return block


@login_required
def block_edit(request, slug, lesson_key, block_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    block = _get_block(lesson, block_key)
    form = forms.block_form(
        block.kind, draft, request.POST or None, request.FILES or None, instance=block
    )
    if request.method == "POST" and form.is_valid():
        services.save_form(form, request.user, draft)
        messages.success(request, _("Het blok is opgeslagen."))
        return redirect(
            reverse("authoring:lesson", args=[slug, lesson.key]) + f"#block-{block.key}"
        )
    steps = (
        list(block.steps.order_by("position").prefetch_related("choices"))
        if isinstance(block, ScenarioBlock)
        else []
    )
    return render(
        request,
        "authoring/block_form.html",
        {
            "form": form,
            "course": course,
            "lesson": lesson,
            "block": block,
            # Not "block" in templates: inside {% block %} tags that name is Django's BlockNode.
            "scenario": block if isinstance(block, ScenarioBlock) else None,
            "kind": block.kind,
            "steps": steps,
            "max_upload": settings.MEDIA_MAX_UPLOAD_BYTES,
            "title": _("Blok bewerken: %(kind)s") % {"kind": block.label},
            "cancel_url": reverse("authoring:lesson", args=[slug, lesson.key]),
        },
    )


@login_required
@require_POST
def block_move(request, slug, lesson_key, block_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    block = _get_block(lesson, block_key)
    if response := _move(request, block, Block.objects.filter(lesson=lesson), draft):
        return response
    return redirect(reverse("authoring:lesson", args=[slug, lesson.key]) + f"#block-{block.key}")


@login_required
def block_delete(request, slug, lesson_key, block_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson = get_lesson(draft, lesson_key)
    block = _get_block(lesson, block_key)
    return _confirm_delete(
        request,
        course,
        draft,
        block,
        reverse("authoring:lesson", args=[slug, lesson.key]),
        _("Dit blok (%(kind)s) verwijderen?") % {"kind": block.label},
    )


# --- Scenario steps ----------------------------------------------------------------------------


def _get_scenario(draft, lesson_key, block_key):
    lesson = get_lesson(draft, lesson_key)
    scenario = ScenarioBlock.objects.filter(lesson=lesson, key=block_key).first()
    if scenario is None:
        raise Http404
    return lesson, scenario


@login_required
def step_edit(request, slug, lesson_key, block_key, step_key=None):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson, scenario = _get_scenario(draft, lesson_key, block_key)
    step = (
        get_object_or_404(ScenarioStep, scenario=scenario, key=step_key)
        if step_key
        else ScenarioStep()
    )
    data = request.POST or None
    form = forms.ScenarioStepForm(data, instance=step)
    formset = forms.ChoiceFormSet(data, instance=step, scenario=scenario, prefix="choices")
    back = reverse("authoring:block", args=[slug, lesson.key, scenario.key])
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        extra = {}
        if step.pk is None:
            steps = ScenarioStep.objects.filter(scenario=scenario)
            extra = {
                "scenario": scenario,
                "key": services.unique_key(steps, _("stap")),
                "position": services.next_position(steps),
            }
        services.save_with_formset(
            form, formset, request.user, draft, object_type="scenario_step", **extra
        )
        messages.success(request, _("De stap is opgeslagen."))
        return redirect(back)
    return render_form(
        request,
        form=form,
        formset=formset,
        course=course,
        cancel_url=back,
        formset_legend=_("Keuze"),
        formset_help=_("Elke keuze geeft feedback en kan naar een volgende stap leiden."),
        title=_("Stap van scenario ‘%(title)s’") % {"title": scenario.title},
    )


@login_required
def step_delete(request, slug, lesson_key, block_key, step_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson, scenario = _get_scenario(draft, lesson_key, block_key)
    step = get_object_or_404(ScenarioStep, scenario=scenario, key=step_key)
    return _confirm_delete(
        request,
        course,
        draft,
        step,
        reverse("authoring:block", args=[slug, lesson.key, scenario.key]),
        _("Deze stap en haar keuzes verwijderen?"),
    )


@login_required
@require_POST
def step_move(request, slug, lesson_key, block_key, step_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    lesson, scenario = _get_scenario(draft, lesson_key, block_key)
    step = get_object_or_404(ScenarioStep, scenario=scenario, key=step_key)
    if response := _move(request, step, ScenarioStep.objects.filter(scenario=scenario), draft):
        return response
    return redirect(
        reverse("authoring:block", args=[slug, lesson.key, scenario.key]) + f"#step-{step.key}"
    )


# --- Quizzes and questions ---------------------------------------------------------------------


@login_required
def quiz_create(request, slug):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    form = forms.QuizForm(request.POST or None, version=draft)
    if request.method == "POST" and form.is_valid():
        quiz = services.save_form(
            form,
            request.user,
            draft,
            version=draft,
            key=services.unique_key(Quiz.objects.filter(version=draft), form.cleaned_data["title"]),
        )
        messages.success(request, _("De quiz is aangemaakt. Voeg nu vragen toe."))
        return redirect("authoring:quiz", slug, quiz.key)
    return render_form(
        request,
        form=form,
        course=course,
        title=_("Nieuwe quiz"),
    )


@login_required
def quiz_edit(request, slug, quiz_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    quiz = get_object_or_404(Quiz, version=draft, key=quiz_key)
    form = forms.QuizForm(request.POST or None, instance=quiz, version=draft)
    if request.method == "POST" and form.is_valid():
        services.save_form(form, request.user, draft)
        messages.success(request, _("De quiz is opgeslagen."))
        return redirect("authoring:quiz", slug, quiz.key)
    return render(
        request,
        "authoring/quiz.html",
        {
            "form": form,
            "course": course,
            "quiz": quiz,
            "questions": list(Question.objects.filter(quiz=quiz).order_by("position")),
            "question_kinds": [(k, v[2]) for k, v in forms.QUESTION_KINDS.items()],
            "title": _("Quiz ‘%(title)s’") % {"title": quiz.title},
            "cancel_url": reverse("authoring:course", args=[slug]),
        },
    )


@login_required
def quiz_delete(request, slug, quiz_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    quiz = get_object_or_404(Quiz, version=draft, key=quiz_key)
    return _confirm_delete(
        request,
        course,
        draft,
        quiz,
        reverse("authoring:course", args=[slug]) + "#quizzes",
        _("Quiz ‘%(title)s’ met al haar vragen verwijderen?") % {"title": quiz.title},
    )


@login_required
def question_edit(request, slug, quiz_key, question_key=None, kind=None):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    quiz = get_object_or_404(Quiz, version=draft, key=quiz_key)
    if question_key:
        question = Question.objects.filter(quiz=quiz, key=question_key).first()
        if question is None:
            raise Http404
        kind = question.kind
    elif kind in forms.QUESTION_KINDS:
        question = forms.QUESTION_KINDS[kind][0]()
    else:
        raise Http404
    _model, form_class, label = forms.QUESTION_KINDS[kind]
    data = request.POST or None
    form = form_class(data, instance=question)
    formset = None
    if question.uses_options:
        initial = [{"text": text} for text in question.initial_options] if not question.pk else []
        formset = forms.OptionFormSet(
            data, instance=question, prefix="options", initial=initial or None
        )
    back = reverse("authoring:quiz", args=[slug, quiz.key])
    if formset is not None and question.pk:
        # Saved options move on their own (↑/↓ and drag and drop), one request per move.
        saved = formset.initial_forms
        for subform in saved:
            subform.move_url = reverse(
                "authoring:option_move", args=[slug, quiz.key, question.key, subform.instance.key]
            )
            subform.is_last_initial = subform is saved[-1]
    if request.method == "POST" and form.is_valid() and (formset is None or formset.is_valid()):
        extra = {}
        if question.pk is None:
            questions = Question.objects.filter(quiz=quiz)
            extra = {
                "quiz": quiz,
                "key": services.unique_key(questions, _("vraag")),
                "position": services.next_position(questions),
            }
        if formset is None:
            services.save_form(form, request.user, draft, object_type="question", **extra)
        else:
            services.save_with_formset(
                form, formset, request.user, draft, object_type="question", **extra
            )
        messages.success(request, _("De vraag is opgeslagen."))
        return redirect(back)
    return render_form(
        request,
        form=form,
        formset=formset,
        course=course,
        cancel_url=back,
        formset_legend=_("Antwoord"),
        formset_help=question.option_help or None,
        title=_("Vraag (%(kind)s) in ‘%(quiz)s’") % {"kind": label, "quiz": quiz.title},
    )


def _get_question(draft, quiz_key, question_key):
    quiz = get_object_or_404(Quiz, version=draft, key=quiz_key)
    question = Question.objects.filter(quiz=quiz, key=question_key).first()
    if question is None:
        raise Http404
    return quiz, question


@login_required
@require_POST
def question_move(request, slug, quiz_key, question_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    quiz, question = _get_question(draft, quiz_key, question_key)
    if response := _move(request, question, Question.objects.filter(quiz=quiz), draft):
        return response
    return redirect(reverse("authoring:quiz", args=[slug, quiz.key]) + f"#question-{question.key}")


@login_required
@require_POST
def option_move(request, slug, quiz_key, question_key, option_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    quiz, question = _get_question(draft, quiz_key, question_key)
    option = get_object_or_404(Option, question=question, key=option_key)
    if response := _move(request, option, Option.objects.filter(question=question), draft):
        return response
    return redirect(
        reverse("authoring:question", args=[slug, quiz.key, question.key]) + f"#option-{option.key}"
    )


@login_required
def question_delete(request, slug, quiz_key, question_key):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    quiz, question = _get_question(draft, quiz_key, question_key)
    return _confirm_delete(
        request,
        course,
        draft,
        question,
        reverse("authoring:quiz", args=[slug, quiz.key]),
        _("Deze vraag verwijderen?"),
    )


# --- Personas (shared across courses) ----------------------------------------------------------


@login_required
def persona_list(request):
    _require_course_creator(request.user)
    return render(
        request, "authoring/personas.html", {"personas": Persona.objects.order_by("name")}
    )


@login_required
def persona_edit(request, slug=None):
    _require_course_creator(request.user)
    persona = get_object_or_404(Persona, slug=slug) if slug else Persona()
    form = forms.PersonaForm(request.POST or None, request.FILES or None, instance=persona)
    if request.method == "POST" and form.is_valid():
        services.save_persona(form, request.user)
        messages.success(request, _("De persona is opgeslagen."))
        return redirect("authoring:personas")
    return render_form(
        request,
        form=form,
        multipart=True,
        cancel_url=reverse("authoring:personas"),
        title=_("Persona bewerken") if slug else _("Nieuwe persona"),
    )


# --- Review and publishing ---------------------------------------------------------------------


@login_required
@require_POST
def review_comment(request, slug):
    """A comment on the draft, a lesson or one of its blocks, a quiz or one of its questions."""
    course = get_course_for_reviewer(request.user, slug)
    draft = get_draft(course)
    lesson_key = request.POST.get("lesson_key") or ""
    quiz_key = request.POST.get("quiz_key") or ""
    targets = None
    if lesson_key:
        lesson = get_lesson(draft, lesson_key)
        keys = Block.objects.filter(lesson=lesson).values_list("key", flat=True)
        targets = [(key, key) for key in keys]
    elif quiz_key:
        quiz = get_object_or_404(Quiz, version=draft, key=quiz_key)
        keys = Question.objects.filter(quiz=quiz).values_list("key", flat=True)
        targets = [(key, key) for key in keys]
    form = forms.ReviewCommentForm(request.POST, targets=targets)
    if form.is_valid():
        target = form.cleaned_data.get("target", "")
        publishing.add_review_comment(
            draft,
            request.user,
            form.cleaned_data["text"],
            lesson_key,
            block_key=target if lesson_key else "",
            quiz_key=quiz_key,
            question_key=target if quiz_key else "",
        )
        messages.success(request, _("Je opmerking is geplaatst."))
    elif "text" in form.errors:
        messages.error(request, _("Schrijf eerst een opmerking."))
    else:
        messages.error(request, _("Kies een blok of vraag uit de lijst."))
    is_author = CourseRole.Role.AUTHOR in publishing.user_roles(course, request.user)
    if lesson_key and is_author:
        return redirect(reverse("authoring:lesson", args=[slug, lesson_key]) + "#comments")
    if lesson_key:
        return redirect(reverse("authoring:preview", args=[slug, lesson_key]) + "#comments")
    if quiz_key:
        return redirect(reverse("authoring:quiz_preview", args=[slug, quiz_key]) + "#comments")
    return _back(course, "#review")


@login_required
@require_POST
def review_request(request, slug):
    """ "Vraag review aan": the course's reviewers are e-mailed and see the draft in their queue."""
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    form = forms.ReviewRequestForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        publishing.request_review(draft, request.user, note)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("De reviewers hebben een e-mail gekregen."))
    return _back(course, "#review")


@login_required
def review_queue(request):
    """The drafts the user was asked to review and has not approved since their last change."""
    waiting = []
    seen = set()
    for review_request in ReviewRequest.objects.waiting_for(request.user):
        version = review_request.version
        if version.pk in seen:
            continue
        seen.add(version.pk)
        approvals = publishing.valid_approvals(version)
        approved = any(a.reviewer_id == request.user.pk for a in approvals)
        waiting.append({"request": review_request, "version": version, "approved": approved})
    if not waiting and not CourseRole.objects.filter(user=request.user).exists():
        raise Http404
    return render(request, "authoring/review_queue.html", {"waiting": waiting})


@login_required
@require_POST
def review_resolve(request, slug, comment_id):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    comment = get_object_or_404(ReviewComment, pk=comment_id, version=draft)
    publishing.resolve_review_comment(comment, request.user, resolved=comment.resolved_at is None)
    if comment.lesson_key:
        return redirect(reverse("authoring:lesson", args=[slug, comment.lesson_key]) + "#comments")
    return _back(course, "#review")


@login_required
@require_POST
def review_approve(request, slug):
    course = get_course_for_reviewer(request.user, slug)
    draft = get_draft(course)
    form = forms.ApprovalForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        publishing.approve_version(draft, request.user, note)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Je mag dit concept niet goedkeuren."))
    else:
        messages.success(request, _("Je hebt dit concept goedgekeurd."))
    return _back(course, "#review")


@login_required
def publish(request, slug):
    course = get_course_for_author(request.user, slug)
    draft = get_draft(course)
    if request.method == "POST":
        try:
            result = publishing.publish_draft(draft, request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("authoring:publish", slug)
        messages.success(
            request,
            _("Versie %(n)s is gepubliceerd. %(moved)s deelnemers gaan verder op deze versie.")
            % {"n": result.version.number, "moved": result.to_move},
        )
        return _back(course)
    enrollments = Enrollment.objects.filter(course=course)
    return render(
        request,
        "authoring/publish.html",
        {
            "course": course,
            "draft": draft,
            "blockers": publishing.publish_blockers(draft),
            "moving": enrollments.filter(completion__isnull=True).count(),
            "staying": enrollments.filter(completion__isnull=False).count(),
        },
    )


@login_required
def export_zip(request, slug):
    """The course (the draft, else the published version) as a zip of course files, the same
    as `export_course SLUG -o course.zip`; the import page takes it back."""
    from courses.course_files.archive import export_archive

    course = get_course_for_author(request.user, slug)
    version = _draft_or_published(course)
    response = HttpResponse(content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-v{version.number}.zip"'
    export_archive(version, response)
    return response


@login_required
def change_log(request, slug):
    course = get_course_for_reviewer(request.user, slug)
    records = ChangeRecord.objects.for_course_log(course)[:500]
    return render(request, "authoring/changes.html", {"course": course, "records": records})


@login_required
def roles(request, slug):
    course = get_course_for_author(request.user, slug)
    may_change = services.may_change_roles(course, request.user)
    form = forms.RoleForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                role = get_object_or_404(CourseRole, course=course, pk=request.POST.get("remove"))
                services.set_role(course, request.user, role.user, role.role, remove=True)
                messages.success(request, _("De rol is verwijderd."))
                return redirect("authoring:roles", slug)
            if form.is_valid():
                services.set_role(course, request.user, form.user, form.cleaned_data["role"])
                messages.success(request, _("De rol is toegekend."))
                return redirect("authoring:roles", slug)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("authoring:roles", slug)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("authoring:roles", slug)
    return render(
        request,
        "authoring/roles.html",
        {
            "course": course,
            "form": form,
            "may_change": may_change,
            "accredited": publishing.course_is_accredited(course),
            "roles": course.roles.select_related("user").order_by("role", "user__email"),
        },
    )


# --- Reports -----------------------------------------------------------------------------------


def _bars(rows, value, label, text):
    """Rows for the SVG bar chart partial: label, width in percent (0–100) and the shown value."""
    bars = []
    for row in rows:
        v = value(row)
        bars.append({"label": label(row), "percent": round((v or 0) * 100, 1), "text": text(row)})
    return bars


@login_required
def report(request, slug):
    course = get_course_for_author(request.user, slug)
    stored = reports.read_report(course)
    data = stored.report
    return render(
        request,
        "authoring/report.html",
        {
            "course": course,
            "report": data,
            "stored": stored,
            "funnel_bars": _bars(
                data.funnel, lambda r: r.completed_rate, lambda r: r.title, lambda r: r.pct
            ),
            "difficulty_bars": _bars(
                data.questions,
                lambda r: r.difficulty,
                lambda r: f"{r.quiz_title} – {r.position}",
                lambda r: r.pct,
            ),
            "csv_tables": reports.CSV_TABLES,
        },
    )


@login_required
@require_POST
def report_refresh(request, slug):
    """Queue a fresh computation of the course's report (at most one per refresh window)."""
    course = get_course_for_author(request.user, slug)
    reports.queue_report_refresh([course.pk], now=True)
    messages.info(
        request, _("De rapportage wordt bijgewerkt. Laad de pagina over een minuut opnieuw.")
    )
    return redirect("authoring:report", slug=course.slug)


@login_required
def report_csv(request, slug, table):
    """One report table as CSV; `?formaat=excel` in Dutch Excel's dialect: semicolons, decimal
    commas, Dutch headers and a byte-order mark so Excel reads the accents."""
    course = get_course_for_author(request.user, slug)
    if table not in reports.CSV_TABLES:
        raise Http404
    excel = request.GET.get("formaat") == "excel"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = "-excel" if excel else ""
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-{table}{suffix}.csv"'
    rows = reports.csv_rows(reports.read_report(course).report, table)
    if excel:
        response.write("\ufeff")
        rows = reports.excel_nl_rows(rows)
    writer = csv.writer(response, delimiter=";" if excel else ",")
    for row in rows:
        writer.writerow(csv_safe_row(row))
    return response
