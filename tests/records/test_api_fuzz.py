"""The API fuzzed from its own OpenAPI document (schemathesis): whatever a client sends, no server
error, and every answer matches the document."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lms.wsgi import application
from records.api import OPENAPI_PATH
from tests.lrs_support import body  # noqa: F401

schema = schemathesis.openapi.from_path(str(OPENAPI_PATH))
schema.app = application  # requests go through Django's WSGI handler in this process


@pytest.fixture
def in_test_transaction():
    """Keep the test's database connection open across WSGI requests, as Django's test client
    does (the handler would otherwise close it after every request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(body, course, in_test_transaction):  # noqa: F811
    body.courses.add(course)
    return body.issue_api_token()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_answers_every_generated_request_without_a_server_error(case, token):
    # Unknown query parameters are ignored on purpose, so "accepted a request the document does
    # not describe" is not checked; everything about the answer is.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
