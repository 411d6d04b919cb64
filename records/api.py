"""Read-only JSON API for accreditation bodies, described by `openapi.json`
(served at /api/v1/openapi.json).

Authentication: `Authorization: Bearer <token>`; the token is stored hashed on AccreditationBody.
A body sees only completions of the courses it accredits: anything else is a 404,
as if it did not exist.
"""

from __future__ import annotations

import datetime
import functools
import json
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from accounts.models import RegisterNumber

from .exports import completion_record, completions_for_export
from .forms import EARLIEST_DATE, LATEST_DATE
from .models import AccreditationBody
from .xapi import actor_account_name

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def error(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def body_from_request(request) -> AccreditationBody | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return AccreditationBody.objects.for_token(token.strip()).first()


def body_required(view):
    """Set `request.accreditation_body` from the bearer token; 401 (WWW-Authenticate) otherwise."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        body = body_from_request(request)
        if body is None:
            return error(
                401,
                "A valid bearer token is required.",
                WWW_Authenticate='Bearer realm="spreekkamer"',
            )
        request.accreditation_body = body
        return view(request, *args, **kwargs)

    return wrapper


class BadRequest(Exception):
    pass


def _int_param(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer.") from None
    if value < 1 or (maximum and value > maximum):
        raise BadRequest(
            f"{name} must be between 1 and {maximum}." if maximum else f"{name} must be at least 1."
        )
    return value


def _date_param(request, name: str) -> datetime.date | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        value = datetime.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD).") from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise BadRequest(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE}.")
    return value


def paginate(request, items, serialise) -> dict:
    """A page as {count, page, page_size, next, previous, results}; raises EmptyPage/BadRequest."""
    page_size = _int_param(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    number = _int_param(request, "page", 1)
    paginator = Paginator(items, page_size)
    page = paginator.page(number) if paginator.count else None
    if page is None and number > 1:
        raise EmptyPage
    results = [serialise(item) for item in page.object_list] if page else []

    def link(n):
        query = request.GET.copy()
        query["page"] = str(n)
        return request.build_absolute_uri(request.path + "?" + urlencode(query, doseq=True))

    return {
        "count": paginator.count,
        "page": number,
        "page_size": page_size,
        "next": link(number + 1) if page and page.has_next() else None,
        "previous": link(number - 1) if page and page.has_previous() else None,
        "results": results,
    }


def course_record(course) -> dict:
    version = course.published_version
    return {
        "slug": course.slug,
        "title": version.title if version else course.slug,
        "version": version.number if version else None,
        "language": version.language if version else None,
        "study_load_hours": float(version.study_load_hours) if version else None,
        "accreditation_reference": (version.accreditation_reference or None) if version else None,
    }


@require_GET
@body_required
def course_list(request):
    """The courses this body accredits."""
    courses = request.accreditation_body.courses.select_related("published_version").order_by(
        "slug"
    )
    try:
        return JsonResponse(paginate(request, courses, course_record))
    except BadRequest as exc:
        return error(400, str(exc))
    except EmptyPage:
        return error(404, "No such page.")


def completions_for_body(body, courses, since=None, until=None):
    """The body's completions, with the learner's number in the body's own register annotated."""
    completions = completions_for_export(courses, since, until)
    if body.register:
        completions = completions.annotate(
            register_number=Subquery(
                RegisterNumber.objects.filter(
                    user=OuterRef("enrollment__user"), register=body.register
                )
                .order_by("pk")
                .values("number")[:1]
            )
        )
    return completions


def body_completion_record(body: AccreditationBody, completion) -> dict:
    """What this body may see of a completion. Every body gets an opaque `learner` id. In
    anonymous-account mode no name and no number at all; a body tied to a register gets only the
    number in that register (`register_number`), never another register's, and the BIG number
    only when its register is BIG (or, without a register, in BIG mode)."""
    record = completion_record(completion)
    record["learner"] = actor_account_name(completion.enrollment.user_id)
    record["register"] = body.register or None
    record["register_number"] = getattr(completion, "register_number", None) or None
    anonymous = body.actor_mode == AccreditationBody.ActorMode.ACCOUNT
    big_allowed = body.register == RegisterNumber.Register.BIG or (
        not body.register and body.actor_mode == AccreditationBody.ActorMode.BIG
    )
    if anonymous:
        record["learner_name"] = None
        record["register_number"] = None
    if anonymous or not big_allowed:
        record["big_number"] = None
    return record


@require_GET
@body_required
def completion_list(request):
    """Completions of the accredited courses, oldest first; filters: course, since, until."""
    body = request.accreditation_body
    try:
        since, until = _date_param(request, "since"), _date_param(request, "until")
        if since and until and since > until:
            raise BadRequest("since is after until.")
        courses = body.courses.all()
        slug = request.GET.get("course", "")
        if slug:
            courses = courses.filter(slug=slug)
            if not courses.exists():
                return error(404, "No such course among the courses you accredit.")
        completions = completions_for_body(body, courses, since, until)
        return JsonResponse(
            paginate(request, completions, functools.partial(body_completion_record, body))
        )
    except BadRequest as exc:
        return error(400, str(exc))
    except EmptyPage:
        return error(404, "No such page.")


@require_GET
@body_required
def completion_detail(request, code):
    """One completion by its certificate's verification code, if this body accredits the course."""
    body = request.accreditation_body
    completion = (
        completions_for_body(body, body.courses.all()).filter(verification_code=code).first()
    )
    if completion is None:
        return error(404, "No such completion.")
    return JsonResponse(body_completion_record(body, completion))


@require_GET
def openapi_document(request):
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    document["servers"] = [{"url": settings.SITE_URL}]
    return JsonResponse(document)
