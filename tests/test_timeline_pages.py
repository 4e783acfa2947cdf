"""The API's timeline, a page at a time: the pages together are every record of every kind,
newest first, each shown as its kind's own route shows it; a `Link` header leads to the next
page; each page's read is logged; out of scope is 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.access.models import AccessLog
from mhis.kinds import on_timeline

from .test_query_counts import every_kind

pytestmark = pytest.mark.django_db


def day(n):
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def pages(client, person, size):
    """Every page of the person's timeline by following the `Link` header."""
    path, params, seen = f"/api/persons/{person.uuid}/timeline", {"page_size": size}, []
    while True:
        response = client.get(path, **params)
        assert response.status_code == 200, response.content
        seen.append(response.json())
        link = response.get("Link")
        if not link:
            return seen
        target = link.split(";")[0].strip("<>")
        assert target.startswith(path + "?")
        params = dict(pair.split("=") for pair in target.split("?", 1)[1].split("&"))


def test_the_pages_together_are_every_record_as_its_own_route_shows_it(api, people, register):
    clinician = api(people["clinician"])
    person = register()
    every_kind(clinician, person, people["admin"], n=3)
    # What each kind's own route shows of the person's records.
    expected = []
    for kind in on_timeline():
        plural = kind.plural or f"{kind.name}s"
        for record in clinician.get(f"/api/persons/{person.uuid}/{plural}").json():
            expected.append((kind.name, record))
    read = [item for page in pages(clinician, person, 4) for item in page]
    assert [len(p) for p in pages(clinician, person, 4)] == [4, 4, 4, 4, 2]
    assert len(read) == len(expected) == 18
    # Newest first, across kinds.
    dates = [item["date"] for item in read]
    assert dates == sorted(dates, reverse=True)
    # Each item as the kind's own route shows it (decimals, encrypted numbers, lists …).
    shown = sorted((item["type"], item[item["type"]]["id"]) for item in read)
    assert shown == sorted((name, record["id"]) for name, record in expected)
    for item in read:
        mine = next(r for n, r in expected if n == item["type"] and r["id"] == item[n]["id"])
        assert item[item["type"]] == mine, item["type"]
    encounter = next(item["encounter"] for item in read if item["type"] == "encounter")
    assert [d["code"] for d in encounter["diagnoses"]] == ["A15.0", "R05"]
    referral = next(item["referral"] for item in read if item["type"] == "referral")
    assert [s["status"] for s in referral["steps"]] == ["sent"]
    assert referral["to_site"]["code"] == "MWD-HOSP"


def test_each_page_read_is_logged_and_out_of_scope_is_404(api, people, register):
    clinician = api(people["clinician"])
    person = register()
    every_kind(clinician, person, people["admin"], n=1)
    before = AccessLog.objects.filter(person=person, view="api:timeline").count()
    assert len(pages(clinician, person, 2)) == 3
    assert AccessLog.objects.filter(person=person, view="api:timeline").count() == before + 3
    outsider = api(people["hn_clinician"])
    assert outsider.get(f"/api/persons/{person.uuid}/timeline").status_code == 404
    assert outsider.get(f"/api/persons/{person.uuid}/timeline", page=2).status_code == 404


def test_a_page_past_the_end_is_empty_and_bad_paging_is_refused_naming_it(api, people, register):
    clinician = api(people["clinician"])
    person = register()
    every_kind(clinician, person, people["admin"], n=1)
    past = clinician.get(f"/api/persons/{person.uuid}/timeline", page=5, page_size=10)
    assert past.status_code == 200 and past.json() == [] and not past.get("Link")
    for params, field in (({"page": 0}, "page"), ({"page_size": 101}, "page_size"),
                          ({"page_size": "many"}, "page_size")):  # fmt: skip
        refused = clinician.get(f"/api/persons/{person.uuid}/timeline", **params)
        assert refused.status_code == 422
        assert [d["loc"] for d in refused.json()["detail"]] == [["query", field]]


def test_every_kind_on_the_timeline_can_be_read_in_the_one_union():
    """The union reads each kind's rows by the person's column, sorts them by the kind's date
    and creation time, and reads what its `related` and `prefetch` name."""
    for kind in on_timeline():
        meta = kind.model._meta
        assert "__" not in kind.person_field, kind.name
        assert meta.get_field(kind.person_field).related_model._meta.label == "registry.Person"
        assert kind.date_field and meta.get_field(kind.date_field).concrete, kind.name
        assert meta.get_field("created_at").concrete, kind.name
        for name in kind.related:
            assert meta.get_field(name).many_to_one, (kind.name, name)
        for name in kind.prefetch:
            assert meta.get_field(name).one_to_many, (kind.name, name)
