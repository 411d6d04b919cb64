"""Tests and the final test (start, attempt, result) and the self-assessment (voormeting and
nameting)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.page_shell import render_in_shell
from records.registers import registration_warnings

from .. import question_pools, services
from ..catalog_content import course_accreditations
from ..forms import QuizForm
from ..learner_rows import quiz_page_rows
from ..models import (
    Answer,
    CourseCompletion,
    Quiz,
    QuizAttempt,
)
from ..outlines import get_outline
from ..player import (
    annotate_question,
    questions_prefetch,
)
from ..summary import self_assessment_rows
from .access import (
    get_attempt_for_user,
    get_enrollment_for_user,
    not_enrolled,
)

PHASES = {"voor": QuizAttempt.Phase.PRE, "na": QuizAttempt.Phase.POST}


def quiz_questions(quiz, enrollment) -> list:
    """The quiz's questions resolved, with options, as fresh instances: no query when this
    process has read those of the enrolment's (published) version before
    (`courses.question_pools`); else 1 + one query per question type + 1."""
    if quiz.version_id == enrollment.version_id:
        return question_pools.quiz_questions(quiz, enrollment.version)
    return services.questions_for_grading(quiz.pk)  # an attempt of an earlier version


@login_required
def quiz_detail(request, slug, quiz_key):
    """A test's page: its facts, the learner's attempts and how to go on. The quiz, its question
    count and the required lessons come from the version's outline (`courses.outlines`); the
    learner's rows (enrolment, attempts, completed lessons) come from one query."""
    rows = quiz_page_rows(request.user, slug, quiz_key)
    if rows is None:
        return not_enrolled(request, slug)
    enrollment = rows.enrollment
    outline = get_outline(enrollment.version)
    quiz = outline.quiz(key=quiz_key)
    if quiz is None:
        raise Http404
    if quiz.kind == Quiz.Kind.SELF_ASSESSMENT:
        return redirect("courses:self_assessment_results", slug)
    if not quiz.is_scored:
        raise Http404
    # Attempts in any version count towards the limit; this version's are listed.
    all_attempts = rows.attempts
    attempts = [a for a in all_attempts if a.quiz_id == quiz.pk]
    for attempt_obj in attempts:
        attempt_obj.quiz = quiz  # score_percent reads the pass mark
    open_attempt = next((a for a in attempts if not a.is_submitted), None)
    lessons_open = outline.required_keys - rows.completed_keys
    passed = any(a.passed for a in attempts)
    warnings = (
        # The course's accreditations are kept in memory (`courses.catalog_content`).
        registration_warnings(
            request.user, enrollment.course, course_accreditations(enrollment.course_id)
        )
        if quiz.kind == Quiz.Kind.FINAL and not passed
        else []
    )
    return render_in_shell(
        request,
        "courses/quiz_detail.html",
        {
            "course": enrollment.course,
            "enrollment": enrollment,
            "quiz": quiz,
            "attempts": [a for a in attempts if a.is_submitted],
            "open_attempt": open_attempt,
            "attempts_left": services.attempts_left(enrollment, quiz, all_attempts),
            "passed": passed,
            "lessons_open": len(lessons_open),
            "question_count": quiz.questions_per_attempt(outline.question_counts[quiz.pk]),
            "registration_warnings": warnings,
            "profile_url": reverse("profile") if warnings else "",
        },
    )


@login_required
@require_POST
def quiz_start(request, slug, quiz_key):
    enrollment = get_enrollment_for_user(request.user, slug)
    quiz = get_outline(enrollment.version).quiz(key=quiz_key)  # shared: read only
    if quiz is None or not quiz.is_scored:
        raise Http404
    try:
        attempt = services.start_attempt(
            enrollment, quiz, questions=quiz_questions(quiz, enrollment)
        )
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
    questions = services.questions_of_attempt(
        attempt_obj, quiz_questions(attempt_obj.quiz, attempt_obj.enrollment)
    )
    data = services.grading_data(attempt_obj, request.POST) if request.method == "POST" else None
    form = QuizForm(questions, data)
    if data is None and attempt_obj.draft:
        # What the learner typed before leaving (or logging out) comes back.
        data = services.grading_data(attempt_obj, attempt_obj.draft)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_attempt(attempt_obj.pk, request.POST, request.user, questions)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("courses:quiz", slug, quiz_key)
        return redirect("courses:attempt_result", slug, quiz_key, attempt_obj.pk)
    responses = {q.pk: q.parse_response(data) for q in questions} if data is not None else {}
    for question in questions:
        annotate_question(
            question,
            responses.get(question.pk),
            error=form.question_errors.get(question.pk),
            raw=data,
            layout=attempt_obj.layout,
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
@require_POST
def attempt_draft(request, slug, quiz_key, attempt_id):
    """Saves the answers typed so far (attempt_draft.js posts the form on every change)."""
    attempt_obj = get_attempt_for_user(request.user, attempt_id)
    if attempt_obj.enrollment.course.slug != slug or attempt_obj.quiz.key != quiz_key:
        raise Http404
    saved = services.save_attempt_draft(attempt_obj.pk, request.POST, request.user)
    return HttpResponse(status=204 if saved else 409)


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
    questions = services.questions_of_attempt(
        attempt_obj, quiz_questions(attempt_obj.quiz, attempt_obj.enrollment)
    )
    answers = {a.question_id: a for a in Answer.objects.filter(attempt=attempt_obj)}
    for question in questions:
        answer = answers.get(question.pk)
        annotate_question(
            question, answer.response if answer else None, graded=True, layout=attempt_obj.layout
        )
    attempts_left = services.attempts_left(enrollment, attempt_obj.quiz)
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
            "attempts_left": attempts_left,
            "reveal_correct": attempt_obj.quiz.reveals_correct_options(
                attempt_obj.passed, attempts_left
            ),
            "completion": completion,
            "self_assessment": self_assessment,
            "post_done": QuizAttempt.objects.filter(
                enrollment=enrollment, phase=QuizAttempt.Phase.POST, submitted_at__isnull=False
            ).exists(),
        },
    )


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
        try:
            attempt_obj = services.start_attempt(enrollment, quiz, phase=phase_value)
            result = services.submit_attempt(attempt_obj.pk, request.POST, request.user)
        except PermissionDenied:
            # A simultaneous request (a double click) handed it in first.
            result = None
        if result is None or not result.newly_submitted:
            messages.info(request, _("Je hebt deze zelfevaluatie al ingevuld."))
            return redirect("courses:self_assessment_results", slug)
        messages.success(request, _("Dank je wel, je zelfevaluatie is opgeslagen."))
        if phase_value == QuizAttempt.Phase.PRE:
            return redirect("courses:resume", slug)
        return redirect("courses:self_assessment_results", slug)
    responses = form.responses() if form.is_bound else {}
    for question in questions:
        annotate_question(
            question,
            responses.get(question.pk),
            error=form.question_errors.get(question.pk),
            raw=form.data if form.is_bound else None,
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
    rows = self_assessment_rows(enrollment, quiz)
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
