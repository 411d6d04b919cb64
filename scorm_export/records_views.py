"""Staff pages for accreditation records: the completions download."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from .records_exports import completions_for_export, export_lines
from .records_forms import CompletionExportForm

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xapi-jsonl": "application/x-ndjson; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "xapi-jsonl": "jsonl"}


def can_export_completions(user) -> bool:
    # Course authors are staff too; completions name learners, so this takes an explicit permission.
    return user.is_active and user.has_perm("courses.view_coursecompletion")


@login_required
def export_completions(request):
    """The export form; with valid parameters, the file itself, streamed row by row."""
    if not can_export_completions(request.user):
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
    return render(request, "scorm_export/export_completions.html", {"form": form})
