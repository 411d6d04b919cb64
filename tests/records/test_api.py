import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from courses.models import CourseCompletion
from records import urls as records_urls
from records.api import OPENAPI_PATH
from records.models import AccreditationBody
from tests import factories
from tests.lrs_support import run_journey

pytestmark = pytest.mark.django_db

ZONE = timezone.get_default_timezone()


@pytest.fixture
def accredited(course, body):
    """`course` (accredited by `body`) completed on 1, 2 and 3 March; `ander` completed once."""
    body.courses.add(course)
    other = factories.make_course(slug="ander")
    for day in (1, 2, 3):
        completion = run_journey(
            factories.make_user(profession="poh_s"), course, fail_first=False
        ).completion
        when = datetime.datetime(2026, 3, day, 10, tzinfo=ZONE)
        CourseCompletion.objects.filter(pk=completion.pk).update(completed_at=when)
    run_journey(factories.make_user(), other, fail_first=False)
    return course


@pytest.fixture
def token(body):
    return body.issue_api_token()


@pytest.fixture
def api(client, token):
    def get(url, params=None, **headers):
        return client.get(url, params or {}, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)

    return get


@pytest.fixture(scope="module")
def spec():
    return json.loads(OPENAPI_PATH.read_text())


def assert_matches_spec(spec, path, response):
    """The body validates against the schema documented for this path and status."""
    operation = spec["paths"][path]["get"]
    documented = operation["responses"][str(response.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    # The schema's $refs ("#/components/...") resolve against a root that carries the components.
    root = dict(schema, components=spec["components"])
    OAS31Validator(root).validate(response.json())


def test_it_refuses_requests_without_a_valid_token(client, accredited):
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer verkeerd"},
        {"HTTP_AUTHORIZATION": "Basic eDp5"},
    ):
        response = client.get(reverse("records:api_completions"), **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json() == {"error": "A valid bearer token is required."}


def test_it_stores_only_a_hash_of_the_token(body, token):
    body.refresh_from_db()
    assert (
        token not in (body.api_token_hash, body.api_token_prefix)
        and body.api_token_prefix == token[:8]
    )
    assert AccreditationBody.objects.for_token(token).get() == body
    body.issue_api_token()
    assert not AccreditationBody.objects.for_token(token).exists()  # a new token replaces the old


def test_it_lists_only_the_accredited_courses(api, accredited, spec):
    response = api(reverse("records:api_courses"))
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "slug": "basis",
            "title": "Testcursus",
            "version": 1,
            "language": "nl",
            "study_load_hours": 2.0,
            "accreditation_reference": "PE-123",
        }
    ]
    assert_matches_spec(spec, "/api/v1/courses/", response)


def test_it_lists_completions_of_accredited_courses_only(
    api, accredited, spec, django_assert_num_queries
):
    with django_assert_num_queries(3):  # token, count, page
        response = api(reverse("records:api_completions"))
    data = response.json()
    assert data["count"] == 3
    assert {r["course"] for r in data["results"]} == {"basis"}
    assert [r["completed_at"] for r in data["results"]] == [
        "2026-03-01T09:00:00+00:00",
        "2026-03-02T09:00:00+00:00",
        "2026-03-03T09:00:00+00:00",
    ]
    first = data["results"][0]
    assert first["profession"] == "poh_s" and first["score"] == 100.0 and first["passed"] is True
    assert_matches_spec(spec, "/api/v1/completions/", response)


def test_it_hides_a_course_the_body_does_not_accredit(api, accredited, spec):
    response = api(reverse("records:api_completions"), {"course": "ander"})
    assert response.status_code == 404
    assert_matches_spec(spec, "/api/v1/completions/", response)
    other_code = CourseCompletion.objects.get(enrollment__course__slug="ander").verification_code
    detail = api(reverse("records:api_completion", args=[other_code]))
    assert detail.status_code == 404
    assert_matches_spec(spec, "/api/v1/completions/{code}/", detail)


def test_it_gives_a_completion_by_verification_code(api, accredited, spec):
    completion = CourseCompletion.objects.filter(enrollment__course__slug="basis").earliest(
        "completed_at"
    )
    response = api(reverse("records:api_completion", args=[completion.verification_code]))
    assert response.status_code == 200
    assert response.json()["completed_at"] == "2026-03-01T09:00:00+00:00"
    assert_matches_spec(spec, "/api/v1/completions/{code}/", response)


def test_it_paginates(api, accredited, spec):
    url = reverse("records:api_completions")
    first = api(url, {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/completions/?page_size=2&page=2"
    second_response = api(first["next"])
    second = second_response.json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/completions/?page_size=2&page=1"
    assert_matches_spec(spec, "/api/v1/completions/", second_response)
    beyond = api(url, {"page_size": 2, "page": 3})
    assert beyond.status_code == 404
    for bad in ({"page": "nul"}, {"page_size": 501}, {"page": 0}):
        response = api(url, bad)
        assert response.status_code == 400
        assert_matches_spec(spec, "/api/v1/completions/", response)


def test_it_filters_by_course_and_inclusive_dates(api, accredited):
    url = reverse("records:api_completions")
    data = api(url, {"course": "basis", "since": "2026-03-02", "until": "2026-03-02"}).json()
    assert [r["completed_at"][:10] for r in data["results"]] == ["2026-03-02"]
    assert api(url, {"since": "2026-03-02"}).json()["count"] == 2
    assert api(url, {"until": "2026-03-01"}).json()["count"] == 1
    assert api(url, {"since": "2026-03-03", "until": "2026-03-01"}).status_code == 400
    assert api(url, {"since": "maart"}).json() == {"error": "since must be a date (YYYY-MM-DD)."}


def test_it_answers_empty_for_a_body_without_courses(client, accredited):
    lonely = AccreditationBody.objects.create(name="Nieuw", slug="nieuw")
    token = lonely.issue_api_token()
    response = client.get(reverse("records:api_completions"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["count"] == 0 and response.json()["results"] == []


def test_it_is_read_only(api, client, token, accredited):
    response = client.post(reverse("records:api_completions"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


def test_it_serves_a_valid_openapi_document_listing_every_path(client, spec):
    response = client.get(reverse("records:openapi"))
    assert response.status_code == 200
    served = response.json()
    validate_spec(served)
    assert served["paths"] == spec["paths"]
    documented = set(served["paths"])
    # Every documented path exists in the app...
    for path in documented:
        concrete = re.sub(r"\{[^}]+\}", "abc", path)
        try:
            resolve(concrete)
        except Resolver404:
            pytest.fail(f"{path} is documented but not served")
    # ...and every API URL the app serves is documented.
    served_paths = {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        for pattern in records_urls.urlpatterns
        if pattern.name.startswith("api_") or pattern.name == "openapi"
    }
    assert served_paths == documented


def test_it_issues_a_token_from_the_command_line_and_the_admin(
    body, admin_client, client, accredited
):
    out = io.StringIO()
    call_command("issue_api_token", "abc1", stdout=out)
    token = out.getvalue().strip()
    url = reverse("records:api_courses")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    response = admin_client.post(
        reverse("admin:records_accreditationbody_changelist"),
        {"action": "issue_token", "_selected_action": [body.pk]},
        follow=True,
    )
    shown = re.search(r"één keer getoond\): (\S+)</", response.content.decode()).group(1)
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401  # replaced
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {shown}").status_code == 200


def _first_result(api):
    return api(reverse("records:api_completions")).json()["results"][0]


def test_it_gives_an_anonymous_account_body_no_names_and_no_numbers(api, accredited, body, spec):
    from accounts.models import RegisterNumber

    learner = (
        CourseCompletion.objects.filter(enrollment__course=accredited)
        .earliest("completed_at")
        .enrollment.user
    )
    RegisterNumber.objects.create(user=learner, register="big", number="12345678901")
    RegisterNumber.objects.create(user=learner, register="vvn", number="246810")
    body.actor_mode = AccreditationBody.ActorMode.ACCOUNT
    body.register = "vvn"
    body.save()
    response = api(reverse("records:api_completions"))
    first = response.json()["results"][0]
    assert first["learner_name"] is None and first["big_number"] is None
    assert first["register_number"] is None
    assert first["learner"] and first["learner"] != str(learner.pk)
    assert "12345678901" not in response.content.decode()
    assert_matches_spec(spec, "/api/v1/completions/", response)


def test_it_gives_a_body_only_the_numbers_of_its_own_register(api, accredited, body, spec):
    from accounts.models import RegisterNumber

    learner = (
        CourseCompletion.objects.filter(enrollment__course=accredited)
        .earliest("completed_at")
        .enrollment.user
    )
    RegisterNumber.objects.create(user=learner, register="big", number="12345678901")
    RegisterNumber.objects.create(user=learner, register="vvn", number="246810")
    body.actor_mode = AccreditationBody.ActorMode.BIG
    body.register = "vvn"
    body.save()
    response = api(reverse("records:api_completions"))
    first = response.json()["results"][0]
    assert first["learner_name"]
    assert (first["register"], first["register_number"], first["big_number"]) == (
        "vvn",
        "246810",
        None,
    )
    assert "12345678901" not in response.content.decode()
    assert_matches_spec(spec, "/api/v1/completions/", response)
    body.register = "big"
    body.save()
    first = _first_result(api)
    assert (first["register_number"], first["big_number"]) == ("12345678901", "12345678901")
    assert "246810" not in json.dumps(first)
