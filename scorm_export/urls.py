from django.urls import path

from . import api, records_views

app_name = "scorm_export"
urlpatterns: list = [
    # Accreditation records: staff download and the token-authenticated API (see openapi.json).
    path("beheer/afrondingen/export/", records_views.export_completions, name="export_completions"),
    path("api/v1/openapi.json", api.openapi_document, name="api_openapi"),
    path("api/v1/courses/", api.course_list, name="api_courses"),
    path("api/v1/completions/", api.completion_list, name="api_completions"),
    path("api/v1/completions/<str:code>/", api.completion_detail, name="api_completion"),
]
