"""The response API (ADR 0031) and hostile input: assess, assign and record 7-1-7 over JSON,
the table as JSON; bodies with unknown fields, NUL characters, huge numbers or wrong types are
refused naming the field, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from mhis.access.services import create_user
from mhis.response import services
from mhis.response.models import ResponseAction, RiskAssessment
from mhis.surveillance import outbreaks
from mhis.surveillance.models import Alert

TODAY = dt.date.today()
RRA = {"hazard": "AWD", "exposure": "Porters", "context": "Rainy season",
       "likelihood": "unlikely", "consequence": "severe", "confidence": "low"}  # fmt: skip


def _day(n):
    return (TODAY - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def outbreak(people, world):
    year, week = (TODAY - dt.timedelta(days=7)).isocalendar()[:2]
    alert = Alert.objects.create(
        site=world["BRIDGE"], condition="cholera", year=year, week=week, method="threshold",
        observed=4, threshold=1, state="confirmed",
    )  # fmt: skip
    return outbreaks.open_outbreak(people["tak_officer"], alert=alert)


def test_the_officer_runs_the_response_over_the_api(api, people, outbreak, world):
    officer = api(people["tak_officer"])
    base = f"/api/surveillance/outbreaks/{outbreak.pk}"
    made = officer.post(f"{base}/assessments", RRA)
    assert made.status_code == 201, made.content
    assert made.json()["assessments"][0]["level"] == "high"
    added = officer.post(f"{base}/actions", {"title": "Chlorinate", "due_on": _day(-2)})
    assert added.status_code == 201, added.content
    assert added.json()["actions"][0]["owner"] == "tak_officer"  # no owner named: the caller
    dated = officer.post(
        f"{base}/717", {"emerged_on": _day(9), "detected_on": _day(3), "notified_on": _day(3)}
    )
    assert dated.status_code == 201, dated.content
    steps = {s["step"]: (s["days"], s["met"]) for s in dated.json()["seven"]["steps"]}
    assert steps == {"detect": (6, True), "notify": (0, True), "respond": (None, None)}
    table = officer.get("/api/surveillance/response/717", level="area")
    assert [(r["place"], r["outbreak"]) for r in table.json()] == [("Tak", outbreak.pk)]
    far = create_user(username="hn_off", password=None, role="surveillance_officer",
                      places=[world["HN"]])  # fmt: skip
    assert api(far).get(f"{base}/response").status_code == 404
    assert api(far).get("/api/surveillance/response/717").json() == []
    reader = api(people["clinician"]).get(f"{base}/response")
    assert reader.status_code == 200 and reader.json()["actions"][0]["title"] == "Chlorinate"
    assert api(people["clinician"]).post(f"{base}/assessments", RRA).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**RRA, "hazard": "AWD\x00"}, "hazard"),
        ({**RRA, "likelihood": 5}, "likelihood"),
        ({**RRA, "patient_name": "Naw Eh Say"}, "patient_name"),
    ],
)
def test_a_hostile_assessment_is_refused_naming_the_field(api, people, outbreak, body, field):
    got = api(people["tak_officer"]).post(
        f"/api/surveillance/outbreaks/{outbreak.pk}/assessments", body
    )
    assert got.status_code == 422, got.content
    assert field in got.content.decode()
    assert not RiskAssessment.objects.exists()


def test_hostile_form_input_is_refused_naming_the_field(people, outbreak):
    officer = people["tak_officer"]
    from django.core.exceptions import ValidationError

    bad = [
        ({"title": "x", "owner": "9" * 40, "due_on": _day(-1)}, "owner"),
        ({"title": "x\x00", "due_on": _day(-1)}, "title"),
        ({"title": "x" * 201, "due_on": _day(-1)}, "title"),
        ({"title": "x", "due_on": "31/12/2026"}, "due_on"),
        ({"title": "x", "due_on": _day(-1), "assessment": "1" * 30}, "assessment"),
    ]
    for body, field in bad:
        with pytest.raises(ValidationError) as refused:
            services.add_action(officer, outbreak, body)
        assert field in refused.value.message_dict, body
    with pytest.raises(ValidationError) as refused:
        services.record_timeliness(officer, outbreak, {"emerged_on": "2026-02-30"})
    assert "emerged_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.assess(officer, outbreak, ["not", "an", "object"])
    assert not ResponseAction.objects.exists()


def test_the_command_escalates_overdue_actions_once(people, outbreak):
    from io import StringIO

    from django.core.management import call_command

    officer = people["tak_officer"]
    action = services.add_action(officer, outbreak, {"title": "Supplies", "due_on": _day(0)})
    ResponseAction.objects.filter(pk=action.pk).update(due_on=TODAY - dt.timedelta(days=1))
    out = StringIO()
    call_command("surveillance", "escalate", stdout=out)
    assert "1 actions escalated" in out.getvalue()
    out = StringIO()
    call_command("surveillance", "escalate", stdout=out)
    assert "0 actions escalated" in out.getvalue()


def test_the_openapi_document_keeps_the_care_assessment_and_the_risk_assessment_apart(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert "hazard" in schemas["RiskAssessmentOut"]["properties"]
    assert "hazard" not in schemas["AssessmentOut"]["properties"]  # the care assessment's
