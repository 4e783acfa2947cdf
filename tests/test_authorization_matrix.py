"""Every page and API operation × every role × in scope, out of scope and anonymous.

The routes come from the URL configuration and the API's schema, so a new endpoint without a
rule in `tests/authorization.py` fails here; `test_the_matrix_catches_an_unprotected_endpoint`
shows the checks failing on an endpoint that forgets its protection.
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.urls import path

from mhis.access.models import HEALTH_ROLES, Role
from mhis.access.services import create_token, create_user
from mhis.registry.models import Person

from .authorization import API, PAGES, PERSON_READ, api_operations, page_routes

PLACEHOLDERS = {"kind": "encounter", "code": "ENCOUNTERS", "form_id": "registration",
                "site": "MSOT-CLIN", "week": "2026-W01", "manifest_id": "x", "token": "x"}  # fmt: skip


def _address(pattern: str, person) -> str:
    """A concrete address for a route pattern: the person's id where it takes one."""

    def value(name: str) -> str:
        if name == "person_id":
            return str(person.uuid)
        return PLACEHOLDERS.get(name, "1")

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


def anonymous_problems(client, person, pages=PAGES, api=API) -> list[str]:
    """What an anonymous visitor reaches that it should not."""
    problems = []
    for pattern, name in page_routes():
        rule = pages.get(name)
        if rule is None or rule.public:
            continue
        address = _address(pattern, person)
        response = client.post(address) if rule.post_only else client.get(address)
        if not (response.status_code == 302 and response["Location"].startswith("/login/")):
            problems.append(f"page {name} {address}: {response.status_code} to anonymous")
    for key, secured in api_operations():
        method, pattern = key.split(" ", 1)
        address = _address(pattern, person)
        response = client.generic(method, address, "{}", content_type="application/json")
        if not secured or response.status_code != 401:
            problems.append(f"API {key}: {response.status_code} to anonymous")
    return problems


def _person_reads(pages, api):
    for pattern, name in page_routes():
        rule = pages.get(name)
        if rule and rule.person_readers is not None and not rule.post_only:
            yield f"page {name}", pattern, rule, False
    for key, _secured in api_operations():
        rule = api.get(key)
        if rule and rule.person_readers is not None and key.startswith("GET "):
            yield f"API {key}", key.split(" ", 1)[1], rule, True


def person_problems(client, person, role, inside, outside, pages=PAGES, api=API) -> list[str]:
    """Reads of one person by a user of `role` in scope (`inside`) and out of it (`outside`):
    readers in scope are served, everyone else gets 403 or 404 (never the record), and
    no role but health roles sees the person's migration status."""
    problems = []
    for label, pattern, rule, is_api in _person_reads(pages, api):
        address = _address(pattern, person)
        for user, in_scope in ((inside, True), (outside, False)):
            if is_api:
                _, token = create_token(user)
                response = client.get(address, headers={"Authorization": f"Bearer {token}"})
            else:
                client.force_login(user)
                response = client.get(address)
            allowed = in_scope and role in rule.person_readers
            status = response.status_code
            where = "in scope" if in_scope else "out of scope"
            if allowed and status != 200:
                problems.append(f"{label}: {role} {where} got {status}, expected 200")
            elif not allowed and status not in (403, 404):
                problems.append(f"{label}: {role} {where} got {status}, expected 403 or 404")
            elif allowed and role not in HEALTH_ROLES:
                body = response.content.decode(errors="replace")
                if "REG_LAB" in body or "Regular labour migrant" in body:
                    problems.append(f"{label}: {role} sees the migration status")
    client.logout()
    return problems


@pytest.fixture
def person(register):
    return register()  # Mae Sot, a regular labour migrant, consented to sharing


def _users(role, world):
    inside = create_user(username=f"{role}-in", password=None, role=role, places=[world["TH"]])
    outside = create_user(username=f"{role}-out", password=None, role=role, places=[world["HN"]])
    return inside, outside


def test_every_page_and_api_operation_has_a_rule():
    assert unruled() == []


def test_anonymous_visitors_reach_only_the_public_routes(client, person):
    assert anonymous_problems(client, person) == []


@pytest.mark.parametrize("role", Role.values)
def test_a_person_is_read_by_the_roles_allowed_in_scope_and_by_nobody_outside(
    client, world, person, role
):
    inside, outside = _users(role, world)
    assert person_problems(client, person, role, inside, outside) == []
    if role in HEALTH_ROLES:  # the status the others must not see is there to be seen
        client.force_login(inside)
        assert "Regular labour migrant" in client.get(f"/people/{person.uuid}/").content.decode()


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


def test_the_matrix_catches_an_unprotected_endpoint(client, world, person, with_leak):
    # Without a rule, the new endpoint fails the first check.
    assert unruled() == ["page test-leak: no rule"]
    # Given the rule it should obey, each check names it.
    pages = {**PAGES, "test-leak": PERSON_READ}
    assert unruled(pages) == []
    assert anonymous_problems(client, person, pages) == [
        f"page test-leak /test-only/people/{person.uuid}/: 200 to anonymous"
    ]
    inside, outside = _users("analyst", world)
    assert person_problems(client, person, "analyst", inside, outside, pages) == [
        "page test-leak: analyst in scope got 200, expected 403 or 404",
        "page test-leak: analyst out of scope got 200, expected 403 or 404",
    ]
