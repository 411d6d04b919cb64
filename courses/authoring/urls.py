from django.urls import path

from . import views

app_name = "authoring"

lesson = "<slug:slug>/lessen/<slug:lesson_key>/"
block = lesson + "blokken/<slug:block_key>/"
quiz = "<slug:slug>/quizzen/<slug:quiz_key>/"

urlpatterns = [
    path("", views.index, name="index"),
    path("nieuw/", views.course_create, name="course_create"),
    path("importeren/", views.course_import, name="course_import"),
    path("importeren/<int:pk>/", views.course_import_status, name="course_import_status"),
    path(
        "importeren/<int:pk>/status.json",
        views.course_import_status_json,
        name="course_import_status_json",
    ),
    path("te-reviewen/", views.review_queue, name="review_queue"),
    path("personas/", views.persona_list, name="personas"),
    path("personas/nieuw/", views.persona_edit, name="persona_create"),
    path("personas/<slug:slug>/", views.persona_edit, name="persona"),
    path("<slug:slug>/", views.course_overview, name="course"),
    path("<slug:slug>/concept/", views.draft_create, name="draft_create"),
    path("<slug:slug>/concept/weggooien/", views.draft_discard, name="draft_discard"),
    path("<slug:slug>/gegevens/", views.version_edit, name="version_edit"),
    path("<slug:slug>/modules/nieuw/", views.module_create, name="module_create"),
    path("<slug:slug>/modules/<slug:module_key>/", views.module_edit, name="module"),
    path(
        "<slug:slug>/modules/<slug:module_key>/verplaatsen/", views.module_move, name="module_move"
    ),
    path(
        "<slug:slug>/modules/<slug:module_key>/verwijderen/",
        views.module_delete,
        name="module_delete",
    ),
    path("<slug:slug>/lessen/nieuw/", views.lesson_create, name="lesson_create"),
    path(lesson, views.lesson_edit, name="lesson"),
    path(lesson + "voorbeeld/", views.lesson_preview, name="preview"),
    path(lesson + "verplaatsen/", views.lesson_move, name="lesson_move"),
    path(lesson + "verwijderen/", views.lesson_delete, name="lesson_delete"),
    path(lesson + "blokken/nieuw/<slug:kind>/", views.block_create, name="block_create"),
    path(block, views.block_edit, name="block"),
    path(block + "verplaatsen/", views.block_move, name="block_move"),
    path(block + "verwijderen/", views.block_delete, name="block_delete"),
    path(block + "stappen/nieuw/", views.step_edit, name="step_create"),
    path(block + "stappen/<slug:step_key>/", views.step_edit, name="step"),
    path(block + "stappen/<slug:step_key>/verplaatsen/", views.step_move, name="step_move"),
    path(block + "stappen/<slug:step_key>/verwijderen/", views.step_delete, name="step_delete"),
    path("<slug:slug>/quizzen/nieuw/", views.quiz_create, name="quiz_create"),
    path(quiz, views.quiz_edit, name="quiz"),
    path(quiz + "verwijderen/", views.quiz_delete, name="quiz_delete"),
    path(quiz + "voorbeeld/", views.quiz_preview, name="quiz_preview"),
    path(quiz + "vragen/nieuw/<slug:kind>/", views.question_edit, name="question_create"),
    path(quiz + "vragen/<slug:question_key>/", views.question_edit, name="question"),
    path(
        quiz + "vragen/<slug:question_key>/verplaatsen/", views.question_move, name="question_move"
    ),
    path(
        quiz + "vragen/<slug:question_key>/antwoorden/<slug:option_key>/verplaatsen/",
        views.option_move,
        name="option_move",
    ),
    path(
        quiz + "vragen/<slug:question_key>/verwijderen/",
        views.question_delete,
        name="question_delete",
    ),
    path("<slug:slug>/review/opmerking/", views.review_comment, name="review_comment"),
    path("<slug:slug>/review/goedkeuren/", views.review_approve, name="review_approve"),
    path("<slug:slug>/review/aanvragen/", views.review_request, name="review_request"),
    path(
        "<slug:slug>/review/<int:comment_id>/afgehandeld/",
        views.review_resolve,
        name="review_resolve",
    ),
    path("<slug:slug>/publiceren/", views.publish, name="publish"),
    path("<slug:slug>/wijzigingen/", views.change_log, name="changes"),
    path("<slug:slug>/exporteren.zip", views.export_zip, name="export_zip"),
    path("<slug:slug>/rollen/", views.roles, name="roles"),
    path("<slug:slug>/rapport/", views.report, name="report"),
    path("<slug:slug>/rapport/bijwerken/", views.report_refresh, name="report_refresh"),
    path("<slug:slug>/rapport/<slug:table>.csv", views.report_csv, name="report_csv"),
]
