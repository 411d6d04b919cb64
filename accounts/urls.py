"""Account URLs, mounted at accounts/ before django.contrib.auth.urls (which still serves password
reset). Paths match Django's own where both exist, so either pattern resolves to the same view."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("aanmelden/", views.signup, name="signup"),
    path("aanmelden/verstuurd/", views.signup_sent, name="signup_sent"),
    path(
        "aanmelden/bevestigen/<str:uidb64>/<str:token>/",
        views.signup_confirm,
        name="signup_confirm",
    ),
    path("profiel/", views.profile, name="profile"),
    path("sessie/", views.session_ping, name="session_ping"),
    path("tweestaps/", views.two_factor, name="two_factor"),
    path("password_reset/", views.password_reset, name="password_reset"),
    path("password_change/", views.password_change, name="password_change"),
    path("password_change/done/", views.password_change_done, name="password_change_done"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("privacy/download/", views.privacy_download, name="privacy_download"),
    path("privacy/verwijderen/", views.privacy_delete, name="privacy_delete"),
    path("privacy/eerst-doorgeven/", views.privacy_report_first, name="privacy_report_first"),
    path("verwijderd/", views.account_deleted, name="account_deleted"),
    path("herinneringen-uit/<str:token>/", views.reminders_off, name="reminders_off"),
]
