"""Bad input in a URL is the client's mistake: a 400 with a clear message, never a 500."""

import pytest
from django.contrib.auth.models import Permission

from tests import factories
from tests.lrs_support import body  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, body):  # noqa: F811
    token = body.issue_api_token()

    def get(url):
        return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")

    return get


@pytest.mark.parametrize("url", ["/certificaat/%00/", "/begrippen/?cursus=%00", "/?q=a%00b"])
def test_it_refuses_a_nul_byte_in_a_page_address(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "ongeldig teken (NUL)" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/completions/?course=%00", "NUL"),
        ("/api/v1/completions/?until=9999-12-31", "until must be between"),
        ("/api/v1/completions/?since=0001-01-01", "since must be between"),
        ("/api/v1/completions/%00/", "NUL"),
    ],
)
def test_it_refuses_bad_api_input_with_json(api, url, message):
    response = api(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


def test_it_refuses_a_far_date_in_the_staff_export(client, course):
    staff = factories.make_user(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    client.force_login(staff)
    response = client.get(
        "/beheer/afrondingen/export/",
        {"course": course.slug, "until": "9999-12-31", "format": "csv"},
    )
    assert response.status_code == 400
    assert "Vul een datum tussen 1900 en 2999 in." in response.content.decode()


QUERY_PARAMETERS = [
    # Every name a view reads from the query string (request.GET and the GET forms).
    "q",
    "cursus",
    "course",
    "module",
    "antwoorden",
    "next",
    "v",
    "since",
    "until",
    "format",
    "include_reported",
    "page",
]
BAD_VALUES = ["%00", "9" * 40, "-1", "9999-12-31", "0001-01-01", "%FF%FE%C3%28"]


def html_pages(course):
    return [
        "/",
        "/dashboard/",
        "/begrippen/",
        f"/cursus/{course.slug}/",
        "/auteur/",
        "/auteur/importeren/",
        "/beheer/afrondingen/export/",
        f"/beheer/cursus/{course.slug}/accreditatie/",
        "/accounts/profiel/",
        "/accounts/tweestaps/",
        "/accounts/login/",
        "/accounts/aanmelden/",
    ]


def test_it_answers_bad_query_values_on_every_html_page_without_a_server_error(
    client, course, settings
):
    admin = factories.make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    for page in html_pages(course):
        for value in BAD_VALUES:
            everything = "&".join(f"{name}={value}" for name in QUERY_PARAMETERS)
            response = client.get(f"{page}?{everything}")
            assert response.status_code < 500, (page, value)
        for name in QUERY_PARAMETERS:
            for value in ("9" * 40, "9999-12-31", "%FF%FE"):
                response = client.get(f"{page}?{name}={value}")
                assert response.status_code < 500, (page, name, value)
