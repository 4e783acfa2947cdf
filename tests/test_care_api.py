"""Care API: encounters, cross-border referrals, history and the timeline, in and out of scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mhis.access.models import AccessLog
from mhis.care.models import Encounter, Referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(n):
    return (TODAY - timedelta(days=n)).isoformat()


def locs(response):
    return {tuple(d["loc"][1:]) for d in response.json()["detail"]}


@pytest.fixture
def person(register):
    return register(names=[{"text": "ဒေါ်သီဒါ"}], birth_date="1990-03")


def encounter_payload(**overrides):
    return {
        "site": "MSOT-CLIN",
        "kind": "consultation",
        "date": days_ago(3),
        "reason": "Cough for three weeks",
        "diagnoses": [{"code": "A150"}, {"code": "R05"}],
        "treatments": "Sputum requested",
        "cost": "150.00",
        "currency": "THB",
        "paid_by": "patient",
        **overrides,
    }


# -- encounters --------------------------------------------------------------------------------


def test_encounter_is_recorded_read_listed_and_updated(api, people, person):
    caller = api(people["clinician"])
    created = caller.post(f"/api/persons/{person.uuid}/encounters", encounter_payload())
    assert created.status_code == 201, created.content
    body = created.json()
    assert [d["code"] for d in body["diagnoses"]] == ["A15.0", "R05"]
    assert (
        body["diagnoses"][0]["primary"]
        and "Tuberculosis of lung" in body["diagnoses"][0]["description"]
    )
    assert caller.get(f"/api/encounters/{body['id']}").json()["reason"] == "Cough for three weeks"
    assert [e["id"] for e in caller.get(f"/api/persons/{person.uuid}/encounters").json()] == [
        body["id"]
    ]
    changed = caller.patch(
        f"/api/encounters/{body['id']}", {"paid_by": "insurance", "diagnoses": [{"code": "A15.1"}]}
    )
    assert changed.status_code == 200, changed.content
    assert (
        changed.json()["paid_by"] == "insurance"
        and changed.json()["diagnoses"][0]["code"] == "A15.1"
    )


def test_encounter_history_shows_the_previous_value(api, people, person):
    caller = api(people["clinician"])
    encounter_id = caller.post(
        f"/api/persons/{person.uuid}/encounters", encounter_payload()
    ).json()["id"]
    caller.patch(f"/api/encounters/{encounter_id}", {"cost": "90", "reason": "Cough"})
    history = caller.get(f"/api/encounters/{encounter_id}/history").json()
    assert [h["action"] for h in history] == ["created", "updated"]
    assert history[1]["changes"]["cost"] == ["150.00", "90.00"]
    assert history[1]["changes"]["reason"] == ["Cough for three weeks", "Cough"]
    assert history[1]["by"] == "mae_sot_clinician"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"diagnoses": [{"code": "Q99.99"}]}, ("diagnoses", 0, "code")),
        ({"diagnoses": [{"code": "A00-A09"}]}, ("diagnoses", 0, "code")),
        ({"cost": "-5"}, ("cost",)),
        ({"currency": "XXY"}, ("currency",)),
        ({"currency": None}, ("currency",)),
        ({"date": "1989-12-31"}, ("date",)),
        ({"date": (TODAY + timedelta(days=2)).isoformat()}, ("date",)),
        ({"date": "2024-02-30"}, ("date",)),
        ({"site": "SPS-CAMR"}, ("site",)),
        ({"kind": "surgery"}, ("kind",)),
        ({"paid_by": "nobody"}, ("paid_by",)),
    ],
)
def test_bad_encounters_name_the_field_and_write_nothing(api, people, person, change, field):
    response = api(people["clinician"]).post(
        f"/api/persons/{person.uuid}/encounters", encounter_payload(**change)
    )
    assert response.status_code == 422, response.content
    assert field in locs(response), response.json()
    assert not Encounter.objects.exists()


def test_encounters_are_404_out_of_scope_and_403_for_read_only_roles(api, people, person):
    encounter_id = (
        api(people["clinician"])
        .post(f"/api/persons/{person.uuid}/encounters", encounter_payload())
        .json()["id"]
    )
    outsider = api(people["hn_clinician"])
    assert outsider.get(f"/api/encounters/{encounter_id}").status_code == 404
    assert outsider.get(f"/api/persons/{person.uuid}/encounters").status_code == 404
    assert outsider.patch(f"/api/encounters/{encounter_id}", {"reason": "x"}).status_code == 404
    assert (
        outsider.post(f"/api/persons/{person.uuid}/encounters", encounter_payload()).status_code
        == 404
    )
    officer = api(people["tak_officer"])
    assert officer.get(f"/api/encounters/{encounter_id}").status_code == 200
    assert officer.patch(f"/api/encounters/{encounter_id}", {"reason": "x"}).status_code == 403
    assert (
        officer.post(f"/api/persons/{person.uuid}/encounters", encounter_payload()).status_code
        == 403
    )
    assert Encounter.objects.count() == 1


# -- referrals ---------------------------------------------------------------------------------


def referral_payload(**overrides):
    return {
        "site": "MSOT-CLIN",
        "kind": "tb_continuation",
        "reason": "Continue TB treatment after return",
        "urgency": "urgent",
        "to_site": "MWD-HOSP",
        "sent_on": days_ago(10),
        **overrides,
    }


def test_cross_border_referral_from_sent_to_closed(api, people, person):
    mae_sot, myawaddy = api(people["clinician"]), api(people["mm_clinician"])
    # Before the referral, Myawaddy cannot see the person.
    assert myawaddy.get(f"/api/persons/{person.uuid}").status_code == 404
    sent = mae_sot.post(f"/api/persons/{person.uuid}/referrals", referral_payload())
    assert sent.status_code == 201, sent.content
    referral = sent.json()
    assert referral["status"] == "sent" and referral["to_country"] == "MM"
    assert referral["due_on"] == (TODAY - timedelta(days=3)).isoformat()  # urgent: 7 days
    # The receiving hospital across the border now sees the person and the referral.
    assert myawaddy.get(f"/api/persons/{person.uuid}").status_code == 200
    rid = referral["id"]
    received = myawaddy.post(
        f"/api/referrals/{rid}/steps", {"status": "received", "on": days_ago(8)}
    )
    assert received.status_code == 200, received.content
    attended = myawaddy.post(
        f"/api/referrals/{rid}/steps", {"status": "attended", "on": days_ago(6), "note": "Seen"}
    )
    assert attended.json()["attended_on"] == days_ago(6)
    closed = mae_sot.post(
        f"/api/referrals/{rid}/steps",
        {"status": "closed", "note": "Treatment continued at Myawaddy"},
    )
    body = closed.json()
    assert body["status"] == "closed" and body["closed_on"] == TODAY.isoformat()
    assert body["outcome"] == "Treatment continued at Myawaddy"
    assert [s["status"] for s in body["steps"]] == ["sent", "received", "attended", "closed"]


@pytest.mark.parametrize(
    ("steps", "bad", "field"),
    [
        ([], {"status": "closed"}, "status"),
        ([], {"status": "opened"}, "status"),
        ([{"status": "received", "on": 5}], {"status": "attended", "on": 7}, "on"),
        ([], {"status": "received", "on": -1}, "on"),
    ],
)
def test_referral_steps_follow_the_workflow(api, people, person, steps, bad, field):
    sender, receiver = api(people["clinician"]), api(people["mm_clinician"])
    rid = sender.post(f"/api/persons/{person.uuid}/referrals", referral_payload()).json()["id"]
    for step in steps:
        receiver.post(f"/api/referrals/{rid}/steps", {**step, "on": days_ago(step["on"])})
    if "on" in bad:
        bad = {**bad, "on": days_ago(bad["on"])}
    response = receiver.post(f"/api/referrals/{rid}/steps", bad)
    assert response.status_code == 422
    assert (field,) in locs(response)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to_site": "NOWHERE"}, ("to_site",)),
        ({"to_site": "MSOT-CLIN"}, ("to_site",)),
        ({"to_site": None}, ("to_site",)),
        (
            {"to_site": None, "to_facility": "Yangon General Hospital", "to_country": "XQ"},
            ("to_country",),
        ),
        ({"site": "SPS-CAMR"}, ("site",)),
        ({"reason": "  "}, ("reason",)),
        ({"sent_on": "1985-01-01"}, ("sent_on",)),
        ({"due_on": days_ago(20)}, ("due_on",)),
        ({"kind": "teleport"}, ("kind",)),
    ],
)
def test_bad_referrals_name_the_field_and_write_nothing(api, people, person, change, field):
    response = api(people["clinician"]).post(
        f"/api/persons/{person.uuid}/referrals", referral_payload(**change)
    )
    assert response.status_code == 422, response.content
    assert field in locs(response), response.json()
    assert not Referral.objects.exists()


def test_referral_to_a_facility_outside_mhis(api, people, person):
    response = api(people["clinician"]).post(
        f"/api/persons/{person.uuid}/referrals",
        referral_payload(
            to_site=None, to_facility="Yangon General Hospital", to_country="MMR", kind="medical"
        ),
    )
    assert response.status_code == 201, response.content
    assert response.json()["to_country"] == "MM" and response.json()["to_site"] is None


def test_referral_history_shows_the_previous_reason(api, people, person):
    caller = api(people["clinician"])
    rid = caller.post(f"/api/persons/{person.uuid}/referrals", referral_payload()).json()["id"]
    caller.patch(f"/api/referrals/{rid}", {"reason": "Continue DR-TB treatment"})
    change = caller.get(f"/api/referrals/{rid}/history").json()[-1]
    assert change["changes"]["reason"] == [
        "Continue TB treatment after return",
        "Continue DR-TB treatment",
    ]
    assert caller.patch(f"/api/referrals/{rid}", {"to_site": "RNG-PORT"}).status_code == 422


def test_overdue_referrals_are_listed_for_both_ends_only(api, people, person):
    caller = api(people["clinician"])
    overdue = caller.post(f"/api/persons/{person.uuid}/referrals", referral_payload()).json()["id"]
    caller.post(
        f"/api/persons/{person.uuid}/referrals", referral_payload(sent_on=TODAY.isoformat())
    )
    attended = caller.post(f"/api/persons/{person.uuid}/referrals", referral_payload()).json()["id"]
    for status in ("received", "attended"):  # the receiving site's steps
        api(people["mm_clinician"]).post(f"/api/referrals/{attended}/steps", {"status": status})
    assert [r["id"] for r in caller.get("/api/referrals/overdue").json()] == [overdue]
    assert [r["id"] for r in api(people["mm_clinician"]).get("/api/referrals/overdue").json()] == [
        overdue
    ]
    assert api(people["hn_clinician"]).get("/api/referrals/overdue").json() == []
    assert api(people["hn_analyst"]).get("/api/referrals/overdue").status_code == 403


def test_referrals_are_404_out_of_scope(api, people, person):
    rid = (
        api(people["clinician"])
        .post(f"/api/persons/{person.uuid}/referrals", referral_payload())
        .json()["id"]
    )
    outsider = api(people["hn_clinician"])
    assert outsider.get(f"/api/referrals/{rid}").status_code == 404
    assert outsider.post(f"/api/referrals/{rid}/steps", {"status": "received"}).status_code == 404
    assert outsider.get(f"/api/persons/{person.uuid}/referrals").status_code == 404


# -- timeline ----------------------------------------------------------------------------------


def test_timeline_lists_records_newest_first_and_logs_one_read(api, people, person):
    caller = api(people["clinician"])
    caller.post(f"/api/persons/{person.uuid}/encounters", encounter_payload(date=days_ago(20)))
    caller.post(f"/api/persons/{person.uuid}/referrals", referral_payload(sent_on=days_ago(2)))
    caller.post(
        f"/api/persons/{person.uuid}/assessments",
        {"site": "MSOT-CLIN", "type": "on_arrival", "date": days_ago(5)},
    )
    caller.post(
        f"/api/persons/{person.uuid}/immunisations",
        {"site": "MSOT-CLIN", "vaccine": "MR", "dose_number": 1, "date": days_ago(8)},
    )
    caller.post(
        f"/api/persons/{person.uuid}/lab-results",
        {"site": "MSOT-CLIN", "test": "Glucose", "value": "5.0", "collected_on": days_ago(12)},
    )
    before = AccessLog.objects.filter(person=person, view="api:timeline").count()
    items = caller.get(f"/api/persons/{person.uuid}/timeline").json()
    assert [i["type"] for i in items] == [
        "referral",
        "assessment",
        "immunisation",
        "lab_result",
        "encounter",
    ]
    assert (
        items[2]["immunisation"]["vaccine"] == "MR" and items[3]["lab_result"]["test"] == "Glucose"
    )
    assert AccessLog.objects.filter(person=person, view="api:timeline").count() == before + 1
    assert (
        api(people["hn_clinician"]).get(f"/api/persons/{person.uuid}/timeline").status_code == 404
    )


@pytest.mark.parametrize("status", ["received", "attended"])
def test_only_the_receiving_site_marks_a_referral_received_or_attended(api, people, person, status):
    sender, receiver = api(people["clinician"]), api(people["mm_clinician"])
    rid = sender.post(f"/api/persons/{person.uuid}/referrals", referral_payload()).json()["id"]
    if status == "attended":
        assert (
            receiver.post(f"/api/referrals/{rid}/steps", {"status": "received"}).status_code == 200
        )
    before = sender.get(f"/api/referrals/{rid}").json()
    refused = sender.post(f"/api/referrals/{rid}/steps", {"status": status})
    assert refused.status_code == 422 and ("status",) in locs(refused)
    assert "Only the receiving site (Myawaddy Hospital)" in refused.content.decode()
    assert sender.get(f"/api/referrals/{rid}").json() == before  # nothing moved
    # The sending site still records what is its own: the person lost to follow-up.
    assert sender.post(f"/api/referrals/{rid}/steps", {"status": "lost"}).status_code == 200


def test_a_referral_outside_mhis_is_marked_received_by_the_sending_site(api, people, person):
    sender = api(people["clinician"])
    payload = referral_payload(to_site="", to_facility="Mawlamyine TB clinic", to_country="MM")
    sent = sender.post(f"/api/persons/{person.uuid}/referrals", payload)
    assert sent.status_code == 201, sent.content
    received = sender.post(f"/api/referrals/{sent.json()['id']}/steps", {"status": "received"})
    assert received.status_code == 200 and received.json()["status"] == "received"
