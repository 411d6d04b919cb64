from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .models import Course, CourseCompletion, Enrollment, LearningTrack, Lesson


def get_course_for_user(user, slug):
    """Return a published course (authors may also open their unpublished ones), else 404."""
    course = get_object_or_404(Course.objects.select_related("published_version"), slug=slug)
    if course.published_version_id is None and not (
        user.is_authenticated and Course.objects.editable_by(user).filter(pk=course.pk).exists()
    ):
        from django.http import Http404

        raise Http404
    return course


def catalog(request):
    courses = Course.objects.for_catalog()
    tracks = LearningTrack.objects.prefetch_related("entries__course__published_version")
    return render(request, "courses/catalog.html", {"courses": courses, "tracks": tracks})


@login_required
def dashboard(request):
    enrollments = Enrollment.objects.for_dashboard(request.user)
    return render(request, "courses/dashboard.html", {"enrollments": enrollments})


def course_detail(request, slug):
    course = get_course_for_user(request.user, slug)
    enrollment = None
    if request.user.is_authenticated:
        enrollment = Enrollment.objects.filter(user=request.user, course=course).first()
    version = enrollment.version if enrollment else course.published_version
    lessons = list(version.lessons_in_order()) if version else []
    return render(
        request,
        "courses/course_detail.html",
        {"course": course, "version": version, "lessons": lessons, "enrollment": enrollment},
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
    return redirect(course)


@login_required
def lesson(request, slug, lesson_key):
    course = get_course_for_user(request.user, slug)
    enrollment = get_object_or_404(Enrollment, user=request.user, course=course)
    lesson_obj = get_object_or_404(Lesson.objects.for_player(), module__version=enrollment.version, key=lesson_key)
    services.start_lesson(enrollment, lesson_obj)
    blocks = list(lesson_obj.blocks.all())
    return render(
        request, "courses/lesson.html", {"course": course, "lesson": lesson_obj, "blocks": blocks, "enrollment": enrollment}
    )


def track_detail(request, slug):
    track = get_object_or_404(
        LearningTrack.objects.prefetch_related("entries__course__published_version", "entries__prerequisites"),
        slug=slug,
    )
    return render(request, "courses/track_detail.html", {"track": track})


def verify_certificate(request, code):
    completion = get_object_or_404(
        CourseCompletion.objects.select_related("enrollment__user", "version"), verification_code=code
    )
    return render(request, "courses/verify_certificate.html", {"completion": completion})
