"""Baseline views for `make bench`: how fast this stack answers when the view does almost nothing.

Mounted at /bench/ only when settings.BENCH_VIEWS is on (env BENCH_VIEWS=1), never in production.
Each runs `n` tiny ORM queries and returns a few bytes, so a page's ratio to these is the cost
of what that page adds (templates, more queries, writes). `logged_in` first does what every
learner page does before its own work: read the session and look up the user, through the same
middleware; a learner page is compared with it, not with the bare view.
"""

from django.http import HttpResponse
from django.urls import path

from courses.models import Course


def bare(request, n: int):
    found = 0
    for _i in range(min(n, 10)):
        found += len(list(Course.objects.order_by("pk").values_list("pk", flat=True)[:1]))
    return HttpResponse(f"ok {found}\n", content_type="text/plain")


def logged_in(request, n: int):
    if not request.user.is_authenticated:  # the session read and the user lookup
        return HttpResponse("login required\n", status=403, content_type="text/plain")
    return bare(request, n)


urlpatterns = [
    path("bare/<int:n>/", bare, name="bench_bare"),
    path("logged-in/<int:n>/", logged_in, name="bench_logged_in"),
]
