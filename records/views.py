"""Staff pages for accreditation records.

The completions download (needs the view-completions permission), and per course the register
accreditation overview, attendance downloads and marking as reported (staff who author the course;
anyone else gets a 404 so that a course's accreditation data does not even reveal that it exists).
"""

import datetime as dt
import tempfile
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from courses import services as learning
from courses.models import Course, LiveSessionEdition

from . import pe_online
from .api import body_completion_record, completions_for_body
from .attendance import (
    attendance_rows,
    blocked_csv_chunks,
    edition_attendance_rows,
    edition_export_file_name,
    export_file_name,
    pe_online_xml_chunks,
    presence_csv_chunks,
    write_presence_xlsx,
)
from .exports import completions_for_export, export_lines
from .forms import BoundedDateField, CompletionExportForm
from .models import (
    AccreditationBody,
    BlockReason,
    CourseAccreditation,
    EditionAccreditation,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
)
from .registers import (
    VERDICT_PAGE_SIZE,
    ListState,
    ListTooSlow,
    accreditation_overview,
    apply_pe_online_reply,
    edition_pe_online_overview,
    fail_pe_online_submission,
    mark_edition_reported,
    mark_reported,
    pe_online_overview,
    prepare_pe_online_submissions,
    release_rejected_row,
    submission_xml,
    verdict_page,
)
from .tasks import send_pe_online_submission_task

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xapi-jsonl": "application/x-ndjson; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "xapi-jsonl": "jsonl"}


def can_download_learner_records(user) -> bool:
    """Whether `user` is an accreditation manager: downloads name learners and their BIG numbers.

    Course authors are staff too and see aggregates only (docs/privacy.md).
    """
    return user.is_active and user.has_perm("records.manage_accreditation")


@login_required
def export_completions(request):
    """The export form; with valid parameters, the file itself, streamed row by row."""
    if not can_download_learner_records(request.user):
        raise Http404
    form = CompletionExportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        queryset = completions_for_export(data["course"], data["since"], data["until"])
        response = StreamingHttpResponse(
            export_lines(queryset, data["format"]), content_type=CONTENT_TYPES[data["format"]]
        )
        extension = EXTENSIONS[data["format"]]
        filename = f"afronding-{data['course'].slug}-{timezone.localdate():%Y%m%d}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    status = 400 if form.is_bound else 200
    return render(request, "records/export_completions.html", {"form": form}, status=status)


DOWNLOAD_KINDS = ("csv", "xlsx", "pe-xml", "niet-rapporteerbaar")


def get_course_for_staff(user, slug) -> Course:
    """The course when `user` is staff and authors it (superusers: any course); else 404."""
    if not user.is_staff:
        raise Http404
    return get_object_or_404(Course.objects.editable_by(user), slug=slug)


def staff_course_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        course = get_course_for_staff(request.user, slug)
        return view(request, course, *args, **kwargs)

    return wrapper


class PeriodForm(forms.Form):
    since = BoundedDateField(label=gettext_lazy("Afgerond vanaf"))
    until = BoundedDateField(label=gettext_lazy("Afgerond tot en met"))
    include_reported = forms.BooleanField(
        label=gettext_lazy("Ook eerder gerapporteerde deelnemers opnemen"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("De begindatum ligt na de einddatum."))
        return data


def _period(request) -> PeriodForm:
    """The period from the query string; no dates at all means every completion."""
    form = PeriodForm(request.GET)
    form.is_valid()
    return form


def _period_values(form: PeriodForm):
    data = form.cleaned_data
    return data.get("since"), data.get("until"), bool(data.get("include_reported"))


@require_GET
@staff_course_view
def attendance_overview(request, course):
    """Per register: completions reportable, reported and blocked (with reasons), and downloads;
    and the learners whose completion waits only for time on task."""
    form = _period(request)
    rows = accreditation_overview(course)
    states = pe_online_overview(course)
    for row in rows:
        row.pe_online = states.get(row.accreditation.pk)
    return render(
        request,
        "records/attendance_overview.html",
        {
            "course": course,
            "rows": rows,
            "pe_online_configured": pe_online.is_configured(),
            "form": form,
            "query": request.GET.urlencode(),
            "kinds": DOWNLOAD_KINDS,
            "pe_urls": COURSE_PE_URLS,
            "scope": course.slug,
            "awaiting_time": learning.enrollments_awaiting_time(course),
        },
    )


@require_GET
@staff_course_view
def attendance_download(request, course, pk, kind):
    """Stream one export file for one accreditation and the period in the query string."""
    if kind not in DOWNLOAD_KINDS or not can_download_learner_records(request.user):
        raise Http404
    accreditation = get_object_or_404(
        CourseAccreditation.objects.select_related("course"), pk=pk, course=course
    )
    form = _period(request)
    if form.errors:
        messages.error(request, " ".join(form.non_field_errors()) or _("Controleer de periode."))
        return redirect(reverse("records:attendance_overview", args=[course.slug]))
    since, until, include_reported = _period_values(form)
    rows = attendance_rows(accreditation, since, until, include_reported=include_reported)
    name = export_file_name(accreditation, kind, since, until)
    if kind == "xlsx":
        # xlsx is a zip: it is assembled on a temporary file, then streamed from there.
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        write_presence_xlsx(rows, spool)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=name)
    if kind == "pe-xml":
        chunks, content_type = (
            pe_online_xml_chunks(accreditation, rows),
            "application/xml; charset=utf-8",
        )
    elif kind == "csv":
        chunks, content_type = presence_csv_chunks(rows), "text/csv; charset=utf-8"
    else:
        chunks, content_type = blocked_csv_chunks(rows), "text/csv; charset=utf-8"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class LearnerListForm(forms.Form):
    """Which page of an accreditation's learners: state, reason, and where the page starts."""

    state = forms.ChoiceField(
        label=gettext_lazy("Toon"), choices=ListState.choices, initial=ListState.BLOCKED
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reden"),
        choices=[("", gettext_lazy("Alle redenen")), *BlockReason.choices],
        required=False,
    )
    # "<completed_at ISO>~<pk>" of the previous page's last row.
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_after(self):
        value = self.cleaned_data["after"]
        if not value:
            return None
        moment, _sep, pk = value.rpartition("~")
        try:
            completed_at = dt.datetime.fromisoformat(moment)
            return (completed_at, int(pk)) if completed_at.tzinfo else None
        except ValueError:
            return None


@require_GET
@staff_course_view
def attendance_learners(request, course, pk):
    """One accreditation's learners, blocked (with the reason), reportable or reported, a page
    at a time: who is blocked and why, without a download. Names and numbers: accreditation
    managers only, as the downloads."""
    if not can_download_learner_records(request.user):
        raise Http404
    accreditation = get_object_or_404(CourseAccreditation, pk=pk, course=course)
    form = LearnerListForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "records/attendance_learners.html",
            {"course": course, "accreditation": accreditation, "form": form, "rows": []},
            status=400,
        )
    data = form.cleaned_data if form.is_bound else {"state": ListState.BLOCKED}
    context = {
        "course": course,
        "accreditation": accreditation,
        "form": form,
        "state": ListState(data["state"]),
        "first_page": data.get("after") is None,
    }
    try:
        rows = verdict_page(accreditation, data["state"], data.get("reason"), data.get("after"))
    except ListTooSlow:
        # Almost no completion is in this state: the page gave up rather than walk them all.
        return render(
            request, "records/attendance_learners.html", context | {"rows": [], "too_slow": True}
        )
    next_query = ""
    if len(rows) > VERDICT_PAGE_SIZE:
        rows = rows[:VERDICT_PAGE_SIZE]
        last = rows[-1]
        next_query = urlencode(
            {
                "state": data["state"],
                "reason": data.get("reason") or "",
                "after": f"{last.completed_at.isoformat()}~{last.pk}",
            }
        )
    for row in rows:
        row.reason_label = BlockReason(row.block_reason).label if row.block_reason else ""
    return render(
        request,
        "records/attendance_learners.html",
        context | {"rows": rows, "next_query": next_query},
    )


@require_POST
@staff_course_view
def attendance_mark_reported(request, course, pk):
    """Record the reportable, not yet reported completions of the period as reported."""
    accreditation = get_object_or_404(
        CourseAccreditation.objects.select_related("course"), pk=pk, course=course
    )
    form = PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Controleer de periode."))
        return redirect(reverse("records:attendance_overview", args=[course.slug]))
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    name = export_file_name(accreditation, "pe-xml", since, until)
    created = mark_reported(accreditation, since, until, name, user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s deelnemer gemarkeerd als gerapporteerd aan %(register)s.",
            "%(count)s deelnemers gemarkeerd als gerapporteerd aan %(register)s.",
            created,
        )
        % {"count": created, "register": accreditation.register_label},
    )
    return redirect(reverse("records:attendance_overview", args=[course.slug]))


def accreditation_manager_required(view):
    """Edition presence lists name learners and their register numbers: accreditation managers
    only (as `export_completions`); anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_download_learner_records(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@accreditation_manager_required
def edition_attendance(request, edition_id):
    """A masterclass edition: presences, and per register accreditation the presence list and
    the PE-online XML (with the edition's PEEditionID)."""
    edition = get_object_or_404(
        LiveSessionEdition.objects.select_related("session_type"), pk=edition_id
    )
    accreditations = []
    states = edition_pe_online_overview(edition)
    for accreditation in EditionAccreditation.objects.filter(edition=edition).order_by(
        "register", "pk"
    ):
        rows = list(edition_attendance_rows(accreditation, include_reported=True))
        accreditation.reportable = sum(1 for r in rows if r.reportable and not r.reported_at)
        accreditation.reported = sum(1 for r in rows if r.reported_at)
        accreditation.blocked = sum(1 for r in rows if not r.reportable)
        accreditation.pe_online = states.get(accreditation.pk)
        accreditations.append(accreditation)
    present = edition.registrations.filter(attended_at__isnull=False).count()
    return render(
        request,
        "records/edition_attendance.html",
        {
            "edition": edition,
            "accreditations": accreditations,
            "present": present,
            "pe_online_configured": pe_online.is_configured(),
            "pe_urls": EDITION_PE_URLS,
            "scope": edition.pk,
        },
    )


@require_GET
@accreditation_manager_required
def edition_attendance_download(request, edition_id, pk, kind):
    accreditation = get_object_or_404(
        EditionAccreditation.objects.select_related("edition__session_type"),
        pk=pk,
        edition_id=edition_id,
    )
    if kind not in ("csv", "pe-xml", "blocked"):
        raise Http404
    rows = edition_attendance_rows(accreditation)
    if kind == "pe-xml":
        chunks, content_type = pe_online_xml_chunks(accreditation, rows), "application/xml"
    elif kind == "csv":
        chunks, content_type = presence_csv_chunks(rows), "text/csv; charset=utf-8"
    else:
        chunks, content_type = blocked_csv_chunks(rows), "text/csv; charset=utf-8"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    name = edition_export_file_name(accreditation, kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@accreditation_manager_required
def edition_attendance_mark_reported(request, edition_id, pk):
    accreditation = get_object_or_404(
        EditionAccreditation.objects.select_related("edition__session_type"),
        pk=pk,
        edition_id=edition_id,
    )
    created = mark_edition_reported(
        accreditation, edition_export_file_name(accreditation, "pe-xml"), user=request.user
    )
    messages.success(
        request,
        ngettext(
            "%(count)s deelnemer gemarkeerd als gerapporteerd aan %(register)s.",
            "%(count)s deelnemers gemarkeerd als gerapporteerd aan %(register)s.",
            created,
        )
        % {"count": created, "register": accreditation.register_label},
    )
    return redirect(reverse("records:edition_attendance", args=[edition_id]))


# --- PE-online submissions (docs/registers.md, "Reconciliation with PE-online") -----------------


class PeOnlineReplyForm(forms.Form):
    reply = forms.FileField(label=gettext_lazy("Antwoord van PE-online (XML)"))

    def clean_reply(self):
        upload = self.cleaned_data["reply"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("Het antwoord is groter dan 5 MB."))
        return upload.read()


@dataclass(frozen=True)
class PeScope:
    """Where PE-online submissions are managed: a course's accreditation overview or a
    masterclass edition's presence page. The same views serve both (one code path)."""

    submissions: QuerySet
    rows: QuerySet
    back: str  # the page to return to

    @classmethod
    def for_course(cls, course) -> "PeScope":
        return cls(
            PeOnlineSubmission.objects.filter(accreditation__course=course),
            PeOnlineSubmissionRow.objects.filter(submission__accreditation__course=course),
            reverse("records:attendance_overview", args=[course.slug]),
        )

    @classmethod
    def for_edition(cls, edition_id: int) -> "PeScope":
        return cls(
            PeOnlineSubmission.objects.filter(edition_accreditation__edition_id=edition_id),
            PeOnlineSubmissionRow.objects.filter(
                submission__edition_accreditation__edition_id=edition_id
            ),
            reverse("records:edition_attendance", args=[edition_id]),
        )

    def submission(self, sid) -> PeOnlineSubmission:
        return get_object_or_404(
            self.submissions.select_related(
                "accreditation__course", "edition_accreditation__edition__session_type"
            ),
            pk=sid,
        )


# URL names of the PE-online actions, per scope (the template partial reads them).
COURSE_PE_URLS = {
    "prepare": "records:pe_online_prepare",
    "xml": "records:pe_online_submission_xml",
    "reply": "records:pe_online_reply_upload",
    "resend": "records:pe_online_resend",
    "release": "records:pe_online_release_row",
}
EDITION_PE_URLS = {name: url.replace(":", ":edition_", 1) for name, url in COURSE_PE_URLS.items()}


def _prepare(request, scope: PeScope, accreditation, since=None, until=None):
    """Put the reportable rows into PE-online submissions (sent when configured)."""
    submissions = prepare_pe_online_submissions(accreditation, since, until, user=request.user)
    if not submissions:
        messages.info(request, _("Er is niets nieuws om aan PE-online te leveren."))
    elif pe_online.is_configured():
        messages.success(
            request,
            ngettext(
                "%(count)s aanlevering wordt naar PE-online verstuurd.",
                "%(count)s aanleveringen worden naar PE-online verstuurd.",
                len(submissions),
            )
            % {"count": len(submissions)},
        )
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s aanlevering klaargezet: download het bestand, lever het aan bij "
                "PE-online en lees het antwoord hier in.",
                "%(count)s aanleveringen klaargezet: download de bestanden, lever ze aan bij "
                "PE-online en lees de antwoorden hier in.",
                len(submissions),
            )
            % {"count": len(submissions)},
        )
    return redirect(scope.back)


def _submission_xml(scope: PeScope, sid):
    """The submission's <Entry> without the userKey (PE-online's upload asks for it)."""
    submission = scope.submission(sid)
    response = HttpResponse(submission_xml(submission), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{submission.file_name}"'
    return response


def _reply_upload(request, scope: PeScope, sid):
    """Read PE-online's reply to a submission; a malformed reply changes nothing."""
    submission = scope.submission(sid)
    form = PeOnlineReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(scope.back)
    try:
        submission = apply_pe_online_reply(submission.pk, form.cleaned_data["reply"], request.user)
    except pe_online.PeOnlineBatchRefused as exc:
        fail_pe_online_submission(submission.pk, str(exc), form.cleaned_data["reply"])
        messages.error(request, str(exc))
    except pe_online.PeOnlineReplyError as exc:
        messages.error(
            request,
            _("Het antwoord is niet ingelezen; er is niets gewijzigd. %(error)s") % {"error": exc},
        )
    else:
        messages.success(
            request,
            _("Antwoord ingelezen: %(accepted)s geaccepteerd, %(rejected)s geweigerd.")
            % {"accepted": submission.accepted_count, "rejected": submission.rejected_count},
        )
    return redirect(scope.back)


def _resend(request, scope: PeScope, sid):
    """Queue a pending submission for the web service again (after a lost retry)."""
    submission = scope.submission(sid)
    if pe_online.is_configured() and submission.status == PeOnlineSubmission.Status.PENDING:
        send_pe_online_submission_task.delay(submission.pk)
        messages.success(request, _("De aanlevering wordt opnieuw verstuurd."))
    return redirect(scope.back)


def _release_row(request, scope: PeScope, row_id):
    """Offer a row PE-online rejected again, unchanged, with the next submission."""
    row = get_object_or_404(scope.rows, pk=row_id)
    release_rejected_row(row.pk, request.user)
    messages.success(request, _("De regel wordt met de volgende aanlevering opnieuw aangeboden."))
    return redirect(scope.back)


@require_POST
@staff_course_view
def pe_online_prepare(request, course, pk):
    """Put the period's reportable completions into PE-online submissions."""
    accreditation = get_object_or_404(
        CourseAccreditation.objects.select_related("course"), pk=pk, course=course
    )
    form = PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Controleer de periode."))
        return redirect(PeScope.for_course(course).back)
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    return _prepare(request, PeScope.for_course(course), accreditation, since, until)


@require_GET
@staff_course_view
def pe_online_submission_xml(request, course, sid):
    return _submission_xml(PeScope.for_course(course), sid)


@require_POST
@staff_course_view
def pe_online_reply_upload(request, course, sid):
    return _reply_upload(request, PeScope.for_course(course), sid)


@require_POST
@staff_course_view
def pe_online_resend(request, course, sid):
    return _resend(request, PeScope.for_course(course), sid)


@require_POST
@staff_course_view
def pe_online_release_row(request, course, row_id):
    return _release_row(request, PeScope.for_course(course), row_id)


@require_POST
@accreditation_manager_required
def edition_pe_online_prepare(request, edition_id, pk):
    """Put the edition's reportable presences into PE-online submissions."""
    accreditation = get_object_or_404(
        EditionAccreditation.objects.select_related("edition__session_type"),
        pk=pk,
        edition_id=edition_id,
    )
    return _prepare(request, PeScope.for_edition(edition_id), accreditation)


@require_GET
@accreditation_manager_required
def edition_pe_online_submission_xml(request, edition_id, sid):
    return _submission_xml(PeScope.for_edition(edition_id), sid)


@require_POST
@accreditation_manager_required
def edition_pe_online_reply_upload(request, edition_id, sid):
    return _reply_upload(request, PeScope.for_edition(edition_id), sid)


@require_POST
@accreditation_manager_required
def edition_pe_online_resend(request, edition_id, sid):
    return _resend(request, PeScope.for_edition(edition_id), sid)


@require_POST
@accreditation_manager_required
def edition_pe_online_release_row(request, edition_id, row_id):
    return _release_row(request, PeScope.for_edition(edition_id), row_id)


# --- Accreditation bodies in the web UI (docs/accreditation-records.md) ------------------------


def get_body_for_user(user, slug) -> AccreditationBody:
    """The body when `user` is one of its users; else 404."""
    return get_object_or_404(AccreditationBody.objects.filter(users=user), slug=slug)


@login_required
@require_GET
def body_home(request):
    """The accreditation bodies of the logged-in user and the courses each accredits."""
    bodies = list(
        AccreditationBody.objects.filter(users=request.user).prefetch_related(
            "courses__published_version"
        )
    )
    if not bodies:
        raise Http404
    return render(request, "records/body_home.html", {"bodies": bodies})


@login_required
@require_GET
def body_course(request, body_slug, course_slug):
    """One accredited course's completions as the body may see them (actor mode, register),
    with a CSV download and, for a register body outside anonymous mode, the presence lists."""
    body = get_body_for_user(request.user, body_slug)
    course = get_object_or_404(body.courses.all(), slug=course_slug)
    records = [
        body_completion_record(body, completion)
        for completion in completions_for_body(body, course)
    ]
    if request.GET.get("format") == "csv":
        fields = ["learner", "learner_name", "register", "register_number", "big_number"]
        fields += ["course", "version", "completed_at", "score", "passed", "study_load_hours"]
        response = StreamingHttpResponse(
            csv_lines_for(fields, records), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="afrondingen-{body.slug}-{course.slug}.csv"'
        )
        return response
    accreditations = []
    if body.register and body.actor_mode != AccreditationBody.ActorMode.ACCOUNT:
        accreditations = list(
            CourseAccreditation.objects.for_course(course).filter(register=body.register)
        )
    return render(
        request,
        "records/body_course.html",
        {
            "body": body,
            "course": course,
            "records": records,
            "accreditations": accreditations,
            "anonymous": body.actor_mode == AccreditationBody.ActorMode.ACCOUNT,
        },
    )


@login_required
@require_GET
def body_attendance(request, body_slug, pk):
    """The presence list (CSV) of one accreditation in the body's own register."""
    body = get_body_for_user(request.user, body_slug)
    if not body.register or body.actor_mode == AccreditationBody.ActorMode.ACCOUNT:
        raise Http404
    accreditation = get_object_or_404(
        CourseAccreditation.objects.select_related("course"),
        pk=pk,
        register=body.register,
        course__in=body.courses.all(),
    )
    rows = attendance_rows(accreditation, include_reported=True)
    response = StreamingHttpResponse(
        presence_csv_chunks(rows), content_type="text/csv; charset=utf-8"
    )
    name = export_file_name(accreditation, "csv", None, None)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_lines_for(fields, records):
    import csv

    from lms.lib.spreadsheet import csv_safe_row

    class Line:
        def write(self, value):
            return value

    writer = csv.writer(Line())
    yield writer.writerow(fields)
    for record in records:
        yield writer.writerow(
            csv_safe_row(["" if record[f] is None else str(record[f]) for f in fields])
        )
