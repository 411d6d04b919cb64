from django.urls import path

from . import api, attendance_views, records_views, views

app_name = "scorm_export"
urlpatterns = [
    # Packages (SCORM 1.2, SCORM 2004, cmi5) for course authors: docs/packages.md
    path("auteur/cursus/<slug:slug>/pakketten/", views.package_exports, name="package_exports"),
    path("auteur/pakketten/<int:pk>/", views.package_status, name="package_status"),
    path(
        "auteur/pakketten/<int:pk>/status.json",
        views.package_status_json,
        name="package_status_json",
    ),
    path("auteur/pakketten/<int:pk>/download/", views.package_download, name="package_download"),
    # Register accreditation: staff overview and attendance exports (docs/registers.md)
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
    # Accreditation records: staff download and the token API (docs/accreditation-records.md)
    path("beheer/afrondingen/export/", records_views.export_completions, name="export_completions"),
    path("api/v1/openapi.json", api.openapi_document, name="openapi"),
    path("api/v1/courses/", api.course_list, name="api_courses"),
    path("api/v1/completions/", api.completion_list, name="api_completions"),
    path("api/v1/completions/<str:code>/", api.completion_detail, name="api_completion"),
]
