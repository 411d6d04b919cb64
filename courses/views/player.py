"""The lesson player: lesson pages, resume, completing a lesson, time heartbeats, and the
blocks a learner answers in a lesson (scenarios, reflections, practice quizzes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import lesson_pages, services
from ..forms import QuizForm, ReflectionForm, ScenarioChoiceForm
from ..models import (
    CourseCompletion,
    Lesson,
    Quiz,
    QuizBlock,
    ReflectionBlock,
    ScenarioBlock,
)
from ..player import (
    attach_learner_state,
    bind_practice_form,
    blocks_for_player,
)
from .access import enrollment_or_redirect, get_enrollment_for_user, get_lesson_for_enrollment


def render_lesson(request, slug, lesson_key, *, forms_by_block=None, status=200):
    """The lesson page (`courses.lesson_pages`); a first visit starts the lesson.

    `forms_by_block` (block pk → bound form) shows a failed submit without JavaScript.
    A learner who is not enrolled is sent to the course page. Queries on a repeat visit with a
    cached snapshot: the learner's own rows (one), plus one for all the blocks they touched; no
    writes unless the resume point moves.
    """
    state = lesson_pages.learner_state(request.user, slug)
    if state is None:
        _enrollment, response = enrollment_or_redirect(request, slug)
        return response
    enrollment = state.enrollment
    snapshot = lesson_pages.get_snapshot(enrollment.version_id, lesson_key)
    if lesson_key not in state.progress:
        lesson_obj = Lesson.objects.for_player().get(pk=snapshot["lesson"]["pk"])
        services.start_lesson(enrollment, lesson_obj)
    elif request.method == "GET":
        services.note_resume_point(enrollment, lesson_key)
    page = lesson_pages.lesson_page(request, state, snapshot, forms_by_block)
    return lesson_pages.render_page(request, page, status=status)


@login_required
def lesson(request, slug, lesson_key):
    return render_lesson(request, slug, lesson_key)


@login_required
def resume(request, slug):
    """Go to where the learner left off: the last lesson opened, else the first lesson."""
    enrollment, response = enrollment_or_redirect(request, slug)
    if response:
        return response
    lessons = enrollment.version.lessons_in_order()
    target = lessons.filter(key=enrollment.last_lesson_key).first() or lessons.first()
    if target is None:
        return redirect(enrollment.course)
    return redirect("courses:lesson", slug, target.key)


@login_required
@require_POST
def complete_lesson(request, slug, lesson_key):
    """Complete the lesson; the lesson's reflection fields belong to this form (with or without
    JavaScript), and those typed but not yet saved are saved with the completion, or the lesson
    is shown again with the error and nothing is written."""
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    reflections, refused = typed_reflections(request, lesson_obj)
    if refused is not None:
        return render_lesson(request, slug, lesson_key, forms_by_block=refused, status=400)
    try:
        services.complete_lesson(enrollment, lesson_obj, reflections=reflections)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("courses:lesson", slug, lesson_key)
    if reflections:
        messages.success(request, _("Je reflectie is opgeslagen. Alleen jij kunt hem lezen."))
    messages.success(request, _("Les “%(title)s” afgerond.") % {"title": lesson_obj.title})
    lessons = list(enrollment.version.lessons_in_order())
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson_obj.pk)
    if index + 1 < len(lessons):
        return redirect("courses:lesson", slug, lessons[index + 1].key)
    return redirect(after_last_lesson_url(enrollment))


def typed_reflections(request, lesson_obj, required: ReflectionBlock | None = None):
    """The reflections typed on the lesson page and not yet saved ({ReflectionBlock: text}):
    every reflection field of the lesson belongs to its completion form, so both "Les afronden"
    and any "Reflectie opslaan" post them all, also without JavaScript. A field left empty (or a
    saved text posted unchanged) is skipped, except that `required` must have text.

    Returns (reflections, None), or ({}, {block pk: bound form}) for the first field refused.
    One query for the blocks and one for the saved texts; writes nothing."""
    typed = {}
    for block in ReflectionBlock.objects.filter(lesson=lesson_obj):
        form = ReflectionForm(request.POST, prefix=block.key)
        if block != required and not (request.POST.get(form["text"].html_name) or "").strip():
            continue  # nothing typed (or already saved): a saved reflection stays as it is
        if not form.is_valid():
            return {}, {block.pk: form}
        typed[block] = form.cleaned_data["text"]
    return services.unsaved_reflections(request.user, typed), None


def after_last_lesson_url(enrollment) -> str:
    """After the last lesson: the completion page, else the final test, else the course page."""
    slug = enrollment.course.slug
    if CourseCompletion.objects.filter(enrollment=enrollment).exists():
        return reverse("courses:completion", args=[slug])
    final = Quiz.objects.filter(version=enrollment.version, kind=Quiz.Kind.FINAL).first()
    if final is not None:
        return reverse("courses:quiz", args=[slug, final.key])
    return reverse("courses:course_detail", args=[slug])


@login_required
@require_POST
def heartbeat(request, slug, lesson_key):
    """Counts time on the lesson while its page is visible: player.js calls this every
    PLAYER_HEARTBEAT_SECONDS, when the page is hidden, and with `start=1` (restart the clock,
    credit nothing) when it becomes visible again."""
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    added = services.record_time(
        enrollment, lesson_obj.key, credit=request.POST.get("start") != "1"
    )
    return JsonResponse({"added_seconds": added})


def get_block_for_lesson(lesson_obj, block_key, block_class):
    blocks = blocks_for_player(lesson_obj, block_keys=[block_key])
    if not blocks or not isinstance(blocks[0], block_class):
        raise Http404
    return blocks[0]


def wants_partial(request) -> bool:
    # player.js asks for the swapped partial; without JS the browser gets the whole page.
    return request.headers.get("X-Spreekkamer-Partial") == "1"


@login_required
def scenario(request, slug, lesson_key, block_key):
    """GET: the scenario partial (its own URL, swapped in by player.js). POST: record a choice."""
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    block = get_block_for_lesson(lesson_obj, block_key, ScenarioBlock)
    form = None
    if request.method == "POST":
        form = ScenarioChoiceForm(block, request.POST)
        if form.is_valid():
            services.record_scenario_choice(enrollment, form.cleaned_data["choice"])
            if wants_partial(request):
                return redirect("courses:scenario", slug, lesson_key, block_key)
            return redirect(
                reverse("courses:lesson", args=[slug, lesson_key]) + f"#block-{block_key}"
            )
        if not wants_partial(request):
            return render_lesson(
                request, slug, lesson_key, forms_by_block={block.pk: form}, status=400
            )
    attach_learner_state([block], enrollment, request.user)
    block.form = form
    return render(
        request,
        "courses/partials/scenario.html",
        {"block": block, "course": enrollment.course, "lesson": lesson_obj},
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def reflection(request, slug, lesson_key, block_key):
    """Save this reflection, and the lesson's other reflections typed but not yet saved: the
    button posts the whole completion form, so without JavaScript the page that comes back would
    otherwise lose what was typed elsewhere. All or nothing: a refused field writes nothing."""
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    block = get_block_for_lesson(lesson_obj, block_key, ReflectionBlock)
    reflections, refused = typed_reflections(request, lesson_obj, required=block)
    if refused is None:
        try:
            services.save_reflections(enrollment, reflections)
        except ValidationError as exc:
            form = ReflectionForm(request.POST, prefix=block.key)
            form.is_valid()
            form.add_error("text", exc.messages[0])
            refused = {block.pk: form}
    if refused is not None:
        return render_lesson(request, slug, lesson_key, forms_by_block=refused, status=400)
    messages.success(request, _("Je reflectie is opgeslagen. Alleen jij kunt hem lezen."))
    return redirect(reverse("courses:lesson", args=[slug, lesson_key]) + f"#block-{block_key}")


@login_required
def practice(request, slug, lesson_key, block_key):
    """GET: the practice-quiz partial (swapped by player.js). POST: grade; feedback in place."""
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    block = get_block_for_lesson(lesson_obj, block_key, QuizBlock)
    if block.quiz.kind != Quiz.Kind.PRACTICE:
        raise Http404
    status = 200
    if request.method == "POST":
        form = QuizForm(list(block.quiz.questions.all()), request.POST)
        if form.is_valid():
            attempt_obj = services.start_attempt(enrollment, block.quiz)
            services.submit_attempt(attempt_obj.pk, request.POST, request.user)
            if wants_partial(request):
                return redirect("courses:practice", slug, lesson_key, block_key)
            return redirect(
                reverse("courses:lesson", args=[slug, lesson_key]) + f"#block-{block_key}"
            )
        if not wants_partial(request):
            return render_lesson(
                request, slug, lesson_key, forms_by_block={block.pk: form}, status=400
            )
        attach_learner_state([block], enrollment, request.user)
        bind_practice_form(block, form)
        status = 400
    else:
        attach_learner_state([block], enrollment, request.user)
    return render(
        request,
        "courses/partials/practice_quiz.html",
        {"block": block, "course": enrollment.course, "lesson": lesson_obj},
        status=status,
    )
