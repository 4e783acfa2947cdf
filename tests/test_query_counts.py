"""Queries per request of the endpoints the load benchmark drives (bench/load), as the demo
clinician with an API token: person search at most 5, a timeline page at most 6 whatever the
number of record kinds and records, encounter create at most 8 — the same with one result
as with twenty, with one kind of record as with every kind.

Counted once the worker has served the token before (its cache warm, as in a running
server). Reads make no transaction of their own; encounter create makes one (SAVEPOINT and
RELEASE inside the test's transaction, BEGIN and COMMIT in a server), whose two statements are
not queries and are counted apart.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.access.models import AccessLog
from mhis.care.models import Encounter
from mhis.kinds import on_timeline
from mhis.protection.services import create_scheme

from .factories import PersonDataFactory

SEARCH, TIMELINE, ENCOUNTER = 5, 6, 8
TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE
)
pytestmark = pytest.mark.django_db


def day(n):
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def statements(captured):
    return [q["sql"] for q in captured.captured_queries if not TRANSACTION_CONTROL.match(q["sql"])]


@pytest.fixture
def clinician(api, people):
    client = api(people["clinician"])
    assert client.get("/api/persons", q="nobody").status_code == 200  # the token remembered
    return client


def every_kind(client, person, admin, n=3):
    """`n` records of every kind on the timeline for `person`, with their lists (diagnoses,
    payments, specimens, steps)."""
    pid = person.uuid
    for i in range(n):

        def post(path, body):
            response = client.post(f"/api/persons/{pid}/{path}", body)
            assert response.status_code == 201, (path, response.content)
            return response.json()

        encounter = post("encounters", {"site": "MSOT-CLIN", "kind": "consultation",
                                        "date": day(40 + i), "reason": f"visit {i}",
                                        "diagnoses": [{"code": "A150"}, {"code": "R05"}],
                                        "cost": "100.00", "currency": "THB", "paid_by": "patient"})  # fmt: skip
        paid = client.post(f"/api/encounters/{encounter['id']}/payments",
                           {"amount": "20.00", "currency": "THB"})  # fmt: skip
        assert paid.status_code == 201, paid.content
        post("referrals", {"site": "MSOT-CLIN", "kind": "medical", "reason": f"referral {i}",
                           "urgency": "urgent", "to_site": "MWD-HOSP", "sent_on": day(30 + i)})  # fmt: skip
        post("assessments", {"site": "MSOT-CLIN", "type": "pre_departure", "date": day(20 + i),
                             "programme": "US", "destination_country": "US",
                             "specimens": [{"number": 1, "collected_on": day(20 + i),
                                            "smear_result": "negative"}]})  # fmt: skip
        post("immunisations", {"site": "MSOT-CLIN", "vaccine": "TD", "dose_number": 1,
                               "date": day(15 + i)})  # fmt: skip
        post("lab-results", {"site": "MSOT-CLIN", "test": "Haemoglobin", "value": str(12 + i),
                             "unit": "g/dL", "collected_on": day(10 + i)})  # fmt: skip
        scheme = create_scheme(admin, {"code": f"QC{person.pk}-{i}", "name": f"Scheme {i}",
                                       "country": "TH", "type": "migrant"})  # fmt: skip
        post("enrolments", {"scheme": scheme.code, "site": "MSOT-CLIN", "start_date": day(5 + i)})


def test_search_makes_at_most_five_queries_for_one_result_or_twenty(
    clinician, register, people, django_assert_max_num_queries
):
    register(names=[{"text": "Saw Lay Htoo"}])
    for n in range(25):
        register(names=[{"text": f"Naw Eh Paw {chr(ord('a') + n)}"}])
    counted = {}
    for query, expected in (("Saw Lay Htoo", 1), ("Naw Eh", 20)):
        before = AccessLog.objects.filter(view="api:persons_list").count()
        with django_assert_max_num_queries(SEARCH) as captured:
            response = clinician.get("/api/persons", q=query)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) == expected
        counted[query] = len(captured.captured_queries)
        # Every result shown is logged, in one statement.
        after = AccessLog.objects.filter(view="api:persons_list").count()
        assert after - before == expected
        inserts = [sql for sql in statements(captured) if sql.startswith("INSERT")]
        assert len(inserts) == 1 and "access_accesslog" in inserts[0]
    assert body["count"] == 25
    assert counted["Naw Eh"] == counted["Saw Lay Htoo"], counted


@pytest.mark.parametrize("limit", ["RANK_AT_MOST", "SEARCH_CANDIDATES"])
def test_a_broad_search_makes_at_most_five_queries(
    clinician, register, people, monkeypatch, django_assert_max_num_queries, limit
):
    """More people matching anywhere than search ranks one by one (RANK_AT_MOST), or than it
    reads at all (SEARCH_CANDIDATES, each of the two ways of matching "Eh Paw" above it): the
    same bound, people outside the user's places neither listed nor counted."""
    monkeypatch.setattr(f"mhis.registry.search.{limit}", 5)
    for n in range(25):
        register(names=[{"text": f"Naw Eh Paw {chr(ord('a') + n)}"}])
    register(by=people["hn_clinician"], registration_site="SPS-CAMR",
             names=[{"text": "Naw Eh Paw"}])  # fmt: skip
    with django_assert_max_num_queries(SEARCH):
        response = clinician.get("/api/persons", q="Eh Paw")
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 20 and body["count"] == 25
    assert "Naw Eh Paw" not in {row["name"] for row in body["results"]}


def test_a_timeline_page_makes_at_most_six_queries_whatever_the_kinds(
    clinician, register, people, django_assert_max_num_queries
):
    one_kind = register()
    ok = clinician.post(f"/api/persons/{one_kind.uuid}/immunisations",
                        {"site": "MSOT-CLIN", "vaccine": "TD", "dose_number": 1, "date": day(3)})  # fmt: skip
    assert ok.status_code == 201
    everything = register()
    every_kind(clinician, everything, people["admin"], n=4)
    counted = {}
    for name, person, size in (("one kind", one_kind, 1), ("every kind", everything, 24)):
        with django_assert_max_num_queries(TIMELINE) as captured:
            response = clinician.get(f"/api/persons/{person.uuid}/timeline")
        assert response.status_code == 200
        items = response.json()
        assert len(items) == size
        counted[name] = len(captured.captured_queries)
    assert {i["type"] for i in items} == {k.name for k in on_timeline()}
    assert counted["one kind"] <= counted["every kind"] <= TIMELINE, counted
    # A page of the timeline costs no more than all of it.
    with django_assert_max_num_queries(TIMELINE):
        page = clinician.get(f"/api/persons/{everything.uuid}/timeline", page=2, page_size=5)
    assert page.status_code == 200 and len(page.json()) == 5


def test_encounter_create_makes_at_most_eight_queries(
    clinician, register, people, django_assert_max_num_queries
):
    person = register()
    body = {"site": "MSOT-BRDG", "kind": "consultation", "date": day(1),
            "reason": "Cough and fever for three days", "diagnoses": [{"code": "J06.9"}]}  # fmt: skip
    for seen_there_before in (False, True):  # the first links the person to the site
        with django_assert_max_num_queries(ENCOUNTER + 2) as captured:
            response = clinician.post(f"/api/persons/{person.uuid}/encounters", body)
        assert response.status_code == 201, response.content
        written = statements(captured)
        assert len(written) <= ENCOUNTER, (seen_there_before, "\n".join(written))
        assert len(captured.captured_queries) - len(written) <= 2
    assert response.json()["diagnoses"][0]["code"] == "J06.9"
    assert Encounter.objects.filter(person=person).count() == 2
    assert AccessLog.objects.filter(person=person, view="api:encounter_create").count() == 2


def test_the_benchmark_requests_stay_bounded_for_a_person_with_many_records(
    clinician, register, people, django_assert_max_num_queries
):
    """The timeline is paged: more records make no more queries and no longer answer."""
    person = register(**PersonDataFactory())
    every_kind(clinician, person, people["admin"], n=10)
    with django_assert_max_num_queries(TIMELINE):
        response = clinician.get(f"/api/persons/{person.uuid}/timeline")
    assert len(response.json()) == 50  # the default page
    assert 'rel="next"' in response["Link"]
