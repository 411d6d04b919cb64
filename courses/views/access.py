"""Access helpers of the learner views: each answers 404 for anything that is not the user's own."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from ..catalog_content import published_course
from ..models import (
    Course,
    CourseCompletion,
    Enrollment,
    Lesson,
    Quiz,
    QuizAttempt,
)
from ..publishing import keep_on_published_version


def get_course_for_user(user, slug) -> Course:
    """Return a published course (authors may also open their unpublished ones), else 404.

    A published course, with its published version, is the catalog's (`courses.catalog_content`:
    one cache read, no query), copied so the caller may set attributes on it."""
    published = published_course(slug)
    if published is not None:
        return copy.copy(published)
    course = get_object_or_404(Course.objects.select_related("published_version"), slug=slug)
    if course.published_version_id is None and not (
        user.is_authenticated and Course.objects.editable_by(user).filter(pk=course.pk).exists()
    ):
        raise Http404
    return course


def get_enrollment_for_user(user, slug) -> Enrollment:
    """The user's own enrolment in the course `slug`, with course and version; 404 otherwise.

    An unfinished enrolment that publishing left on an older version moves to the published one
    first (`publishing.keep_on_published_version`: no query when there is nothing to move)."""
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("course__published_version", "version", "user"),
        user=user,
        course__slug=slug,
    )
    return keep_on_published_version(enrollment)


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
        Enrollment.objects.select_related("course__published_version", "version")
        .filter(user=request.user, course__slug=slug)
        .first()
    )
    if enrollment is None:
        return None, not_enrolled(request, slug)
    return keep_on_published_version(enrollment), None


def not_enrolled(request, slug):
    """A redirect to the course page (404 when the user may not see it), with a message to
    enrol first."""
    course = get_course_for_user(request.user, slug)
    messages.info(request, _("Schrijf je eerst in voor deze cursus."))
    return redirect(course)
