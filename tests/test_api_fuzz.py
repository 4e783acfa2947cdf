"""The API against its own OpenAPI schema, fuzzed (schemathesis): whatever the input, no
server error and no response that breaks the schema. Bounded examples per operation."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mhis.access.services import create_token
from mhis.wsgi import application


@pytest.fixture(autouse=True)
def _one_connection():
    """Requests go to the WSGI application in this process, inside the test's transaction:
    it must not close the connection after each request (as Django's test client does)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(people, register):
    register()  # a person in Mae Sot, so reads find something
    return create_token(people["admin"])[1]


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_any_input_without_a_server_error_and_within_its_schema(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
