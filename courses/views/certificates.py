"""Completion page, certificate PDF and the public certificate verification page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from records.registers import certificate_lines

from ..certificates import build_certificate_pdf, certificate_filename
from ..models import (
    CourseCompletion,
    Quiz,
    QuizAttempt,
)
from .access import get_completion_for_user


def verification_qr_svg(url: str) -> str:
    """The verification URL as an inline SVG QR code, drawn here (nothing external)."""
    import qrcode
    import qrcode.image.svg

    return qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage).to_string(
        encoding="unicode"
    )


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
            "accreditations": certificate_lines(completion_obj),
            "verification_qr": verification_qr_svg(completion_obj.verification_url),
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
    response = HttpResponse(
        build_certificate_pdf(completion_obj, certificate_lines(completion_obj)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{certificate_filename(completion_obj)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


def verify_certificate(request, code):
    """Public: anyone with the code sees the name, course, date and validity. Nothing else."""
    completion_obj = (
        CourseCompletion.objects.select_related("enrollment__user", "version")
        .filter(verification_code=code)
        .first()
    )
    if completion_obj is None:
        # Not a bare 404 page: whoever checks a certificate learns what to look at next.
        return render(request, "courses/certificate_not_found.html", {"code": code}, status=404)
    return render(request, "courses/verify_certificate.html", {"completion": completion_obj})
