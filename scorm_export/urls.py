app_name = "scorm_export"
urlpatterns: list = []

# --- Register accreditation: staff overview and attendance exports (docs/registers.md) ---
from django.urls import path  # noqa: E402

from . import attendance_views  # noqa: E402

urlpatterns += [
    path(
        "beheer/cursus/<slug:slug>/accreditatie/",
        attendance_views.attendance_overview,
        name="attendance_overview",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/<int:pk>/gerapporteerd/",
        attendance_views.attendance_mark_reported,
        name="attendance_mark_reported",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/<int:pk>/<slug:kind>/",
        attendance_views.attendance_download,
        name="attendance_download",
    ),
]

# --- Accreditation records: staff download and the token-authenticated API (openapi.json) ---
from . import api, records_views  # noqa: E402

urlpatterns += [
    path("beheer/afrondingen/export/", records_views.export_completions, name="export_completions"),
    path("api/v1/openapi.json", api.openapi_document, name="openapi"),
    path("api/v1/courses/", api.course_list, name="api_courses"),
    path("api/v1/completions/", api.completion_list, name="api_completions"),
    path("api/v1/completions/<str:code>/", api.completion_detail, name="api_completion"),
]
