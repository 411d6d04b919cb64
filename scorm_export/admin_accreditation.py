"""Admin for register accreditations and the record of reported attendance.

Imported from ScormExportConfig.ready() so that scorm_export/admin.py stays free for other areas.
"""

from django.contrib import admin

from .models import AttendanceReport, CourseAccreditation


@admin.register(CourseAccreditation)
class CourseAccreditationAdmin(admin.ModelAdmin):
    list_display = [
        "course",
        "register",
        "register_name",
        "pe_course_id",
        "pe_edition_id",
        "points",
        "valid_from",
        "valid_until",
        "min_score",
        "first_attempt_only",
    ]
    list_filter = ["register", "first_attempt_only"]
    search_fields = ["course__slug", "pe_course_id", "pe_edition_id", "register_name"]
    raw_id_fields = ["course"]
    list_select_related = ["course__published_version"]


@admin.register(AttendanceReport)
class AttendanceReportAdmin(admin.ModelAdmin):
    """Read-only: a report is a fact about a file that was sent."""

    list_display = ["completion", "accreditation", "reported_at", "file_name", "reported_by"]
    list_filter = ["accreditation__register"]
    list_select_related = [
        "accreditation__course__published_version",
        "completion__enrollment__user",
        "completion__enrollment__course__published_version",
        "reported_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
