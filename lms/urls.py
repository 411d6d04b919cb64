from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

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
]

if settings.BENCH_VIEWS:
    urlpatterns += [path("bench/", include("lms.bench_views"))]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
