from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from courses.views.media import media

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Our account views first: they replace Django's login (rate-limited) and add sign-up/profile.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("auteur/", include("courses.authoring.urls")),
    path("", include("courses.urls")),
    path("", include("records.urls")),
    path("", include("scorm_export.urls")),
    # Uploaded content media, with DEBUG=0 too (courses/views/media.py).
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media, name="media"),
    path("", include("conversations.urls")),
]

if settings.BENCH_VIEWS:
    urlpatterns += [path("bench/", include("lms.bench_views"))]
