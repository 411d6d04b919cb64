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
