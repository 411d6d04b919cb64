"""Every URL of the site, requested as anonymous user, learner, author of another course and
accreditation body (API token).

New URLs are picked up automatically: a URL whose keyword arguments this module cannot fill,
or whose access class is not declared below, fails the test until it is classified.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from courses import services
from records.models import AccreditationBody
from tests import factories

pytestmark = pytest.mark.django_db

# URL names (namespace:name) anyone may open.
PUBLIC = {
    "courses:catalog",
    "courses:course_detail",
    "courses:track_detail",
    "courses:verify_certificate",
    "login",
    "signup",
    "signup_sent",
    "signup_confirm",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "logout",
    "account_deleted",
    # A signed token is the authority: a reminder's one-click switch-off, no login.
    "reminders_off",
    "records:openapi",
    "courses:glossary",
    # The course's verantwoording (authors, sources, review dates) is for anyone deciding to enrol.
    "courses:accountability",
    # Participants of a "Wat vind jij?" session join anonymously with a code (no account).
    "conversations:join",
}
# Namespaces and names only course authors and staff may open.
AUTHOR_NAMESPACES = {"authoring"}
AUTHOR_PREFIXES = (
    "records:attendance_",
    "scorm_export:package_",
    "records:export_completions",
)
STAFF_ONLY = {"admin"}
# Token-authenticated API for accreditation bodies: 401 without a token.
API_PREFIX = "records:api_"
SKIP_NAMESPACES = {"admin"}  # Django's own admin: checked via its index only.
DENIED = {302, 401, 403, 404, 405}


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in SKIP_NAMESPACES:
                continue
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


@pytest.fixture
def world():
    learner = factories.make_user(email="matrix-learner@example.org")
    course = factories.make_course(slug="matrix-course")
    other_course = factories.make_course(slug="matrix-other")
    outsider_author = factories.make_author(other_course, email="matrix-author@example.org")
    enrollment = services.enroll_learner(learner, course)
    lesson = enrollment.version.lessons_in_order().first()
    body = AccreditationBody.objects.create(name="Matrix-accreditatie", slug="matrix-body")
    other_body = AccreditationBody.objects.create(name="Ander bureau", slug="matrix-other-body")
    body.courses.add(other_course)  # the learner's course is accredited by nobody here
    other_body.courses.add(course)
    return {
        "learner": learner,
        "body_token": body.issue_api_token(),
        "other_body_course": course,
        "course": course,
        "author_of_other": outsider_author,
        "kwargs": {
            "slug": course.slug,
            "lesson_key": lesson.key,
            "code": "no-such-code",
            "uidb64": "x",
            "token": "x",
            "key": lesson.key,
            "block_key": "b0",
            "quiz_key": enrollment.version.final_test.key,
            "phase": "pre",
            "kind": "csv",
            "module_key": "m1",
            "step_key": "start",
            "question_key": "q0",
            "option_key": "o0",
            "table": "funnel",
            "sid": 999999,
            "body_slug": "matrix-body",
            "course_slug": course.slug,
            "path": "personas/no-such-file.png",
        },
        "ids": {"version": enrollment.version.pk, "lesson": lesson.pk},
    }


def url_for(name, pattern, world):
    kwargs = {}
    # Path converters, or the named groups of a regular-expression route (media).
    for kwarg in pattern.pattern.converters or pattern.pattern.regex.groupindex:
        if kwarg in world["kwargs"]:
            kwargs[kwarg] = world["kwargs"][kwarg]
        elif kwarg.endswith("_id") or kwarg in {"pk", "id"}:
            kwargs[kwarg] = 999999  # another user's or no object: must never be served
        else:
            pytest.fail(f"{name}: cannot fill URL argument {kwarg!r}; teach this test about it")
    return reverse(name, kwargs=kwargs)


def classify(name):
    namespace = name.split(":")[0] if ":" in name else ""
    if name in PUBLIC:
        return "public"
    if name.startswith(API_PREFIX):
        return "api"
    if namespace in AUTHOR_NAMESPACES or name.startswith(AUTHOR_PREFIXES):
        return "author"
    return "learner"


def test_it_keeps_every_non_public_url_closed_to_anonymous_users(client, world):
    checked = 0
    for name, pattern in walk(get_resolver().url_patterns):
        if classify(name) == "public":
            continue
        url = url_for(name, pattern, world)
        response = client.get(url)
        assert response.status_code in DENIED, (
            f"anonymous GET {url} ({name}) gave {response.status_code}"
        )
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], f"{name} redirects elsewhere"
        if classify(name) == "api":
            assert response.status_code == 401, f"API {name} must answer 401 without a token"
        checked += 1
    assert checked > 0


def test_it_keeps_author_urls_closed_to_learners_and_other_authors(client, world):
    for user in (world["learner"], world["author_of_other"]):
        client.force_login(user)
        for name, pattern in walk(get_resolver().url_patterns):
            if classify(name) != "author":
                continue
            url = url_for(name, pattern, world)
            if "slug" not in pattern.pattern.converters and user == world["author_of_other"]:
                continue  # course-independent author pages (own course list) are open to authors
            response = client.get(url)
            assert response.status_code in DENIED, (
                f"{user} GET {url} ({name}) gave {response.status_code}"
            )
        client.logout()


def test_it_keeps_the_admin_closed_to_learners_and_authors(client, world):
    for user in (world["learner"],):
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_serves_public_pages_to_anonymous_users(client, world):
    for name in ("courses:catalog",):
        assert client.get(reverse(name)).status_code == 200
    assert (
        client.get(reverse("courses:course_detail", args=[world["course"].slug])).status_code == 200
    )


def test_it_opens_only_the_api_to_an_accreditation_body_and_only_for_its_own_courses(client, world):
    """A body's token is not a login: every other URL answers as to an anonymous user; the API
    shows only the courses the body accredits (the learner's course is another body's)."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['body_token']}"}
    api_checked = 0
    for name, pattern in walk(get_resolver().url_patterns):
        kind = classify(name)
        if kind == "public":
            continue
        url = url_for(name, pattern, world)
        response = client.get(url, **auth)
        if kind == "api":
            assert response.status_code in {200, 404}, f"body GET {url} gave {response.status_code}"
            assert world["other_body_course"].slug not in response.content.decode(), name
            api_checked += 1
        else:
            assert response.status_code in DENIED, (
                f"body GET {url} ({name}) gave {response.status_code}"
            )
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"], f"{name} redirects elsewhere"
    assert api_checked == 3
    courses = client.get(reverse("records:api_courses"), **auth).json()
    assert [c["slug"] for c in courses["results"]] == ["matrix-other"]
