from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("cursus/<slug:slug>/", views.course_detail, name="course_detail"),
    path("cursus/<slug:slug>/inschrijven/", views.enroll, name="enroll"),
    path("cursus/<slug:slug>/les/<slug:lesson_key>/", views.lesson, name="lesson"),
    path("leerlijn/<slug:slug>/", views.track_detail, name="track_detail"),
    path("certificaat/<str:code>/", views.verify_certificate, name="verify_certificate"),
]
