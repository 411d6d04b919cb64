from django.urls import path

from . import api, views

app_name = "records"
urlpatterns = [
    # Register accreditation: staff overview and attendance exports (docs/registers.md)
    path(
        "beheer/cursus/<slug:slug>/accreditatie/",
        views.attendance_overview,
        name="attendance_overview",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/<int:pk>/deelnemers/",
        views.attendance_learners,
        name="attendance_learners",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/<int:pk>/gerapporteerd/",
        views.attendance_mark_reported,
        name="attendance_mark_reported",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/<int:pk>/pe-online-aanleveren/",
        views.pe_online_prepare,
        name="pe_online_prepare",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/aanlevering/<int:sid>/xml/",
        views.pe_online_submission_xml,
        name="pe_online_submission_xml",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/aanlevering/<int:sid>/antwoord/",
        views.pe_online_reply_upload,
        name="pe_online_reply_upload",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/aanlevering/<int:sid>/versturen/",
        views.pe_online_resend,
        name="pe_online_resend",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/regel/<int:row_id>/opnieuw/",
        views.pe_online_release_row,
        name="pe_online_release_row",
    ),
    path(
        "beheer/cursus/<slug:slug>/accreditatie/<int:pk>/<slug:kind>/",
        views.attendance_download,
        name="attendance_download",
    ),
    # Masterclass editions: presences per register accreditation (PEEditionID per edition)
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/",
        views.edition_attendance,
        name="edition_attendance",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/<int:pk>/gerapporteerd/",
        views.edition_attendance_mark_reported,
        name="edition_attendance_mark_reported",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/<int:pk>/pe-online-aanleveren/",
        views.edition_pe_online_prepare,
        name="edition_pe_online_prepare",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/aanlevering/<int:sid>/xml/",
        views.edition_pe_online_submission_xml,
        name="edition_pe_online_submission_xml",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/aanlevering/<int:sid>/antwoord/",
        views.edition_pe_online_reply_upload,
        name="edition_pe_online_reply_upload",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/aanlevering/<int:sid>/versturen/",
        views.edition_pe_online_resend,
        name="edition_pe_online_resend",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/regel/<int:row_id>/opnieuw/",
        views.edition_pe_online_release_row,
        name="edition_pe_online_release_row",
    ),
    path(
        "beheer/uitvoering/<int:edition_id>/presentie/<int:pk>/<slug:kind>/",
        views.edition_attendance_download,
        name="edition_attendance_download",
    ),
    # Accreditation bodies' own pages (docs/accreditation-records.md)
    path("instantie/", views.body_home, name="body_home"),
    path(
        "instantie/<slug:body_slug>/cursus/<slug:course_slug>/",
        views.body_course,
        name="body_course",
    ),
    path(
        "instantie/<slug:body_slug>/presentie/<int:pk>/",
        views.body_attendance,
        name="body_attendance",
    ),
    # Accreditation records: staff download and the token API (docs/accreditation-records.md)
    path("beheer/afrondingen/export/", views.export_completions, name="export_completions"),
    path("api/v1/openapi.json", api.openapi_document, name="openapi"),
    path("api/v1/courses/", api.course_list, name="api_courses"),
    path("api/v1/completions/", api.completion_list, name="api_completions"),
    path("api/v1/completions/<str:code>/", api.completion_detail, name="api_completion"),
]
