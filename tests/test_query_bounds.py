"""Bounded queries: a registration costs a fixed number of queries, and no list of the API costs
more queries for more rows (the same count with 3 records and with 30).

A registration is counted with what it announces on commit (the indicator cache forgotten):
the service in the test's transaction, savepoints counted; the API in real transactions, where
what is counted is the statements that read or write data (how many BEGIN and COMMIT a
database adds around them differs: PostgreSQL's are not statements, SQLite's are).
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mhis.linkage.models import CandidatePair, LinkRun
from mhis.places.services import create_place
from mhis.protection.services import create_scheme
from mhis.registry.models import Person
from mhis.registry.services import register_person
from mhis.surveillance.models import Alert

from .factories import PersonDataFactory

TODAY = timezone.localdate()
REGISTRATION_QUERIES = 12
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.I)


def days_ago(n):
    return (TODAY - timedelta(days=n)).isoformat()


# -- registration --------------------------------------------------------------------------------


def full_registration(**overrides):
    """A person with an identifier, a migration episode and a consent."""
    data = PersonDataFactory(**overrides)
    assert data["identifiers"] and data["episodes"] and data["consents"]
    return data


@pytest.mark.django_db
def test_registration_makes_at_most_twelve_queries(
    people, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    register_person(people["clinician"], full_registration())  # caches warmed
    with (
        django_assert_max_num_queries(REGISTRATION_QUERIES),
        django_capture_on_commit_callbacks(execute=True) as announced,
    ):
        person = register_person(people["clinician"], full_registration())
    assert announced, "the registration was announced (and its callbacks counted)"
    stored = Person.objects.get(pk=person.pk)
    assert (stored.identifiers.count(), stored.episodes.count(), stored.consents.count()) == (
        1,
        1,
        1,
    )
    assert stored.names.count() == 1 and stored.display_name == person.display_name


@pytest.mark.django_db(transaction=True)
def test_registration_by_the_api_makes_at_most_twelve_queries(people, api):
    client = api(people["clinician"])
    assert client.post("/api/persons", full_registration()).status_code == 201
    data = full_registration()
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/persons", data)
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured.captured_queries]
    queries = [sql for sql in statements if not TRANSACTION_CONTROL.match(sql)]
    assert len(queries) <= REGISTRATION_QUERIES, "\n".join(queries)
    assert any(sql.startswith("DELETE") and "indicators_cachedresult" in sql for sql in queries)
    body = response.json()
    # The answer is the record as stored: the same as reading it back.
    assert client.get(f"/api/persons/{body['id']}").json() == body
    assert [i["value"] for i in body["identifiers"]] == [data["identifiers"][0]["value"]]
    assert len(body["episodes"]) == 1 and len(body["consents"]) == 1


# -- lists of the API ----------------------------------------------------------------------------


class World:
    """Records of every kind for one person (and around them), added `n` at a time."""

    def __init__(self, people, api, register, world):
        self.people, self.world = people, world
        self.clinician = api(people["clinician"])
        self.admin = api(people["admin"])
        self.chw = api(people["chw"])
        self.officer = api(people["tak_officer"])
        self.person = register()
        self.id = self.person.uuid
        self.added = 0
        self.first = {}
        self.run = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.95,
                                          status=LinkRun.Status.DONE)  # fmt: skip

    def post(self, client, path, body, status=(201,)):
        response = client.post(path, body)
        assert response.status_code in status, (path, response.content)
        return response.json()

    def patch(self, client, path, body):
        response = client.patch(path, body)
        assert response.status_code == 200, (path, response.content)

    def add(self, n):
        for _ in range(n):
            i = self.added = self.added + 1
            day = days_ago(40 - i % 30)
            encounter = self.post(self.clinician, f"/api/persons/{self.id}/encounters", {
                "site": "MSOT-CLIN", "kind": "consultation", "date": day, "reason": f"visit {i}",
                "diagnoses": [{"code": "A150"}, {"code": "R05"}], "cost": "100.00",
                "currency": "THB", "paid_by": "patient"})  # fmt: skip
            self.post(self.clinician, f"/api/encounters/{encounter['id']}/payments",
                      {"amount": "20.00", "currency": "THB"})  # fmt: skip
            referral = self.post(self.clinician, f"/api/persons/{self.id}/referrals", {
                "site": "MSOT-CLIN", "kind": "medical", "reason": f"referral {i}",
                "urgency": "urgent", "to_site": "MWD-HOSP", "sent_on": day})  # fmt: skip
            assessment = self.post(self.clinician, f"/api/persons/{self.id}/assessments", {
                "site": "MSOT-CLIN", "type": "pre_departure", "date": day, "programme": "US",
                "destination_country": "US"})  # fmt: skip
            immunisation = self.post(self.clinician, f"/api/persons/{self.id}/immunisations", {
                "site": "MSOT-CLIN", "vaccine": "TD", "dose_number": 1, "date": day})  # fmt: skip
            self.post(self.clinician, f"/api/persons/{self.id}/lab-results", {
                "site": "MSOT-CLIN", "test": "Haemoglobin", "value": str(i), "unit": "g/dL",
                "collected_on": day})  # fmt: skip
            scheme = create_scheme(self.people["admin"], {"code": f"S{i}", "name": f"Scheme {i}",
                                                         "country": "TH", "type": "migrant"})  # fmt: skip
            enrolment = self.post(self.clinician, f"/api/persons/{self.id}/enrolments", {
                "scheme": scheme.code, "site": "MSOT-CLIN", "start_date": day})  # fmt: skip
            self.first.setdefault("encounter", encounter["id"])
            self.first.setdefault("referral", referral["id"])
            self.first.setdefault("assessment", assessment["id"])
            self.first.setdefault("immunisation", immunisation["id"])
            self.first.setdefault("enrolment", enrolment["id"])
            payment = self.post(self.clinician, f"/api/encounters/{self.first['encounter']}/payments",
                                {"amount": f"{i}.00", "currency": "THB"})  # fmt: skip
            self.first.setdefault("payment", payment["id"])
            # Changes to the first record of each kind: their histories grow.
            self.patch(self.clinician, f"/api/encounters/{self.first['encounter']}", {"reason": f"changed {i}"})  # fmt: skip
            self.patch(self.clinician, f"/api/referrals/{self.first['referral']}", {"reason": f"changed {i}"})  # fmt: skip
            self.patch(self.clinician, f"/api/assessments/{self.first['assessment']}", {"history": f"changed {i}"})  # fmt: skip
            self.patch(self.clinician, f"/api/immunisations/{self.first['immunisation']}", {"lot": f"L{i}"})  # fmt: skip
            self.patch(self.clinician, f"/api/enrolments/{self.first['enrolment']}", {"member_number": f"M{i}"})  # fmt: skip
            self.patch(self.clinician, f"/api/payments/{self.first['payment']}", {"amount": f"{i}.50"})  # fmt: skip
            # Another person, a pair for review with the first, an alert, a report's new version.
            other = Person.objects.get(uuid=self.post(self.clinician, "/api/persons", PersonDataFactory())["id"])  # fmt: skip
            CandidatePair.objects.create(run=self.run, left=self.person, right=other,
                                         probability=0.8, weight=3.0)  # fmt: skip
            Alert.objects.create(site=self.world["CLINIC"], condition="dengue", year=2026, week=i,
                                 method="threshold", observed=5, threshold=3.0)  # fmt: skip
            create_place(code=f"MSOT-S{i}", name=f"Mae Sot site {i}", kind="site",
                         parent=self.world["MAESOT"], site_type="clinic")  # fmt: skip
            self.post(self.chw, "/api/surveillance/reports", {
                "site": "RNG-PORT", "week": "2026-W47",
                "counts": [{"condition": "dengue", "sex": "female", "age_group": "15-49", "count": i}],
            }, status=(201,))  # fmt: skip

    def lists(self):
        """Every list of the API that reads rows of the database: (who asks, path)."""
        first = self.first
        return {
            "persons": (self.clinician, "/api/persons?page_size=100"),  # one page for all
            "timeline": (self.clinician, f"/api/persons/{self.id}/timeline"),
            "encounters": (self.clinician, f"/api/persons/{self.id}/encounters"),
            "encounter history": (self.clinician, f"/api/encounters/{first['encounter']}/history"),
            "referrals": (self.clinician, f"/api/persons/{self.id}/referrals"),
            "referrals overdue": (self.clinician, "/api/referrals/overdue"),
            "referral history": (self.clinician, f"/api/referrals/{first['referral']}/history"),
            "assessments": (self.clinician, f"/api/persons/{self.id}/assessments"),
            "assessments pending": (self.clinician, "/api/assessments/pending"),
            "assessment history": (
                self.clinician,
                f"/api/assessments/{first['assessment']}/history",
            ),
            "immunisations": (self.clinician, f"/api/persons/{self.id}/immunisations"),
            "immunisation history": (
                self.clinician,
                f"/api/immunisations/{first['immunisation']}/history",
            ),
            "lab results": (self.clinician, f"/api/persons/{self.id}/lab-results"),
            "schemes": (self.clinician, "/api/schemes"),
            "enrolments": (self.clinician, f"/api/persons/{self.id}/enrolments"),
            "enrolment history": (self.clinician, f"/api/enrolments/{first['enrolment']}/history"),
            "payments": (self.clinician, f"/api/encounters/{first['encounter']}/payments"),
            "payment history": (self.clinician, f"/api/payments/{first['payment']}/history"),
            "linkage pairs": (self.admin, "/api/linkage/pairs"),
            "alerts": (self.officer, "/api/surveillance/alerts"),
            "report versions": (self.chw, "/api/surveillance/reports/RNG-PORT/2026-W47"),
            "completeness": (
                self.officer,
                "/api/surveillance/completeness?start=2026-W40&end=2026-W47",
            ),
        }

    def counts(self):
        """Queries and rows of each list."""
        out = {}
        for name, (client, path) in self.lists().items():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, (name, response.content)
            body = response.json()
            rows = len(body["results"] if isinstance(body, dict) else body)
            out[name] = (len(queries.captured_queries), rows)
        return out


@pytest.mark.django_db
def test_no_list_of_the_api_asks_more_queries_for_more_rows(people, api, register, world):
    records = World(people, api, register, world)
    records.add(3)
    few = records.counts()
    records.add(27)
    many = records.counts()
    grew = {name: (few[name][0], many[name][0]) for name in few if many[name][0] > few[name][0]}
    assert grew == {}, "lists whose queries grow with their rows (3 rows → 30 rows)"
    # … and the lists did grow: the counts are of 3 and of 30 rows (or all there are).
    short = {name: (few[name][1], many[name][1]) for name in few if many[name][1] <= few[name][1]}
    assert short == {}
