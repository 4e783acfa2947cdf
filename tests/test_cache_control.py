"""No response that can carry personal data may be kept by a browser or proxy cache: every
page and API operation the authorization matrix knows (`tests/authorization.py`), read by a
role it serves in scope (and refused to one out of scope), the downloads and exports, and
the public SMART Health Link endpoints answer with `Cache-Control: no-store`. Static files
stay cacheable, and so does a view that declares itself a public asset."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.cache import cache_control

from mhis.access.models import Role
from mhis.access.services import create_token, create_user
from mhis.caching import cacheable
from mhis.portable import links
from mhis.portable.models import SharedLink

from .authorization import API, LOGIN, PAGES, api_operations, page_routes
from .test_authorization_matrix import _address, _call, _job

# Downloads and exports reached by a query string on a route the matrix walks.
QUERIES = {
    "indicators:indicator": ["?format=csv", "?format=xlsx", "?format=dhis2", "?format=adx"],
    "portable:summary-pdf": ["?link={link}"],
}


def _no_store(response) -> bool:
    return "no-store" in {d.strip() for d in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def users(world):
    """One user of every role whose places hold the matrix's records, and one whose do not."""
    inside = {r: create_user(username=f"{r}-in", password=None, role=r, places=[world["TH"]])
              for r in Role.values}  # fmt: skip
    outside = create_user(username="out", password=None, role="clinician", places=[world["HN"]])
    return inside, outside


def _callers(rule, inside, outside):
    """Who calls a route: a role it serves in scope (a clinician where it may), someone out
    of scope; for routes about no one record, a clinician and the administrator."""
    if rule.subject is None:
        return [inside[Role.CLINICIAN], inside[Role.ADMINISTRATOR]]
    roles = sorted(rule.roles, key=lambda r: (r != Role.CLINICIAN, r))
    return [inside[roles[0]], outside]


def test_every_page_and_api_operation_answers_no_store(client, subjects, users):
    inside, outside = users
    subjects["job"] = _job(inside[Role.CLINICIAN])
    tokens = {}
    problems, served = [], 0
    calls = [(f"page {name}", "POST" if PAGES.get(name, LOGIN).post_only else "GET", pattern,
              PAGES.get(name, LOGIN), False, name) for pattern, name in page_routes()]  # fmt: skip
    calls += [(f"API {key}", key.split(" ", 1)[0], key.split(" ", 1)[1], API.get(key, LOGIN),
               True, key) for key, _secured in api_operations()]  # fmt: skip
    for label, method, pattern, rule, is_api, name in calls:
        if rule.public:
            continue  # below, and the SMART Health Link endpoints in their own test
        address = _address(pattern, subjects, rule)
        if is_api and method != "GET" and rule.subject is None:
            continue  # writes about no one record carry no one's data back
        for query in ["", *QUERIES.get(name, [])]:
            for user in _callers(rule, inside, outside):
                token = tokens.get(user.pk) or tokens.setdefault(user.pk, create_token(user)[1])
                client.force_login(user)
                response = _call(client, user, token, method, address + query.format(**subjects),
                                 {}, is_api)  # fmt: skip
                served += response.status_code in (200, 201)
                if not _no_store(response):
                    problems.append(f"{label}{query} as {user.username}: {response.status_code}, "
                                    f"Cache-Control {response.get('Cache-Control')!r}")  # fmt: skip
    client.logout()
    for address in ("/login/", "/api/openapi.json", "/people/"):  # public, and a redirect
        response = client.get(address)
        if not _no_store(response):
            problems.append(f"{address} anonymous: {response.get('Cache-Control')!r}")
    assert not problems, "\n".join(problems)
    assert served > 60  # the walk reached the records, not only refusals


def test_smart_health_link_manifests_files_and_the_viewer_answer_no_store(client, subjects):
    link = SharedLink.objects.get(pk=subjects["link"])
    manifest = f"/shl/m/{link.manifest_id}"
    body = {"recipient": "Ranong Hospital", "embeddedLengthMax": 10}
    responses = {"manifest": client.post(manifest, json.dumps(body), content_type="application/json")}  # fmt: skip
    location = responses["manifest"].json()["files"][0]["location"]
    responses["file"] = client.get("/" + location.split("://", 1)[1].split("/", 1)[1])
    responses["viewer"] = client.get("/shl/view/")
    responses["viewer opened"] = client.post("/shl/view/", {"link": links.uri(link, "http://testserver")})  # fmt: skip
    responses["bad manifest request"] = client.post(manifest, "[]", content_type="application/json")
    assert [r.status_code for r in responses.values()] == [200, 200, 200, 200, 400]
    assert link.person.display_name in responses["viewer opened"].content.decode()
    assert [name for name, r in responses.items() if not _no_store(r)] == []


def test_static_files_stay_cacheable(client, people):
    client.force_login(people["clinician"])
    response = client.get("/static/mhis/mhis.css")
    assert response.status_code == 200 and not _no_store(response)
    assert "max-age" in response["Cache-Control"]


@cache_control(public=True, max_age=3600)
def _asset(request):
    return HttpResponse("body { color: black }", content_type="text/css")


urlpatterns = [
    path("public-asset.css", cacheable(_asset)),
    path("says-public.css", _asset),  # sets the same header, without declaring itself an asset
]


def test_only_a_view_declared_a_public_asset_keeps_its_caching(client, settings):
    settings.ROOT_URLCONF = __name__
    assert client.get("/public-asset.css")["Cache-Control"] == "public, max-age=3600"
    assert client.get("/says-public.css")["Cache-Control"] == "no-store"
