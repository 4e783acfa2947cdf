"""Immunisations and lab results through the API: create, read, list, update, history, scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.care.models import Immunisation, LabResult
from mhis.care.vaccines import valid_loinc

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
DAY = (TODAY - timedelta(days=4)).isoformat()


def locs(response):
    return {tuple(d["loc"][1:]) for d in response.json()["detail"]}


@pytest.fixture
def person(register):
    return register(birth_date="2001-02-03")


def test_immunisation_lifecycle_and_history(api, people, person):
    caller = api(people["clinician"])
    created = caller.post(
        f"/api/persons/{person.uuid}/immunisations",
        {"site": "MSOT-CLIN", "vaccine": "TD", "dose_number": 1, "date": DAY, "lot": "TD-001"},
    )
    assert created.status_code == 201, created.content
    iid = created.json()["id"]
    assert created.json()["vaccine_name"] == "Tetanus and diphtheria (Td)"
    assert [i["id"] for i in caller.get(f"/api/persons/{person.uuid}/immunisations").json()] == [
        iid
    ]
    changed = caller.patch(f"/api/immunisations/{iid}", {"lot": "TD-002"})
    assert changed.json()["lot"] == "TD-002"
    assert caller.get(f"/api/immunisations/{iid}/history").json()[-1]["changes"]["lot"] == [
        "TD-001",
        "TD-002",
    ]


def test_lab_result_lifecycle_and_history(api, people, person):
    caller = api(people["clinician"])
    created = caller.post(
        f"/api/persons/{person.uuid}/lab-results",
        {
            "site": "MSOT-CLIN",
            "test": "Haemoglobin",
            "loinc": "718-7",
            "value": "10.2",
            "unit": "g/dL",
            "reference_range": "12-16",
            "collected_on": DAY,
        },
    )
    assert created.status_code == 201, created.content
    lid = created.json()["id"]
    caller.patch(f"/api/lab-results/{lid}", {"value": "10.4", "reported_on": TODAY.isoformat()})
    assert caller.get(f"/api/lab-results/{lid}").json()["value"] == "10.4"
    assert caller.get(f"/api/lab-results/{lid}/history").json()[-1]["changes"]["value"] == [
        "10.2",
        "10.4",
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"vaccine": "SMALLPOX"}, ("vaccine",)),
        ({"vaccine": "BCG", "dose_number": 2}, ("dose_number",)),
        ({"dose_number": 0}, ("dose_number",)),
        ({"date": "2000-01-01"}, ("date",)),
        ({"date": (TODAY + timedelta(days=1)).isoformat()}, ("date",)),
        ({"site": "SPS-CAMR"}, ("site",)),
        ({"assessment": 999}, ("assessment",)),
    ],
)
def test_bad_immunisations_name_the_field(api, people, person, payload, field):
    body = {"site": "MSOT-CLIN", "vaccine": "MR", "dose_number": 1, "date": DAY, **payload}
    response = api(people["clinician"]).post(f"/api/persons/{person.uuid}/immunisations", body)
    assert response.status_code == 422 and field in locs(response), response.content
    assert not Immunisation.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"loinc": "718-8"}, ("loinc",)),
        ({"test": " "}, ("test",)),
        ({"value": ""}, ("value",)),
        ({"reported_on": (TODAY - timedelta(days=9)).isoformat()}, ("reported_on",)),
        ({"collected_on": "1999-12-31"}, ("collected_on",)),
    ],
)
def test_bad_lab_results_name_the_field(api, people, person, payload, field):
    body = {
        "site": "MSOT-CLIN",
        "test": "Glucose",
        "value": "5.1",
        "unit": "mmol/L",
        "collected_on": DAY,
        **payload,
    }
    response = api(people["clinician"]).post(f"/api/persons/{person.uuid}/lab-results", body)
    assert response.status_code == 422 and field in locs(response), response.content
    assert not LabResult.objects.exists()


def test_records_are_404_out_of_scope_and_403_for_read_only_roles(api, people, person):
    iid = (
        api(people["clinician"])
        .post(
            f"/api/persons/{person.uuid}/immunisations",
            {"site": "MSOT-CLIN", "vaccine": "MR", "dose_number": 1, "date": DAY},
        )
        .json()["id"]
    )
    outsider = api(people["hn_clinician"])
    assert outsider.get(f"/api/immunisations/{iid}").status_code == 404
    assert outsider.patch(f"/api/immunisations/{iid}", {"lot": "x"}).status_code == 404
    assert outsider.get(f"/api/persons/{person.uuid}/lab-results").status_code == 404
    officer = api(people["tak_officer"])
    assert officer.get(f"/api/immunisations/{iid}").status_code == 200
    assert officer.patch(f"/api/immunisations/{iid}", {"lot": "x"}).status_code == 403
    assert (
        officer.post(
            f"/api/persons/{person.uuid}/lab-results",
            {"site": "MSOT-CLIN", "test": "Glucose", "value": "5", "collected_on": DAY},
        ).status_code
        == 403
    )


def test_vaccine_given_at_an_assessment_is_linked_to_it(api, people, person):
    caller = api(people["clinician"])
    aid = caller.post(
        f"/api/persons/{person.uuid}/assessments", {"site": "MSOT-CLIN", "type": "pre_departure"}
    ).json()["id"]
    body = caller.post(
        f"/api/persons/{person.uuid}/immunisations",
        {"site": "MSOT-CLIN", "vaccine": "MMR", "dose_number": 1, "date": DAY, "assessment": aid},
    ).json()
    assert body["assessment"] == aid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("2345-7", True),
        ("718-7", True),
        ("94500-6", True),
        ("2345-8", False),
        ("2345", False),
        ("A345-7", False),
        ("12345678-9", False),
    ],
)
def test_loinc_check_digit(code, valid):
    assert valid_loinc(code) is valid
