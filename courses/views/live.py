"""Live sessions (masterclasses): editions, registration, calendar file, attendance, certificate."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .. import services
from ..certificates import build_attendance_certificate_pdf
from ..ical import edition_ics
from ..models import Course, LiveSessionEdition, LiveSessionRegistration, LiveSessionType
from .catalog import completed_course_ids


def live_session(request, slug):
    session_type = get_object_or_404(LiveSessionType, slug=slug)
    editions = list(session_type.editions.upcoming().with_counts().prefetch_related("trainers"))
    mine = {}
    missing = []
    if request.user.is_authenticated:
        mine = {
            r.edition_id: r
            for r in LiveSessionRegistration.objects.filter(
                user=request.user, edition__session_type=session_type
            )
        }
        done = completed_course_ids(request.user)
        prerequisites = Prefetch(
            "prerequisites", queryset=Course.objects.select_related("published_version")
        )
        for entry in session_type.track_entries.prefetch_related(prerequisites):
            missing += [c for c in entry.prerequisites.all() if c.pk not in done]
    for edition in editions:
        edition.places_left = max(edition.capacity - edition.registered_count, 0)
        edition.mine = mine.get(edition.pk)
    attended = [r for r in mine.values() if r.attended_at]
    return render(
        request,
        "courses/live_session.html",
        {
            "session_type": session_type,
            "editions": editions,
            "missing_prerequisites": list(dict.fromkeys(missing)),
            "attended": attended,
        },
    )


def _edition(slug, edition_id) -> LiveSessionEdition:
    return get_object_or_404(
        LiveSessionEdition.objects.select_related("session_type"),
        pk=edition_id,
        session_type__slug=slug,
    )


@login_required
@require_POST
def register(request, slug, edition_id):
    edition = _edition(slug, edition_id)
    try:
        registration = services.register_for_edition(request.user, edition)
    except services.RegistrationClosed:
        messages.error(request, _("Inschrijven voor deze uitvoering kan niet meer."))
    else:
        if registration.status == LiveSessionRegistration.Status.WAITLISTED:
            messages.info(
                request,
                _(
                    "Deze uitvoering is vol. Je staat op de wachtlijst en krijgt bericht als er "
                    "een plaats vrijkomt."
                ),
            )
        else:
            messages.success(
                request, _("Je bent ingeschreven. Je krijgt een bevestiging per e-mail.")
            )
    return redirect(edition)


@login_required
@require_POST
def cancel(request, slug, edition_id):
    edition = _edition(slug, edition_id)
    registration = get_object_or_404(
        LiveSessionRegistration.objects.active(), edition=edition, user=request.user
    )
    services.cancel_registration(registration)
    messages.success(request, _("Je bent afgemeld."))
    return redirect(edition)


@login_required
def calendar_file(request, slug, edition_id):
    edition = _edition(slug, edition_id)
    get_object_or_404(LiveSessionRegistration.objects.active(), edition=edition, user=request.user)
    response = HttpResponse(edition_ics(edition), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{edition.session_type.slug}.ics"'
    return response


def get_edition_for_trainer(request, slug, edition_id) -> LiveSessionEdition:
    """The edition if the user trains it (or is staff), else 404."""
    edition = _edition(slug, edition_id)
    if not (request.user.is_staff or edition.trainers.filter(pk=request.user.pk).exists()):
        raise Http404
    return edition


@login_required
@never_cache
def attendance(request, slug, edition_id):
    """The trainer's phone: tick who is present; the room's QR code while the edition runs."""
    edition = get_edition_for_trainer(request, slug, edition_id)
    if request.method == "POST":
        present = services.record_attendance(edition, request.POST.getlist("present"))
        messages.success(request, _("Presentie bewaard: %(n)s aanwezig.") % {"n": present})
        return redirect("courses:live_attendance", slug=slug, edition_id=edition.pk)
    registrations = (
        LiveSessionRegistration.objects.filter(
            edition=edition, status=LiveSessionRegistration.Status.REGISTERED
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    return render(
        request,
        "courses/live_attendance.html",
        {"edition": edition, "registrations": registrations, "running": edition.is_running()},
    )


@login_required
def attendance_qr(request, slug, edition_id):
    edition = get_edition_for_trainer(request, slug, edition_id)
    if not edition.is_running():
        raise Http404
    url = request.build_absolute_uri(
        reverse(
            "courses:live_check_in",
            args=[slug, edition.pk, services.check_in_token(edition)],
        )
    )
    out = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10).save(out)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@login_required
def check_in(request, slug, edition_id, token):
    """A learner scanned the room's QR code: confirm presence with one button (POST)."""
    edition = _edition(slug, edition_id)
    if request.method == "POST":
        try:
            services.check_in(request.user, edition, token)
        except services.CheckInRefused:
            messages.error(
                request,
                _(
                    "Aanmelden als aanwezig lukt niet: de code is verlopen of je hebt geen plaats "
                    "in deze uitvoering."
                ),
            )
        else:
            messages.success(request, _("Je bent aangemeld als aanwezig."))
        return redirect(edition)
    return render(request, "courses/live_check_in.html", {"edition": edition})


@login_required
def attendance_certificate(request, slug, edition_id):
    edition = _edition(slug, edition_id)
    registration = get_object_or_404(
        LiveSessionRegistration.objects.select_related("user", "edition__session_type"),
        edition=edition,
        user=request.user,
        attended_at__isnull=False,
    )
    response = HttpResponse(
        build_attendance_certificate_pdf(registration), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="certificaat-{edition.session_type.slug}-{edition.pk}.pdf"'
    )
    return response
