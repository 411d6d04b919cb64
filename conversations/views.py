"""Views of 'Wat vind jij?': the facilitator's pages (logged in) and the participants' pages
(no account). A participant is known only by a signed cookie on their own phone that lists the
statements they have answered; the database never learns who answered what."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .forms import JoinForm, NextForm, NotesForm, StartSessionForm
from .models import SESSION_LIFETIME, GroupSession, Statement
from .summary_pdf import build_summary_pdf

COOKIE_SALT = "conversations.participant"


def _cookie_name(session: GroupSession) -> str:
    return f"wvj-{session.code}"


def _participant(request, session: GroupSession) -> dict | None:
    """The participant's own cookie for this session ({"a": [answered shown ids]}), or None."""
    try:
        value = request.get_signed_cookie(_cookie_name(session), salt=COOKIE_SALT)
    except (KeyError, signing.BadSignature):
        return None
    try:
        return signing.loads(value, salt=COOKIE_SALT)
    except signing.BadSignature:
        return None


def _set_participant(response, session: GroupSession, data: dict) -> None:
    response.set_signed_cookie(
        _cookie_name(session),
        signing.dumps(data, salt=COOKIE_SALT, compress=True),
        salt=COOKIE_SALT,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def get_session_for_facilitator(request, code: str) -> GroupSession:
    """The user's own live session with this code, else 404."""
    return get_object_or_404(
        GroupSession.objects.live().select_related("statement_set"),
        code=code.upper(),
        facilitator=request.user,
    )


def _live_session(code: str) -> GroupSession:
    return get_object_or_404(GroupSession.objects.live().for_state(), code=code.upper())


def join_url(request, session: GroupSession) -> str:
    return request.build_absolute_uri(reverse("conversations:participate", args=[session.code]))


# The facilitator ---------------------------------------------------------------------------


@login_required
def index(request):
    form = StartSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = services.start_session(request.user, form.cleaned_data["statement_set"])
        return redirect(session)
    sessions = GroupSession.objects.live().filter(facilitator=request.user)
    return render(
        request,
        "conversations/index.html",
        {"form": form, "sessions": sessions.select_related("statement_set")},
    )


@login_required
@never_cache
def facilitate(request, code):
    session = get_session_for_facilitator(request, code)
    session = GroupSession.objects.for_state().get(pk=session.pk)
    shown = session.current
    remaining = list(services.remaining_statements(session)) if session.is_open else []
    return render(
        request,
        "conversations/facilitate.html",
        {
            "session": session,
            "shown": shown,
            "statement": shown.statement if shown else None,
            "distribution": services.distribution(shown) if shown and shown.revealed else None,
            "remaining": remaining,
            "next_form": NextForm(),
            "notes_form": NotesForm(initial={"notes": session.notes}),
            "join_url": join_url(request, session),
            "discussed": session.shown.count(),
        },
    )


@login_required
@require_POST
def next_statement(request, code):
    session = get_session_for_facilitator(request, code)
    form = NextForm(request.POST)
    if form.is_valid():
        try:
            shown = services.next_statement(
                session, skip=form.cleaned_data["skip"], theme=form.cleaned_data["theme"]
            )
        except services.SessionClosed:
            raise Http404 from None
        if shown is None:
            messages.info(request, _("Er zijn geen stellingen meer over (in dit thema)."))
    return redirect(session)


@login_required
@require_POST
def pick_statement(request, code):
    session = get_session_for_facilitator(request, code)
    statement = get_object_or_404(
        Statement, statement_set=session.statement_set, key=request.POST.get("statement", "")
    )
    try:
        services.show_statement(session, statement)
    except services.NotCurrent:
        messages.error(request, _("Deze stelling is in deze sessie al aan bod geweest."))
    except services.SessionClosed:
        raise Http404 from None
    return redirect(session)


@login_required
@require_POST
def reveal(request, code):
    session = get_session_for_facilitator(request, code)
    services.reveal_distribution(session)
    return redirect(session)


@login_required
@require_POST
def notes(request, code):
    session = get_session_for_facilitator(request, code)
    form = NotesForm(request.POST)
    if form.is_valid():
        services.save_notes(session, form.cleaned_data["notes"])
        messages.success(request, _("Aantekeningen bewaard."))
    return redirect(session)


@login_required
@require_POST
def end(request, code):
    session = get_session_for_facilitator(request, code)
    services.end_session(session)
    messages.success(request, _("De sessie is afgesloten. Download de samenvatting."))
    return redirect(session)


@login_required
def summary_pdf(request, code):
    session = get_session_for_facilitator(request, code)
    response = HttpResponse(build_summary_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="wat-vind-jij-{session.code}.pdf"'
    return response


@login_required
def qr_svg(request, code):
    """The join URL as a QR code, rendered here (never by an outside service)."""
    session = get_session_for_facilitator(request, code)
    image = qrcode.make(
        join_url(request, session), image_factory=qrcode.image.svg.SvgPathImage, box_size=10
    )
    out = io.BytesIO()
    image.save(out)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


# The participants --------------------------------------------------------------------------


def join(request):
    """Type the code shown on the facilitator's screen."""
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if GroupSession.objects.live().filter(code=code, ended_at__isnull=True).exists():
            return redirect("conversations:participate", code=code)
        form.add_error("code", _("Er is geen lopende sessie met deze code."))
    return render(request, "conversations/join.html", {"form": form})


@never_cache
def participate(request, code):
    """GET: the statement on the screen and the answer buttons (or the join button).
    POST: join the session (counted, nothing else stored)."""
    session = _live_session(code)
    participant = _participant(request, session)
    if request.method == "POST" and participant is None:
        try:
            services.join_session(session)
        except services.SessionFull:
            messages.error(request, _("Deze sessie is vol (maximaal 10 deelnemers)."))
            return redirect("conversations:join")
        except services.SessionClosed:
            raise Http404 from None
        response = redirect("conversations:participate", code=session.code)
        _set_participant(response, session, {"a": []})
        return response
    if request.method == "POST":
        return redirect("conversations:participate", code=session.code)
    shown = session.current
    answered = participant is not None and shown is not None and shown.pk in participant["a"]
    return render(
        request,
        "conversations/participate.html",
        {
            "session": session,
            "joined": participant is not None,
            "shown": shown,
            "statement": shown.statement if shown else None,
            "answered": answered,
            "distribution": services.distribution(shown) if shown and shown.revealed else None,
        },
    )


@require_POST
def answer(request, code):
    session = _live_session(code)
    participant = _participant(request, session)
    if participant is None:
        return redirect("conversations:participate", code=session.code)
    try:
        shown_id = int(request.POST.get("shown", ""))
    except ValueError:
        shown_id = 0
    response = redirect("conversations:participate", code=session.code)
    if shown_id in participant["a"]:
        messages.info(request, _("Je hebt deze stelling al beantwoord."))
        return response
    try:
        services.record_answer(session, shown_id, request.POST.get("answer", ""))
    except services.NotCurrent:
        messages.error(request, _("Deze stelling staat niet meer op het scherm."))
        return response
    except services.SessionClosed:
        raise Http404 from None
    # Only the participant's own cookie remembers that they answered; the last 50 are plenty.
    participant["a"] = (participant["a"] + [shown_id])[-50:]
    _set_participant(response, session, participant)
    return response


@never_cache
def state(request, code):
    """The session's state as JSON for polling (static/js/conversations.js). With `?v=` equal to
    the current version: 204 after one query. For participants and the facilitator only."""
    session = _live_session(code)
    if _participant(request, session) is None and not (
        request.user.is_authenticated and request.user.pk == session.facilitator_id
    ):
        raise Http404
    if request.GET.get("v") == str(session.version):
        return HttpResponse(status=204)
    return JsonResponse(services.session_state(session))
