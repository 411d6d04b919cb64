from django.urls import path

from . import views

app_name = "conversations"
urlpatterns = [
    path("wat-vind-jij/", views.index, name="index"),
    path("wat-vind-jij/sessie/<str:code>/", views.facilitate, name="facilitate"),
    path("wat-vind-jij/sessie/<str:code>/volgende/", views.next_statement, name="next"),
    path("wat-vind-jij/sessie/<str:code>/kies/", views.pick_statement, name="pick"),
    path("wat-vind-jij/sessie/<str:code>/uitslag/", views.reveal, name="reveal"),
    path("wat-vind-jij/sessie/<str:code>/aantekeningen/", views.notes, name="notes"),
    path("wat-vind-jij/sessie/<str:code>/einde/", views.end, name="end"),
    path("wat-vind-jij/sessie/<str:code>/samenvatting.pdf", views.summary_pdf, name="summary"),
    path("wat-vind-jij/sessie/<str:code>/qr.svg", views.qr_svg, name="qr"),
    path("doe-mee/", views.join, name="join"),
    path("doe-mee/<str:code>/", views.participate, name="participate"),
    path("doe-mee/<str:code>/antwoord/", views.answer, name="answer"),
    path("doe-mee/<str:code>/stand/", views.state, name="state"),
]
