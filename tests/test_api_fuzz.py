"""The API against its own OpenAPI schema, fuzzed (schemathesis): whatever the input, no
server error and no response that breaks the schema. Bounded examples per operation.

Stateless: every operation alone, as the administrator. Stateful: sequences of calls that
feed each response's ids to the next call (links inferred from the schema, plus the search
page's people), by a clinician, a surveillance officer and the administrator, over one of
every kind of record; a record just created must then be found."""

import copy

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    response_schema_conformance,
)

from mhis.access.services import create_token
from mhis.wsgi import application

from .authorization import bodies

CHECKS = [not_a_server_error, response_schema_conformance]
KINDS = ("person", "encounter", "referral", "assessment", "immunisation", "lab_result",
         "enrolment", "payment", "alert", "pair")  # fmt: skip


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
    case.validate_response(response, checks=CHECKS)


def _linked(raw: dict) -> dict:
    """The schema with the links inference cannot see: a person found by the search (the
    first of the page) feeds every operation on a person."""
    raw = copy.deepcopy(raw)
    found = raw["paths"]["/api/persons"]["get"]["responses"]["200"]
    found["links"] = {
        operation["operationId"]: {
            "operationId": operation["operationId"],
            "parameters": {"person_id": "$response.body#/results/0/id"},
        }
        for path, operations in raw["paths"].items()
        if path.startswith("/api/persons/{person_id}")
        for operation in operations.values()
    }
    return raw


def _workflow(token: str, valid: dict, known: dict):
    linked = schemathesis.openapi.from_dict(_linked(schema.raw_schema))
    linked.app, linked.location = application, schema.location
    # Inputs that fit the schema (the stateless run sends the rest), so that sequences go on.
    linked.config.generation.update(modes=["positive"], allow_x00=False)

    class Workflow(linked.as_state_machine()):
        def setup(self):
            # Each sequence starts from the same records (a pair decided or an alert moved
            # by one sequence is not by the next), so that a failing one can be replayed.
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def before_call(self, case):
            # A call that starts a sequence is about a real record, not a random id (the
            # stateless run tries those); ids handed on by a link are kept.
            handed_on = case._override.path_parameters
            for name in case.path_parameters or {}:
                if name in known and name not in handed_on:
                    case.path_parameters[name] = known[name]
            # A valid body laid over the generated one, so that writes create records; the
            # generated fields it leaves out still vary.
            if isinstance(case.body, dict) and case.operation.label in valid:
                case.body = {**case.body, **valid[case.operation.label]}

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=[*CHECKS, ensure_resource_availability],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return Workflow


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinician", "tak_officer", "admin"])
def test_sequences_of_calls_hold_the_schema_and_find_what_they_created(people, subjects, role):
    known = {f"{kind}_id": str(subjects[kind]) for kind in KINDS}
    workflow = _workflow(create_token(people[role])[1], bodies(subjects), known)
    workflow.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
