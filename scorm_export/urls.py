from django.urls import path

from . import views

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
]
