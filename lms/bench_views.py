"""Baseline views for `make bench`: how fast this stack answers when the view does almost nothing.

Mounted at /bench/ only when settings.BENCH_VIEWS is on (env BENCH_VIEWS=1), never in production.
Each runs `n` tiny ORM queries and returns a few bytes, so a page's ratio to these is the cost
of what that page adds (templates, more queries, writes).
"""

from django.http import HttpResponse
from django.urls import path

from courses.models import Course


def bare(request, n: int):
    found = 0
    for _i in range(min(n, 10)):
        found += len(list(Course.objects.order_by("pk").values_list("pk", flat=True)[:1]))
    return HttpResponse(f"ok {found}\n", content_type="text/plain")


urlpatterns = [
    path("bare/<int:n>/", bare, name="bench_bare"),
]
