"""The learner's path: catalog, tracks, course page, player, quizzes, completion, certificate.

Function views; every learner view is login_required and reads through a `get_<obj>_for_user()`
helper that answers 404 for anything that is not the learner's own. Workflows go through
`courses.services`; these views only translate HTTP to service calls and back.

Track prerequisites are advisory: a course that builds on another shows "begin eerst met …"
until the other is completed, but a learner may still enrol and take it on its own (a
practice nurse may already know the basics from elsewhere).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import lesson_pages, services
from .certificates import build_certificate_pdf, certificate_filename
from .forms import QuizForm, ReflectionForm, ScenarioChoiceForm
from .models import (
    Answer,
    Course,
    CourseCompletion,
    Enrollment,
    GlossaryTerm,
    LearningTrack,
    Lesson,
    LessonProgress,
    Module,
    Quiz,
    QuizAttempt,
    QuizBlock,
    ReflectionBlock,
    ScenarioBlock,
    TrackCourse,
)
from .player import (
    annotate_question,
    attach_learner_state,
    bind_practice_form,
    blocks_for_player,
    questions_prefetch,
)

PHASES = {"voor": QuizAttempt.Phase.PRE, "na": QuizAttempt.Phase.POST}


# --- Access helpers ------------------------------------------------------------------------------


def get_course_for_user(user, slug) -> Course:
    """Return a published course (authors may also open their unpublished ones), else 404."""
    course = get_object_or_404(Course.objects.select_related("published_version"), slug=slug)
    if course.published_version_id is None and not (
        user.is_authenticated and Course.objects.editable_by(user).filter(pk=course.pk).exists()
    ):
        raise Http404
    return course


def get_enrollment_for_user(user, slug) -> Enrollment:
    """The user's own enrolment in the course `slug`, with course and version; 404 otherwise."""
    return get_object_or_404(
        Enrollment.objects.select_related("course", "version", "user"), user=user, course__slug=slug
    )


def get_lesson_for_enrollment(enrollment, lesson_key) -> Lesson:
    return get_object_or_404(
        Lesson.objects.for_player(), module__version=enrollment.version, key=lesson_key
    )


def get_quiz_for_enrollment(enrollment, quiz_key) -> Quiz:
    return get_object_or_404(Quiz, version=enrollment.version, key=quiz_key)


def get_attempt_for_user(user, attempt_id) -> QuizAttempt:
    """The user's own attempt; anyone else's is a 404 (a 403 would confirm it exists)."""
    return get_object_or_404(
        QuizAttempt.objects.select_related("quiz", "enrollment__course", "enrollment__version"),
        pk=attempt_id,
        enrollment__user=user,
    )


def get_completion_for_user(user, slug) -> CourseCompletion:
    return get_object_or_404(
        CourseCompletion.objects.select_related(
            "enrollment__user", "enrollment__course", "version__course"
        ),
        enrollment__user=user,
        enrollment__course__slug=slug,
    )


def enrollment_or_redirect(request, slug):
    """The learner's enrolment, or a redirect to the course page when they are not enrolled."""
    enrollment = (
        Enrollment.objects.select_related("course", "version")
        .filter(user=request.user, course__slug=slug)
        .first()
    )
    if enrollment is None:
        course = get_course_for_user(request.user, slug)
        messages.info(request, _("Schrijf je eerst in voor deze cursus."))
        return None, redirect(course)
    return enrollment, None


# --- Catalog and tracks --------------------------------------------------------------------------


def glossary(request):
    """The glossary of terms; `?cursus=<slug>` narrows it to the terms one course uses."""
    terms = GlossaryTerm.objects.order_by("term")
    course = None
    slug = request.GET.get("cursus", "")
    if slug:
        course = Course.objects.for_catalog().filter(slug=slug).first()
        if course is None:
            raise Http404
        terms = terms.filter(courses=course)
    return render(request, "courses/glossary.html", {"terms": terms, "course": course})


def catalog(request):
    courses = list(Course.objects.for_catalog())
    tracks = list(
        LearningTrack.objects.order_by("title").prefetch_related(
            Prefetch("entries", queryset=TrackCourse.objects.order_by("position"))
        )
    )
    enrollments = {}
    if request.user.is_authenticated:
        enrollments = {
            e.course_id: e for e in Enrollment.objects.filter(user=request.user).with_progress()
        }
    for course in courses:
        course.my_enrollment = enrollments.get(course.pk)
    return render(request, "courses/catalog.html", {"courses": courses, "tracks": tracks})


def completed_course_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        Enrollment.objects.filter(user=user, completed_at__isnull=False).values_list(
            "course_id", flat=True
        )
    )


def track_detail(request, slug):
    track = get_object_or_404(
        LearningTrack.objects.prefetch_related(
            Prefetch(
                "entries",
                queryset=TrackCourse.objects.order_by("position").select_related(
                    "course__published_version"
                ),
            ),
            Prefetch(
                "entries__prerequisites",
                queryset=Course.objects.select_related("published_version"),
            ),
        ),
        slug=slug,
    )
    entries = [e for e in track.entries.all() if e.course.published_version_id]
    enrollments = {}
    if request.user.is_authenticated:
        enrollments = {
            e.course_id: e
            for e in Enrollment.objects.filter(
                user=request.user, course__in=[e.course_id for e in entries]
            ).with_progress()
        }
    done = {course_id for course_id, e in enrollments.items() if e.is_completed}
    for entry in entries:
        entry.my_enrollment = enrollments.get(entry.course_id)
        entry.missing_prerequisites = [c for c in entry.prerequisites.all() if c.pk not in done]
    completed = sum(1 for e in entries if e.course_id in done)
    return render(
        request,
        "courses/track_detail.html",
        {
            "track": track,
            "entries": entries,
            "completed_count": completed,
            "total_count": len(entries),
        },
    )


# --- Course page and enrolment -------------------------------------------------------------------


def missing_prerequisites(user, course) -> list[Course]:
    """Courses a track puts before `course` that the user has not completed (advisory)."""
    required = (
        Course.objects.filter(
            pk__in=TrackCourse.prerequisites.through.objects.filter(
                trackcourse__course=course
            ).values("course_id")
        )
        .exclude(pk=course.pk)
        .select_related("published_version")
        .order_by("slug")
    )
    done = completed_course_ids(user)
    return [c for c in required if c.pk not in done and c.published_version_id]


def course_detail(request, slug):
    course = get_course_for_user(request.user, slug)
    enrollment = None
    if request.user.is_authenticated:
        enrollment = (
            Enrollment.objects.filter(user=request.user, course=course)
            .with_progress()
            .select_related("version", "completion")
            .first()
        )
    version = enrollment.version if enrollment else course.published_version
    if version is None:  # an author looking at a course that was never published
        version = course.versions.order_by("-number").first()
    modules = list(
        Module.objects.filter(version=version)
        .order_by("position")
        .prefetch_related(Prefetch("lessons", queryset=Lesson.objects.order_by("position")))
    )
    quizzes = {
        q.kind: q for q in Quiz.objects.filter(version=version).exclude(kind=Quiz.Kind.PRACTICE)
    }
    progress = {}
    pre_done = False
    final_passed = False
    resume_lesson = None
    if enrollment:
        progress = {p.lesson_key: p for p in LessonProgress.objects.filter(enrollment=enrollment)}
        attempts = QuizAttempt.objects.filter(enrollment=enrollment, submitted_at__isnull=False)
        pre_done = attempts.filter(phase=QuizAttempt.Phase.PRE).exists()
        final_passed = attempts.filter(quiz__kind=Quiz.Kind.FINAL, passed=True).exists()
    first_lesson = None
    for module in modules:
        for lesson_obj in module.lessons.all():
            first_lesson = first_lesson or lesson_obj
            row = progress.get(lesson_obj.key)
            lesson_obj.status = (
                "done" if row and row.is_completed else ("started" if row else "new")
            )
            if enrollment and lesson_obj.key == enrollment.last_lesson_key:
                resume_lesson = lesson_obj
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "version": version,
            "modules": modules,
            "enrollment": enrollment,
            "final_test": quizzes.get(Quiz.Kind.FINAL),
            "self_assessment": quizzes.get(Quiz.Kind.SELF_ASSESSMENT),
            "pre_done": pre_done,
            "final_passed": final_passed,
            "first_lesson": first_lesson,
            "resume_lesson": resume_lesson,
            # The version's most recent content review (its lessons are reviewed one by one).
            "reviewed_on": max(
                (item.reviewed_on for m in modules for item in m.lessons.all() if item.reviewed_on),
                default=None,
            ),
            "missing_prerequisites": missing_prerequisites(request.user, course),
            "profile_url": reverse("profile"),
        },
    )


@login_required
@require_POST
def enroll(request, slug):
    course = get_course_for_user(request.user, slug)
    try:
        services.enroll_learner(request.user, course)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(course)
    messages.success(request, _("Je bent ingeschreven. Veel leerplezier!"))
    return redirect(course)


@login_required
def dashboard(request):
    enrollments = list(
        Enrollment.objects.for_dashboard(request.user)
        .with_progress()
        .select_related("completion__version")
    )
    # Lesson keys are only unique within a version, so look titles up by (version, key).
    resume_titles = {
        (version_id, key): title
        for version_id, key, title in Lesson.objects.filter(
            module__version__in=[e.version_id for e in enrollments],
            key__in=[e.last_lesson_key for e in enrollments if e.last_lesson_key],
        ).values_list("module__version_id", "key", "title")
    }
    for enrollment in enrollments:
        enrollment.resume_title = resume_titles.get(
            (enrollment.version_id, enrollment.last_lesson_key)
        )
    active = [e for e in enrollments if not e.is_completed]
    completed = [e for e in enrollments if e.is_completed]
    return render(request, "courses/dashboard.html", {"active": active, "completed": completed})


# --- Lesson player -------------------------------------------------------------------------------


def render_lesson(request, slug, lesson_key, *, forms_by_block=None, status=200):
    """The lesson page (`courses.lesson_pages`); a first visit starts the lesson.

    `forms_by_block` (block pk → bound form) shows a failed submit without JavaScript.
    A learner who is not enrolled is sent to the course page. Queries on a repeat visit with a
    cached snapshot: the learner's own rows (one), plus the blocks they touched; no writes
    unless the resume point moves.
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
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    services.complete_lesson(enrollment, lesson_obj)
    messages.success(request, _("Les “%(title)s” afgerond.") % {"title": lesson_obj.title})
    lessons = list(enrollment.version.lessons_in_order())
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson_obj.pk)
    if index + 1 < len(lessons):
        return redirect("courses:lesson", slug, lessons[index + 1].key)
    return redirect(after_last_lesson_url(enrollment))


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
    """Counts time on the lesson while its page is visible; player.js calls this every 30 s."""
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    added = services.record_time(enrollment, lesson_obj.key)
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
    enrollment = get_enrollment_for_user(request.user, slug)
    lesson_obj = get_lesson_for_enrollment(enrollment, lesson_key)
    block = get_block_for_lesson(lesson_obj, block_key, ReflectionBlock)
    form = ReflectionForm(request.POST, prefix=block.key)
    if form.is_valid():
        try:
            services.save_reflection(request.user, block, form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error("text", exc.messages[0])
    if not form.is_valid():
        return render_lesson(request, slug, lesson_key, forms_by_block={block.pk: form}, status=400)
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


# --- Tests and the final test --------------------------------------------------------------------


def quiz_questions(quiz) -> list:
    """The quiz's questions resolved, with options: 1 + one query per question type + 1."""
    return services.questions_for_grading(quiz.pk)


@login_required
def quiz_detail(request, slug, quiz_key):
    enrollment, response = enrollment_or_redirect(request, slug)
    if response:
        return response
    quiz = get_quiz_for_enrollment(enrollment, quiz_key)
    if quiz.kind == Quiz.Kind.SELF_ASSESSMENT:
        return redirect("courses:self_assessment_results", slug)
    if not quiz.is_scored:
        raise Http404
    attempts = list(QuizAttempt.objects.filter(enrollment=enrollment, quiz=quiz).order_by("number"))
    open_attempt = next((a for a in attempts if not a.is_submitted), None)
    lessons_open = services.required_lesson_keys(enrollment.version) - set(
        LessonProgress.objects.filter(
            enrollment=enrollment, completed_at__isnull=False
        ).values_list("lesson_key", flat=True)
    )
    return render(
        request,
        "courses/quiz_detail.html",
        {
            "course": enrollment.course,
            "enrollment": enrollment,
            "quiz": quiz,
            "attempts": [a for a in attempts if a.is_submitted],
            "open_attempt": open_attempt,
            "attempts_left": services.attempts_left(enrollment, quiz),
            "passed": any(a.passed for a in attempts),
            "lessons_open": len(lessons_open),
            "question_count": quiz.questions.count(),
            "profile_url": reverse("profile"),
        },
    )


@login_required
@require_POST
def quiz_start(request, slug, quiz_key):
    enrollment = get_enrollment_for_user(request.user, slug)
    quiz = get_quiz_for_enrollment(enrollment, quiz_key)
    if not quiz.is_scored:
        raise Http404
    try:
        attempt = services.start_attempt(enrollment, quiz)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Je kunt deze toets niet (meer) maken."))
        return redirect("courses:quiz", slug, quiz_key)
    return redirect("courses:attempt", slug, quiz_key, attempt.pk)


@login_required
def attempt(request, slug, quiz_key, attempt_id):
    """The test form. POST submits every answer at once; a second submit shows the first result."""
    attempt_obj = get_attempt_for_user(request.user, attempt_id)
    if attempt_obj.enrollment.course.slug != slug or attempt_obj.quiz.key != quiz_key:
        raise Http404
    if not attempt_obj.quiz.is_scored:  # practice and self-assessment have their own pages
        raise Http404
    if attempt_obj.is_submitted:
        return redirect("courses:attempt_result", slug, quiz_key, attempt_obj.pk)
    questions = quiz_questions(attempt_obj.quiz)
    form = QuizForm(questions, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.submit_attempt(attempt_obj.pk, request.POST, request.user)
        return redirect("courses:attempt_result", slug, quiz_key, attempt_obj.pk)
    responses = form.responses() if form.is_bound else {}
    for question in questions:
        annotate_question(
            question, responses.get(question.pk), error=form.question_errors.get(question.pk)
        )
    return render(
        request,
        "courses/attempt.html",
        {
            "course": attempt_obj.enrollment.course,
            "quiz": attempt_obj.quiz,
            "attempt": attempt_obj,
            "questions": questions,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def attempt_result(request, slug, quiz_key, attempt_id):
    attempt_obj = get_attempt_for_user(request.user, attempt_id)
    enrollment = attempt_obj.enrollment
    if enrollment.course.slug != slug or attempt_obj.quiz.key != quiz_key:
        raise Http404
    if attempt_obj.quiz.kind == Quiz.Kind.SELF_ASSESSMENT:
        return redirect("courses:self_assessment_results", slug)
    if not attempt_obj.quiz.is_scored:
        raise Http404
    if not attempt_obj.is_submitted:
        return redirect("courses:attempt", slug, quiz_key, attempt_obj.pk)
    questions = quiz_questions(attempt_obj.quiz)
    answers = {a.question_id: a for a in Answer.objects.filter(attempt=attempt_obj)}
    for question in questions:
        answer = answers.get(question.pk)
        annotate_question(question, answer.response if answer else None, graded=True)
    completion = CourseCompletion.objects.filter(enrollment=enrollment).first()
    self_assessment = Quiz.objects.filter(
        version=enrollment.version, kind=Quiz.Kind.SELF_ASSESSMENT
    ).first()
    return render(
        request,
        "courses/attempt_result.html",
        {
            "course": enrollment.course,
            "quiz": attempt_obj.quiz,
            "attempt": attempt_obj,
            "questions": questions,
            "attempts_left": services.attempts_left(enrollment, attempt_obj.quiz),
            "completion": completion,
            "self_assessment": self_assessment,
            "post_done": QuizAttempt.objects.filter(
                enrollment=enrollment, phase=QuizAttempt.Phase.POST, submitted_at__isnull=False
            ).exists(),
        },
    )


# --- Self-assessment (0-meting and nameting) -----------------------------------------------------


def self_assessment_for(enrollment) -> Quiz:
    quiz = (
        Quiz.objects.filter(version=enrollment.version, kind=Quiz.Kind.SELF_ASSESSMENT)
        .prefetch_related(questions_prefetch())
        .first()
    )
    if quiz is None:
        raise Http404
    return quiz


@login_required
def self_assessment(request, slug, phase):
    """The pre (before the first lesson) or post (after passing the final test) self-assessment."""
    if phase not in PHASES:
        raise Http404
    enrollment = get_enrollment_for_user(request.user, slug)
    quiz = self_assessment_for(enrollment)
    phase_value = PHASES[phase]
    submitted = QuizAttempt.objects.filter(
        enrollment=enrollment, quiz=quiz, phase=phase_value, submitted_at__isnull=False
    )
    if submitted.exists():
        messages.info(request, _("Je hebt deze zelfevaluatie al ingevuld."))
        return redirect("courses:self_assessment_results", slug)
    if (
        phase_value == QuizAttempt.Phase.POST
        and not QuizAttempt.objects.filter(
            enrollment=enrollment, quiz__kind=Quiz.Kind.FINAL, passed=True
        ).exists()
    ):
        messages.info(request, _("De nameting kun je invullen nadat je de eindtoets hebt gehaald."))
        return redirect(enrollment.course)
    questions = list(quiz.questions.all())
    form = QuizForm(questions, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        attempt_obj = services.start_attempt(enrollment, quiz, phase=phase_value)
        services.submit_attempt(attempt_obj.pk, request.POST, request.user)
        messages.success(request, _("Dank je wel, je zelfevaluatie is opgeslagen."))
        if phase_value == QuizAttempt.Phase.PRE:
            return redirect("courses:resume", slug)
        return redirect("courses:self_assessment_results", slug)
    responses = form.responses() if form.is_bound else {}
    for question in questions:
        annotate_question(
            question, responses.get(question.pk), error=form.question_errors.get(question.pk)
        )
    return render(
        request,
        "courses/self_assessment.html",
        {
            "course": enrollment.course,
            "quiz": quiz,
            "phase": phase_value,
            "questions": questions,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def self_assessment_results(request, slug):
    """Before and after side by side, per statement."""
    enrollment = get_enrollment_for_user(request.user, slug)
    quiz = self_assessment_for(enrollment)
    answers = Answer.objects.filter(
        attempt__enrollment=enrollment, attempt__quiz=quiz, attempt__submitted_at__isnull=False
    ).values_list("attempt__phase", "question_id", "response")
    values: dict[tuple[str, int], int | None] = {}
    for phase, question_id, response in answers:
        values[(phase, question_id)] = (response or {}).get("value")
    rows = [
        {
            "question": q,
            "before": values.get((QuizAttempt.Phase.PRE, q.pk)),
            "after": values.get((QuizAttempt.Phase.POST, q.pk)),
        }
        for q in quiz.questions.all()
    ]
    return render(
        request,
        "courses/self_assessment_results.html",
        {
            "course": enrollment.course,
            "quiz": quiz,
            "rows": rows,
            "has_pre": any(r["before"] is not None for r in rows),
            "has_post": any(r["after"] is not None for r in rows),
        },
    )


# --- Completion and certificates -----------------------------------------------------------------


@login_required
def completion(request, slug):
    completion_obj = get_completion_for_user(request.user, slug)
    enrollment = completion_obj.enrollment
    self_assessment_quiz = Quiz.objects.filter(
        version=enrollment.version, kind=Quiz.Kind.SELF_ASSESSMENT
    ).first()
    post_done = QuizAttempt.objects.filter(
        enrollment=enrollment, phase=QuizAttempt.Phase.POST, submitted_at__isnull=False
    ).exists()
    return render(
        request,
        "courses/completion.html",
        {
            "course": enrollment.course,
            "completion": completion_obj,
            "version": completion_obj.version,
            "self_assessment": self_assessment_quiz,
            "post_done": post_done,
        },
    )


@login_required
@require_GET
def certificate_pdf(request, slug):
    """The owner's certificate, found through their own enrolment: no one else's is reachable."""
    completion_obj = get_completion_for_user(request.user, slug)
    if not completion_obj.is_valid:
        raise Http404
    response = HttpResponse(build_certificate_pdf(completion_obj), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{certificate_filename(completion_obj)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


def verify_certificate(request, code):
    """Public: anyone with the code sees the name, course, date and validity. Nothing else."""
    completion_obj = get_object_or_404(
        CourseCompletion.objects.select_related("enrollment__user", "version"),
        verification_code=code,
    )
    return render(request, "courses/verify_certificate.html", {"completion": completion_obj})
