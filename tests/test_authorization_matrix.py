"""Every page and API operation × every role × in scope, out of scope and anonymous.

The routes come from the URL configuration and the API's schema, so a new endpoint without a
rule in `tests/authorization.py` fails here; `test_the_matrix_catches_an_unprotected_endpoint`
shows the checks failing on an endpoint that forgets its protection.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.urls import path

from mhis.access.models import Role
from mhis.access.policy import Can, roles_with
from mhis.access.services import create_token, create_user
from mhis.intake.models import Job
from mhis.registry.models import Person

from .authorization import (
    API,
    LOGIN,
    PAGES,
    PERSON_READ,
    Rule,
    api_operations,
    bodies,
    page_routes,
)

HEALTH_ROLES = roles_with(Can.SEE_MIGRATION_STATUS)
PLACEHOLDERS = {"kind": "encounter", "code": "ENCOUNTERS", "form_id": "registration",
                "site": "MSOT-CLIN", "week": "2026-W01", "manifest_id": "x", "token": "x"}  # fmt: skip


def _address(pattern: str, subjects: dict, rule: Rule = LOGIN) -> str:
    """A concrete address for a route pattern: the subject's id where it takes one."""

    def value(name: str) -> str:
        if name in rule.fill:
            return str(rule.fill[name])
        key = rule.subject if name in ("record_id", "pk") else name.removesuffix("_id")
        return str(subjects[key]) if key in subjects else PLACEHOLDERS.get(name, "1")

    filled = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), pattern)
    filled = re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), filled)
    return filled if filled.startswith("/") else "/" + filled


def unruled(pages=PAGES, api=API) -> list[str]:
    """Routes with no rule, and rules with no route."""
    routes = {name for _pattern, name in page_routes()}
    operations = {key for key, _secured in api_operations()}
    return sorted(
        [f"page {n}: no rule" for n in routes - set(pages)]
        + [f"API {k}: no rule" for k in operations - set(api)]
        + [f"page {n}: rule for no route" for n in set(pages) - routes]
        + [f"API {k}: rule for no route" for k in set(api) - operations]
    )


def anonymous_problems(client, subjects, pages=PAGES, api=API) -> list[str]:
    """What an anonymous visitor reaches that it should not."""
    problems = []
    for pattern, name in page_routes():
        rule = pages.get(name, LOGIN)
        if rule.public:
            continue
        address = _address(pattern, subjects, rule)
        response = client.post(address) if rule.post_only else client.get(address)
        if not (response.status_code == 302 and response["Location"].startswith("/login/")):
            problems.append(f"page {name} {address}: {response.status_code} to anonymous")
    for key, secured in api_operations():
        method, pattern = key.split(" ", 1)
        address = _address(pattern, subjects, api.get(key, LOGIN))
        response = client.generic(method, address, "{}", content_type="application/json")
        if not secured or response.status_code != 401:
            problems.append(f"API {key}: {response.status_code} to anonymous")
    return problems


def _probes(pages, api):
    """(label, method, address pattern, rule, body key, whether API) of every route about a
    record."""
    for pattern, name in page_routes():
        rule = pages.get(name)
        if rule and rule.subject:
            yield f"page {name}", "POST" if rule.post_only else "GET", pattern, rule, name, False
    for key, _secured in api_operations():
        rule = api.get(key)
        if rule and rule.subject:
            method, pattern = key.split(" ", 1)
            yield f"API {key}", method, pattern, rule, key, True


def _call(client, user, token, method, address, body, is_api):
    """One call, rolled back afterwards so that every call finds the same records."""
    with transaction.atomic():
        if is_api:
            response = client.generic(method, address, json.dumps(body),
                                      content_type="application/json",
                                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        elif method == "POST":
            response = client.post(address, body)
        else:
            response = client.get(address)
        transaction.set_rollback(True)
    return response


def _names(response, rule: Rule) -> bool:
    """Whether a 422 refuses the body's field that names the subject."""
    if response.status_code != 422 or not rule.body_field:
        return False
    detail = response.json().get("detail", [])
    return any(rule.body_field in (item.get("loc") or []) for item in detail)


def record_problems(client, subjects, role, inside, outside, pages=PAGES, api=API) -> list[str]:
    """Every route about a record, read or written by a user of `role` whose places hold the
    record (`inside`) and one whose places do not (`outside`): the rule's roles in scope are
    served, everyone else gets 403 or 404 (never the record), and no role but health roles
    sees the person's migration status."""
    problems = []
    payloads = bodies(subjects)
    for user, in_scope in ((inside, True), (outside, False)):
        _, token = create_token(user)
        client.force_login(user)
        where = "in scope" if in_scope else "out of scope"
        for label, method, pattern, rule, key, is_api in _probes(pages, api):
            address = _address(pattern, subjects, rule)
            response = _call(client, user, token, method, address, payloads.get(key, {}), is_api)
            allowed = in_scope and role in rule.roles
            status = response.status_code
            served = (200, 201) if is_api else (200, 302) if method == "POST" else (200,)
            if allowed and status not in served:
                detail = response.content.decode(errors="replace")[:200] if is_api else ""
                problems.append(f"{label}: {role} {where} got {status}, expected "
                                f"{' or '.join(map(str, served))} {detail}".rstrip())  # fmt: skip
            elif not allowed and status not in (403, 404) and not _names(response, rule):
                problems.append(f"{label}: {role} {where} got {status}, expected 403 or 404")
            elif allowed and role not in HEALTH_ROLES:
                body = response.content.decode(errors="replace")
                if "REG_LAB" in body or "Regular labour migrant" in body:
                    problems.append(f"{label}: {role} sees the migration status")
    client.logout()
    return problems


def _users(role, world):
    inside = create_user(username=f"{role}-in", password=None, role=role, places=[world["TH"]])
    outside = create_user(username=f"{role}-out", password=None, role=role, places=[world["HN"]])
    return inside, outside


def _job(owner) -> int:
    return Job.objects.create(source="clinic", kind="people", file_name="people.csv",
                              digest="0" * 64, started_by=owner, status=Job.Status.DONE).pk  # fmt: skip


def test_every_page_and_api_operation_has_a_rule():
    assert unruled() == []


def test_anonymous_visitors_reach_only_the_public_routes(client, subjects):
    assert anonymous_problems(client, subjects) == []


@pytest.mark.parametrize("role", Role.values)
def test_records_are_read_and_written_by_the_roles_allowed_in_scope_and_by_nobody_outside(
    client, world, subjects, role
):
    inside, outside = _users(role, world)
    subjects["job"] = _job(inside)  # imports are their starter's
    _job(outside)
    assert record_problems(client, subjects, role, inside, outside) == []
    if role in HEALTH_ROLES:  # the status the others must not see is there to be seen
        client.force_login(inside)
        page = client.get(f"/people/{subjects['person']}/").content.decode()
        assert "Regular labour migrant" in page


def _leak(request, person_id):
    """An endpoint that forgets its protection: no login, no scope, the name for anyone."""
    return HttpResponse(Person.objects.get(uuid=person_id).display_name)


urlpatterns = [path("test-only/people/<uuid:person_id>/", _leak, name="test-leak")]


@pytest.fixture
def with_leak(settings):
    from mhis import urls

    module = type(urls)("tests.leaky_urls")
    module.urlpatterns = [*urls.urlpatterns, *urlpatterns]
    import sys

    sys.modules["tests.leaky_urls"] = module
    settings.ROOT_URLCONF = "tests.leaky_urls"
    yield
    del sys.modules["tests.leaky_urls"]


def test_the_matrix_catches_an_unprotected_endpoint(client, world, subjects, with_leak):
    # Without a rule, the new endpoint fails the first check.
    assert unruled() == ["page test-leak: no rule"]
    # Given the rule it should obey, each check names it.
    pages = {**PAGES, "test-leak": PERSON_READ}
    assert unruled(pages) == []
    assert anonymous_problems(client, subjects, pages) == [
        f"page test-leak /test-only/people/{subjects['person']}/: 200 to anonymous"
    ]
    inside, outside = _users("analyst", world)
    subjects["job"] = _job(inside)
    assert record_problems(client, subjects, "analyst", inside, outside, pages) == [
        "page test-leak: analyst in scope got 200, expected 403 or 404",
        "page test-leak: analyst out of scope got 200, expected 403 or 404",
    ]
