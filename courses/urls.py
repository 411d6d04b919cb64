from django.urls import path

from .views import catalog, certificates, live, player, quizzes

app_name = "courses"
urlpatterns = [
    path("", catalog.catalog, name="catalog"),
    path("dashboard/", catalog.dashboard, name="dashboard"),
    path("begrippen/", catalog.glossary, name="glossary"),
    path("leerlijn/<slug:slug>/", catalog.track_detail, name="track_detail"),
    path("masterclass/<slug:slug>/", live.live_session, name="live_session"),
    path(
        "masterclass/<slug:slug>/<int:edition_id>/inschrijven/", live.register, name="live_register"
    ),
    path("masterclass/<slug:slug>/<int:edition_id>/afmelden/", live.cancel, name="live_cancel"),
    path(
        "masterclass/<slug:slug>/<int:edition_id>/agenda.ics",
        live.calendar_file,
        name="live_calendar",
    ),
    path(
        "masterclass/<slug:slug>/<int:edition_id>/presentie/",
        live.attendance,
        name="live_attendance",
    ),
    path(
        "masterclass/<slug:slug>/<int:edition_id>/presentie/qr.svg",
        live.attendance_qr,
        name="live_attendance_qr",
    ),
    path(
        "masterclass/<slug:slug>/<int:edition_id>/aanwezig/<str:token>/",
        live.check_in,
        name="live_check_in",
    ),
    path(
        "masterclass/<slug:slug>/<int:edition_id>/certificaat.pdf",
        live.attendance_certificate,
        name="live_certificate",
    ),
    path("cursus/<slug:slug>/", catalog.course_detail, name="course_detail"),
    path("cursus/<slug:slug>/inschrijven/", catalog.enroll, name="enroll"),
    path("cursus/<slug:slug>/verder/", player.resume, name="resume"),
    path("cursus/<slug:slug>/les/<slug:lesson_key>/", player.lesson, name="lesson"),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/afronden/",
        player.complete_lesson,
        name="complete_lesson",
    ),
    path("cursus/<slug:slug>/les/<slug:lesson_key>/tijd/", player.heartbeat, name="heartbeat"),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/scenario/<slug:block_key>/",
        player.scenario,
        name="scenario",
    ),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/reflectie/<slug:block_key>/",
        player.reflection,
        name="reflection",
    ),
    path(
        "cursus/<slug:slug>/les/<slug:lesson_key>/oefenen/<slug:block_key>/",
        player.practice,
        name="practice",
    ),
    path("cursus/<slug:slug>/toets/<slug:quiz_key>/", quizzes.quiz_detail, name="quiz"),
    path(
        "cursus/<slug:slug>/toets/<slug:quiz_key>/starten/", quizzes.quiz_start, name="quiz_start"
    ),
    path(
        "cursus/<slug:slug>/toets/<slug:quiz_key>/poging/<int:attempt_id>/",
        quizzes.attempt,
        name="attempt",
    ),
    path(
        "cursus/<slug:slug>/toets/<slug:quiz_key>/poging/<int:attempt_id>/bewaren/",
        quizzes.attempt_draft,
        name="attempt_draft",
    ),
    path(
        "cursus/<slug:slug>/toets/<slug:quiz_key>/poging/<int:attempt_id>/resultaat/",
        quizzes.attempt_result,
        name="attempt_result",
    ),
    path(
        "cursus/<slug:slug>/zelfevaluatie/",
        quizzes.self_assessment_results,
        name="self_assessment_results",
    ),
    path(
        "cursus/<slug:slug>/zelfevaluatie/<str:phase>/",
        quizzes.self_assessment,
        name="self_assessment",
    ),
    path("cursus/<slug:slug>/afgerond/", certificates.completion, name="completion"),
    path("cursus/<slug:slug>/evaluatie/", certificates.evaluation, name="evaluation"),
    path(
        "cursus/<slug:slug>/samenvatting/", certificates.course_summary_page, name="course_summary"
    ),
    path("cursus/<slug:slug>/verantwoording/", catalog.accountability, name="accountability"),
    path(
        "cursus/<slug:slug>/evaluaties/", certificates.evaluation_report, name="evaluation_report"
    ),
    path(
        "cursus/<slug:slug>/evaluaties.csv",
        certificates.evaluation_report_csv,
        name="evaluation_report_csv",
    ),
    path(
        "cursus/<slug:slug>/certificaat.pdf", certificates.certificate_pdf, name="certificate_pdf"
    ),
    path("certificaat/<str:code>/", certificates.verify_certificate, name="verify_certificate"),
]
