from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("begrippen/", views.glossary, name="glossary"),
    path("leerlijn/<slug:slug>/", views.track_detail, name="track_detail"),
    path("cursus/<slug:slug>/", views.course_detail, name="course_detail"),
    path("cursus/<slug:slug>/inschrijven/", views.enroll, name="enroll"),
    path("cursus/<slug:slug>/verder/", views.resume, name="resume"),
    path("cursus/<slug:slug>/les/<slug:lesson_key>/", views.lesson, name="lesson"),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/afronden/",
        views.complete_lesson,
        name="complete_lesson",
    ),
    path("cursus/<slug:slug>/les/<slug:lesson_key>/tijd/", views.heartbeat, name="heartbeat"),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/scenario/<slug:block_key>/",
        views.scenario,
        name="scenario",
    ),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/reflectie/<slug:block_key>/",
        views.reflection,
        name="reflection",
    ),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/oefenen/<slug:block_key>/",
        views.practice,
        name="practice",
    ),
    path("cursus/<slug:slug>/toets/<slug:quiz_key>/", views.quiz_detail, name="quiz"),
    path("cursus/<slug:slug>/toets/<slug:quiz_key>/starten/", views.quiz_start, name="quiz_start"),
    path(
        "cursus/<slug:slug>/toets/<slug:quiz_key>/poging/<int:attempt_id>/",
        views.attempt,
        name="attempt",
    ),
    path(
        "cursus/<slug:slug>/toets/<slug:quiz_key>/poging/<int:attempt_id>/resultaat/",
        views.attempt_result,
        name="attempt_result",
    ),
    path(
        "cursus/<slug:slug>/zelfevaluatie/",
        views.self_assessment_results,
        name="self_assessment_results",
    ),
    path(
        "cursus/<slug:slug>/zelfevaluatie/<str:phase>/",
        views.self_assessment,
        name="self_assessment",
    ),
    path("cursus/<slug:slug>/afgerond/", views.completion, name="completion"),
    path("cursus/<slug:slug>/certificaat.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("certificaat/<str:code>/", views.verify_certificate, name="verify_certificate"),
]
