"""Completion page, certificate PDF and the public certificate verification page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from records.registers import certificate_lines

from ..certificates import build_certificate_pdf, certificate_filename
from ..evaluations import evaluation_csv, evaluation_summaries, record_evaluation
from ..models import (
    Course,
    CourseCompletion,
    CourseEvaluation,
    LiveSessionRegistration,
    Quiz,
    QuizAttempt,
)
from ..summary import course_summary
from .access import get_completion_for_user, get_enrollment_for_user


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
            "evaluated": CourseEvaluation.objects.filter(enrollment=enrollment).exists(),
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
    if not CourseEvaluation.objects.filter(enrollment_id=completion_obj.enrollment_id).exists():
        # Accreditation asks for a participant evaluation before the certificate.
        return redirect("courses:evaluation", slug=slug)
    response = HttpResponse(
        build_certificate_pdf(completion_obj, certificate_lines(completion_obj)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{certificate_filename(completion_obj)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


class SummaryOptionsForm(forms.Form):
    reflecties = forms.BooleanField(label=_("Neem mijn reflecties op"), required=False)


@login_required
@require_GET
@never_cache  # it may hold reflections: no shared cache or back-button copy after logout
def course_summary_page(request, slug):
    """The learner's own printable summary of a course; reflections only when they tick it."""
    enrollment = get_enrollment_for_user(request.user, slug)
    form = SummaryOptionsForm(request.GET or None)
    include = form.is_valid() and form.cleaned_data["reflecties"]
    return render(
        request,
        "courses/course_summary.html",
        {
            "course": enrollment.course,
            "version": enrollment.version,
            "enrollment": enrollment,
            "form": form if form.is_bound else SummaryOptionsForm(),
            "summary": course_summary(enrollment, include_reflections=include),
        },
    )


def verify_certificate(request, code):
    """Public: anyone with the code sees the name, course, date and validity. Nothing else."""
    completion_obj = (
        CourseCompletion.objects.select_related("enrollment__user", "version")
        .filter(verification_code=code)
        .first()
    )
    if completion_obj is not None:
        return render(request, "courses/verify_certificate.html", {"completion": completion_obj})
    # Masterclass attendance certificates share the URL; a registration counts once attended.
    presence = (
        LiveSessionRegistration.objects.select_related("user", "edition__session_type")
        .filter(certificate_code=code, attended_at__isnull=False)
        .first()
    )
    if presence is not None:
        return render(request, "courses/verify_attendance_certificate.html", {"presence": presence})
    # Not a bare 404 page: whoever checks a certificate learns what to look at next.
    return render(request, "courses/certificate_not_found.html", {"code": code}, status=404)


# --- Participant evaluation (required before the certificate) ---------------------------------


SCALE = [(i, str(i)) for i in range(1, 6)]


class EvaluationForm(forms.ModelForm):
    class Meta:
        model = CourseEvaluation
        fields = ["relevance", "quality", "independence", "minutes_spent", "comment"]
        labels = {
            "relevance": _("Hoe relevant was deze cursus voor je praktijk? (1 = niet, 5 = zeer)"),
            "quality": _("Hoe beoordeel je de kwaliteit? (1 = slecht, 5 = uitstekend)"),
            "independence": _(
                "Was de cursus vrij van commerciële belangen? (1 = helemaal niet, 5 = volledig)"
            ),
            "minutes_spent": _("Hoeveel minuten heb je er werkelijk aan besteed?"),
            "comment": _("Opmerkingen (optioneel; wordt zonder je naam gedeeld met de auteurs)"),
        }
        widgets = {
            "relevance": forms.RadioSelect(choices=SCALE),
            "quality": forms.RadioSelect(choices=SCALE),
            "independence": forms.RadioSelect(choices=SCALE),
            "minutes_spent": forms.NumberInput(attrs={"min": 1, "max": 6000}),
        }

    def clean_minutes_spent(self):
        minutes = self.cleaned_data["minutes_spent"]
        if not 1 <= minutes <= 6000:
            raise forms.ValidationError(_("Vul een aantal minuten tussen 1 en 6000 in."))
        return minutes


@login_required
def evaluation(request, slug):
    """The learner's evaluation of a completed course (once)."""
    completion_obj = get_completion_for_user(request.user, slug)
    enrollment = completion_obj.enrollment
    if CourseEvaluation.objects.filter(enrollment=enrollment).exists():
        return redirect("courses:completion", slug=slug)
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record_evaluation(enrollment, form.cleaned_data)
        messages.success(request, _("Dank je wel voor je evaluatie. Je certificaat staat klaar."))
        return redirect("courses:completion", slug=slug)
    return render(
        request,
        "courses/evaluation.html",
        {"course": enrollment.course, "version": completion_obj.version, "form": form},
        status=400 if form.errors else 200,
    )


def _course_for_author(user, slug):
    if not user.is_staff:
        raise Http404
    return get_object_or_404(Course.objects.editable_by(user), slug=slug)


@login_required
@require_GET
def evaluation_report(request, slug):
    """Aggregates per version for the course's authors: means, distribution chart, comments."""
    course = _course_for_author(request.user, slug)
    return render(
        request,
        "courses/evaluation_report.html",
        {"course": course, "summaries": evaluation_summaries(course), "scale": range(1, 6)},
    )


@login_required
@require_GET
def evaluation_report_csv(request, slug):
    course = _course_for_author(request.user, slug)
    response = HttpResponse(evaluation_csv(course), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluaties-{course.slug}.csv"'
    return response
