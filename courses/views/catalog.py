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

from lms.fragments import Fragments
from lms.page_shell import render_in_shell
from records.registers import registration_warnings

from .. import services
from ..accountability import course_accountability
from ..catalog_content import catalog_content, course_accreditations, track_prerequisites
from ..course_pages import course_parts
from ..learner_rows import course_page_rows, dashboard_rows, enrollments_with_progress
from ..models import (
    Course,
    CourseVersion,
    Enrollment,
    GlossaryTerm,
    LearningTrack,
    Quiz,
    QuizAttempt,
    TrackCourse,
)
from ..outlines import get_outline, set_progress
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
    objectives hold every word searched for (a handful of courses: filtered in Python).
    The courses (with whether they are accredited) and tracks (with their course counts) are
    the same for everyone and kept in memory (`courses.catalog_content`: one cache read); a
    learner's enrolments with their completed lessons are one query. Each course's card is
    rendered once per process for its published version and the learner's state in it
    (`lms.fragments`)."""
    query, words = search_words(request)
    content = catalog_content()
    enrollments = {}
    if request.user.is_authenticated:
        enrollments = {e.course_id: e for e in enrollments_with_progress(request.user)}
    rendered = Fragments()
    cards = []
    for course in content.courses:  # shared by every request: read only
        version = course.published_version
        if not matches(words, version.title, version.summary, *version.learning_objectives):
            continue
        enrollment = enrollments.get(course.pk)
        values: dict = {"status": None, "percent": None, "done": None, "total": None}
        if enrollment is not None and enrollment.is_completed:
            values["status"] = "done"
        elif enrollment is not None:
            values = {
                "status": "started",
                "percent": enrollment.progress_percent,
                "done": enrollment.lessons_done,
                "total": enrollment.lessons_required,
            }
        key = (course.pk, course.slug, version.pk, course.is_accredited, *values.values())
        cards.append(
            rendered(
                "courses/_catalog_card.html",
                key,
                {"course": course, "version": version, **values},
            )
        )
    tracks = [] if query else content.tracks
    return render_in_shell(
        request,
        "courses/catalog.html",
        {"cards": cards, "tracks": tracks, "query": query},
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
    """The course page. The course is the catalog's and its version's modules, lessons and tests
    come from its outline (`courses.catalog_content`, `courses.outlines`: no query once read);
    the learner's own rows are the enrolment (with whether the self-assessment is done and the
    final test passed), its lesson progress and the courses they completed in one query
    (`courses.learner_rows`); the accreditations and the track's prerequisites are kept in memory
    too. The parts that are the same for every learner in the same state are rendered once per
    process (`courses.course_pages`)."""
    course = get_course_for_user(request.user, slug)
    # The courses a track puts before this one (advisory), by slug: a learner is shown those they
    # have not completed, a visitor all.
    prerequisites = list(track_prerequisites(course.pk))
    if request.user.is_authenticated:
        enrollment, progress, prerequisites = course_page_rows(request.user, course, prerequisites)
    else:
        enrollment, progress = None, {}
    if enrollment:
        set_progress(enrollment, {key for key, completed in progress.items() if completed})
    if enrollment and enrollment.completed_at is None:
        repair_completion_on_visit(enrollment)
    version = enrollment.version if enrollment else course.published_version
    if version is None:  # an author looking at a course that was never published
        version = course.versions.order_by("-number").first()
    accreditations = course_accreditations(course.pk)
    warnings = (
        registration_warnings(request.user, course, accreditations)
        if enrollment and not enrollment.is_completed
        else []
    )
    return render_in_shell(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "version": version,
            "enrollment": enrollment,
            "missing_prerequisites": prerequisites,
            "registration_warnings": warnings,
            "profile_url": reverse("profile") if warnings else "",
            **course_parts(
                course.slug,
                version,
                get_outline(version),
                enrollment,
                progress,
                accreditations,
                timezone.localdate(),
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
    """The learner's courses in progress, their leerlijnen and their certificates. Each card and
    each step of a leerlijn is rendered from the few values it shows, once per process for each
    combination (`lms.fragments`): learners at the same point share them."""
    enrollments, registrations = dashboard_rows(request.user)
    rendered = Fragments()
    active, completed, active_cards, certificate_cards = [], [], [], []
    for enrollment in enrollments:
        slug = enrollment.course.slug
        if enrollment.is_completed:
            completed.append(enrollment)
            completion = enrollment.completion
            values = {
                "slug": slug,
                "title": (completion.version.title if completion else "")
                or enrollment.version.title,
                "version_title": enrollment.version.title,
                "completed_on": timezone.localdate(enrollment.completed_at),
            }
            certificate_cards.append(
                rendered("courses/_dashboard_certificate.html", tuple(values.values()), values)
            )
            continue
        active.append(enrollment)
        # Lesson keys are only unique within a version: titles come from each version's outline.
        values = {
            "slug": slug,
            "title": enrollment.version.title,
            "percent": enrollment.progress_percent,
            "done": enrollment.lessons_done,
            "total": enrollment.lessons_required,
            "resume_title": (
                get_outline(enrollment.version).lesson_title(enrollment.last_lesson_key)
                if enrollment.last_lesson_key
                else None
            ),
        }
        active_cards.append(
            rendered("courses/_dashboard_course.html", tuple(values.values()), values)
        )
    leerlijn = []
    for track, steps in services.track_overview(enrollments, registrations):
        rendered_steps = []
        for step in steps:
            starts_on = timezone.localdate(step.starts_at) if step.starts_at else None
            key = (step.kind, step.title, step.url, step.status, starts_on, step.is_next)
            key += (step.certificate_url,)
            rendered_steps.append(
                rendered("courses/_leerlijn_step.html", key, {"step": step, "starts_on": starts_on})
            )
        leerlijn.append((track, rendered_steps))
    return render_in_shell(
        request,
        "courses/dashboard.html",
        {
            "active": active,
            "completed": completed,
            "active_cards": active_cards,
            "certificate_cards": certificate_cards,
            "leerlijn": leerlijn,
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
