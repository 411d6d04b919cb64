from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from courses.models import Course
from lms.lib.jobs import status_payload

from . import services
from .forms import PackageExportForm
from .models import PackageExport


def get_authored_course_for_user(user, slug):
    """The course with this slug when `user` authors it (superusers: any course), else 404."""
    return get_object_or_404(
        Course.objects.editable_by(user).select_related("published_version"), slug=slug
    )


def get_export_for_user(user, pk):
    """The package export when `user` authors its course, else 404."""
    return get_object_or_404(
        PackageExport.objects.for_status_page().filter(
            version__course__in=Course.objects.editable_by(user)
        ),
        pk=pk,
    )


@login_required
def package_exports(request, slug):
    course = get_authored_course_for_user(request.user, slug)
    if request.method == "POST":
        form = PackageExportForm(request.POST, course=course)
        if form.is_valid():
            export = services.request_package_export(
                request.user, form.cleaned_data["version"], form.cleaned_data["standard"]
            )
            return redirect(export)
    else:
        form = PackageExportForm(course=course)
    exports = PackageExport.objects.for_status_page().filter(version__course=course)[:20]
    return render(
        request,
        "scorm_export/package_exports.html",
        {"course": course, "form": form, "exports": exports},
    )


@login_required
def package_status(request, pk):
    export = get_export_for_user(request.user, pk)
    return render(request, "scorm_export/package_status.html", {"export": export})


@login_required
def package_status_json(request, pk):
    """The export's status for the page's poll; the download URL once the package is ready."""
    export = get_export_for_user(request.user, pk)
    done = export.status == PackageExport.Status.DONE
    download_url = reverse("scorm_export:package_download", args=[export.pk]) if done else None
    return JsonResponse(status_payload(export, error=export.error, download_url=download_url))


@login_required
def package_download(request, pk):
    export = get_export_for_user(request.user, pk)
    if export.status != PackageExport.Status.DONE or not export.file:
        raise Http404
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.download_name,
        content_type="application/zip",
    )
