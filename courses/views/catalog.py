"""Catalog, glossary, learning tracks, the course page, enrolment and the dashboard.

Track prerequisites are advisory: a course that builds on another shows "begin eerst met …"
until the other is completed, but a learner may still enrol and take it on its own (a
practice nurse may already know the basics from elsewhere).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from records.models import CourseAccreditation
from records.registers import accredited_course_ids, registration_warnings

from .. import services
from ..accountability import course_accountability
from ..models import (
    Course,
    CourseVersion,
    Enrollment,
    GlossaryTerm,
    LearningTrack,
    Lesson,
    LessonProgress,
    Module,
    Quiz,
    QuizAttempt,
    TrackCourse,
)
from .access import get_course_for_user


def search_words(request) -> tuple[str, list[str]]:
    """The `?q=` search text and its lower-cased words (empty when there is no search)."""
    query = request.GET.get("q", "").strip()[:200]
    return query, query.lower().split()


def matches(words: list[str], *texts) -> bool:
    """True when every word occurs in one of `texts` (case-insensitive)."""
    haystack = " ".join(str(text or "") for text in texts).lower()
    return all(word in haystack for word in words)


def glossary(request):
    """The glossary of terms; `?cursus=<slug>` narrows it to the terms one course uses and `?q=`
    to the terms whose name or definition has every word searched for.

    With `&versie=<n>` (the links in a lesson) it shows the terms of that published or retired
    version as they were approved when it was published, whatever changed since.
    """
    query, words = search_words(request)
    course = None
    slug = request.GET.get("cursus", "")
    if slug:
        course = Course.objects.for_catalog().filter(slug=slug).first()
        if course is None:
            raise Http404
    version = None
    if course is not None and request.GET.get("versie", "").isdigit():
        version = (
            course.versions.exclude(status=CourseVersion.Status.DRAFT)
            .filter(number=int(request.GET["versie"]))
            .first()
        )
        if version is None:
            raise Http404
    if version is not None:
        terms = [t for t in version.glossary_terms() if matches(words, t.term, t.definition)]
    else:
        found = GlossaryTerm.objects.order_by("term")
        for word in words:
            found = found.filter(Q(term__icontains=word) | Q(definition__icontains=word))
        if course is not None:
            found = found.filter(courses=course)
        terms = list(found)
    return render(
        request,
        "courses/glossary.html",
        {"terms": terms, "course": course, "version": version, "query": query},
    )


def catalog(request):
    """Published courses and tracks; `?q=` keeps the courses whose title, summary or learning
    objectives hold every word searched for (a handful of courses: filtered in Python)."""
    query, words = search_words(request)
    courses = [
        course
        for course in Course.objects.for_catalog()
        if matches(
            words,
            course.published_version.title,
            course.published_version.summary,
            *course.published_version.learning_objectives,
        )
    ]
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
    accredited = accredited_course_ids()
    for course in courses:
        course.my_enrollment = enrollments.get(course.pk)
        course.is_accredited = course.pk in accredited
    return render(
        request,
        "courses/catalog.html",
        {"courses": courses, "tracks": [] if query else tracks, "query": query},
    )


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
    live_entries = list(
        track.live_entries.select_related("session_type").prefetch_related(
            Prefetch("prerequisites", queryset=Course.objects.select_related("published_version"))
        )
    )
    for entry in live_entries:
        entry.missing_prerequisites = [c for c in entry.prerequisites.all() if c.pk not in done]
    return render(
        request,
        "courses/track_detail.html",
        {
            "track": track,
            "live_entries": live_entries,
            "entries": entries,
            "completed_count": completed,
            "total_count": len(entries),
        },
    )


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


def repair_completion_on_visit(enrollment) -> None:
    """A learner who did everything but has no completion (a past fault) gets it now.

    Costs nothing for most visits: only an enrolment with every required lesson done, or all but
    one (the final test's lesson) and a passed final test, is repaired.
    """
    missing = enrollment.lessons_required - enrollment.lessons_done
    if missing <= 0 or (
        missing == 1
        and QuizAttempt.objects.filter(
            enrollment=enrollment, quiz__kind=Quiz.Kind.FINAL, passed=True
        ).exists()
    ):
        if services.repair_completion(enrollment):
            enrollment.lessons_done = enrollment.lessons_required


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
    if enrollment and enrollment.completed_at is None:
        repair_completion_on_visit(enrollment)
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
            # Only a real accreditation is shown: never a reference placeholder.
            "accreditations": list(
                CourseAccreditation.objects.for_course(course).filter(
                    Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate())
                )
            ),
            # Minutes of time on task an accredited course still expects before it completes.
            "time_still_expected": (
                services.time_still_expected(enrollment) if enrollment is not None else 0
            ),
            "registration_warnings": (
                registration_warnings(request.user, course)
                if enrollment and not enrollment.is_completed
                else []
            ),
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
    return render(
        request,
        "courses/dashboard.html",
        {
            "active": active,
            "completed": completed,
            "leerlijn": services.track_overview(request.user, enrollments),
        },
    )


def accountability(request, slug):
    """The course's verantwoording (public like the course page): who made and reviewed it,
    objectives, sources per lesson, version, next review and how the final test was built."""
    course = get_course_for_user(request.user, slug)
    if course.published_version is None:
        raise Http404
    context = course_accountability(course)
    context["course"] = course
    return render(request, "courses/accountability.html", context)
