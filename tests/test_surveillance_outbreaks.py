"""Signals and outbreaks (ADR 0029): who reports and who verifies, in whose places; the
signal's and outbreak's states with their history; grouping alerts and signals by condition
and area; the line of cases without migration status, every person read logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mhis.access.models import AccessLog
from mhis.access.services import create_user
from mhis.care import services as care
from mhis.surveillance import outbreaks
from mhis.surveillance.models import Alert, Outbreak, Signal, SignalState

TODAY = dt.date.today()


def _week(days_ago=7):
    return (TODAY - dt.timedelta(days=days_ago)).isocalendar()[:2]


def _alert(site, condition="cholera", days_ago=7):
    year, week = _week(days_ago)
    return Alert.objects.create(
        site=site, condition=condition, year=year, week=week, method="threshold",
        observed=4, threshold=1,
    )  # fmt: skip


def _signal(user, place="MSOT-BRDG", **extra):
    data = {
        "text": "Three people with watery diarrhoea at the bridge market",
        "source": "community",
        "place": place,
        "date": (TODAY - dt.timedelta(days=3)).isoformat(),
        **extra,
    }
    return outbreaks.report_signal(user, data)


@pytest.fixture
def volunteer(world):
    return create_user(username="bridge_chw", password=None, role="chw", places=[world["MAESOT"]])


def _verified(officer, signal, condition="cholera"):
    signal = outbreaks.move_signal(officer, signal, "triaged")
    return outbreaks.move_signal(officer, signal, "verified", "Called the market", condition)


# -- signals -----------------------------------------------------------------------------------


def test_a_volunteer_reports_a_signal_in_their_places_but_cannot_verify_it(volunteer, people):
    signal = _signal(volunteer)
    assert (signal.state, signal.place.code, signal.reported_by) == ("new", "MSOT-BRDG", volunteer)
    assert [(e.to_state, e.by) for e in signal.events.all()] == [("new", volunteer)]
    with pytest.raises(PermissionDenied):
        outbreaks.move_signal(volunteer, signal, "triaged")
    with pytest.raises(PermissionDenied):
        outbreaks.visible_signals(volunteer)


def test_a_signal_outside_the_reporters_places_is_refused_naming_the_field(people):
    with pytest.raises(ValidationError) as refused:
        _signal(people["chw"], place="MSOT-BRDG")  # the Ranong volunteer, at Mae Sot
    assert refused.value.message_dict == {"place": ["No place with this code in your places."]}
    assert not Signal.objects.exists()


def test_a_signal_without_text_or_with_an_unknown_source_names_each_field(volunteer):
    with pytest.raises(ValidationError) as refused:
        _signal(volunteer, text="  ", source="rumour mill", condition="plague")
    assert set(refused.value.message_dict) == {"text", "source", "condition"}
    assert refused.value.message_dict["text"] == ["This field is required."]


def test_roles_that_do_not_report_cannot_report_a_signal(people):
    with pytest.raises(PermissionDenied):
        _signal(people["hn_analyst"], place="HN-CR")


def test_triage_verify_and_discard_with_history(volunteer, people):
    officer = people["tak_officer"]
    signal = _verified(officer, _signal(volunteer))
    assert (signal.state, signal.condition) == ("verified", "cholera")
    assert [e.to_state for e in signal.events.all()] == ["new", "triaged", "verified"]
    assert signal.events.last().by == officer
    assert signal.events.last().note == "Called the market"

    other = _signal(volunteer)
    with pytest.raises(ValidationError) as refused:
        outbreaks.move_signal(officer, other, "discarded")
    assert refused.value.message_dict == {"note": ["Say why the signal is discarded."]}
    with pytest.raises(ValidationError) as refused:
        outbreaks.move_signal(officer, other, "verified")
    assert "can go to: Triaged, Discarded" in refused.value.message_dict["state"][0]
    discarded = outbreaks.move_signal(officer, other, "discarded", "A wedding feast, one cook")
    assert discarded.state == "discarded"
    with pytest.raises(ValidationError):
        outbreaks.move_signal(officer, discarded, "triaged")


def test_an_officer_outside_the_place_neither_sees_nor_moves_the_signal(volunteer, world):
    signal = _signal(volunteer)
    far = create_user(username="hn_off", password=None, role="surveillance_officer",
                      places=[world["HN"]])  # fmt: skip
    assert not outbreaks.visible_signals(far).filter(pk=signal.pk).exists()
    with pytest.raises(PermissionDenied):
        outbreaks.move_signal(far, signal, "triaged")


# -- outbreaks ---------------------------------------------------------------------------------


def test_alerts_and_signals_of_one_condition_and_area_group_into_an_outbreak(
    volunteer, people, world
):
    officer = create_user(username="th_officer", password=None, role="surveillance_officer",
                          places=[world["TH"]])  # fmt: skip
    signal = _verified(officer, _signal(volunteer))
    outbreak = outbreaks.open_outbreak(officer, signal=signal)
    # Opened at a site: the area is the site's parent, so its neighbours join.
    assert (outbreak.condition, outbreak.area, outbreak.state) == (
        "cholera", world["MAESOT"], "suspected",
    )  # fmt: skip
    signal.refresh_from_db()
    assert signal.state == SignalState.EVENT

    neighbour = _alert(world["CLINIC"])
    assert neighbour in outbreaks.candidates(officer, outbreak)[0]
    outbreaks.link(officer, outbreak, alert_id=neighbour.pk)
    assert list(outbreak.alerts.all()) == [neighbour]

    elsewhere = _alert(world["RANONG"])
    with pytest.raises(ValidationError) as refused:
        outbreaks.link(officer, outbreak, alert_id=elsewhere.pk)
    assert refused.value.message_dict == {
        "alert": ["Ranong port health corner is outside this outbreak's area, Mae Sot."]
    }
    other_disease = _alert(world["BRIDGE"], condition="measles")
    with pytest.raises(ValidationError) as refused:
        outbreaks.link(officer, outbreak, alert_id=other_disease.pk)
    assert refused.value.message_dict == {
        "alert": ["It is about Measles; this outbreak is about Cholera."]
    }
    unverified = _signal(volunteer)
    with pytest.raises(ValidationError) as refused:
        outbreaks.link(officer, outbreak, signal_id=unverified.pk)
    assert refused.value.message_dict == {"signal": ["Only a verified signal joins an outbreak."]}

    outbreaks.unlink(officer, outbreak, signal_id=signal.pk)
    signal.refresh_from_db()
    assert signal.state == SignalState.VERIFIED
    assert [e.what for e in outbreak.events.all()] == [
        "Suspected",
        f"Signal added: Friendship Bridge, {signal.date.isoformat()}",
        f"Alert added: Mae Sot Migrant Clinic, {neighbour.year}-W{neighbour.week:02d}",
        f"Signal removed: Friendship Bridge, {signal.date.isoformat()}",
    ]


def test_outbreak_states_record_the_day_and_who(people, world):
    officer = people["tak_officer"]
    outbreak = outbreaks.open_outbreak(officer, alert=_alert(world["BRIDGE"]))
    declared = outbreaks.move_outbreak(officer, outbreak, "declared", "Two confirmed by culture")
    assert (declared.state, declared.declared_on, declared.declared_by) == (
        "declared", TODAY, officer,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        outbreaks.move_outbreak(officer, declared, "suspected")
    assert refused.value.message_dict == {
        "state": ["An outbreak that is “Declared” can go to: Over."]
    }
    over = outbreaks.move_outbreak(officer, declared, "over")
    assert (over.over_on, over.over_by) == (TODAY, officer)
    assert [e.to_state for e in over.events.all()] == ["suspected", "", "declared", "over"]


def test_only_officers_in_the_area_handle_an_outbreak(people, world):
    outbreak = outbreaks.open_outbreak(people["tak_officer"], alert=_alert(world["BRIDGE"]))
    with pytest.raises(PermissionDenied):
        outbreaks.move_outbreak(people["clinician"], outbreak, "declared")  # reads, not handles
    far = create_user(username="kh_off", password=None, role="surveillance_officer",
                      places=[world["KH"]])  # fmt: skip
    with pytest.raises(PermissionDenied):
        outbreaks.move_outbreak(far, outbreak, "declared")
    assert not outbreaks.visible_outbreaks(far).exists()
    with pytest.raises(PermissionDenied):
        outbreaks.open_outbreak(far, alert=_alert(world["CLINIC"]))


def _case(clinician, person, site, code, days_ago):
    return care.record_encounter(clinician, person, {
        "site": site, "kind": "consultation",
        "date": (TODAY - dt.timedelta(days=days_ago)).isoformat(),
        "diagnoses": [{"code": code, "primary": True}],
    })  # fmt: skip


def test_the_line_of_cases_shows_no_status_logs_each_person_and_counts_for_others(
    client, people, world, register
):
    officer, clinician = people["tak_officer"], people["clinician"]
    sick, other, far = register(), register(), register()
    _case(clinician, sick, "MSOT-BRDG", "A00.1", 2)
    _case(clinician, other, "MSOT-BRDG", "R10", 2)  # not cholera
    _case(clinician, far, "MSOT-CLIN", "A00.9", 2)  # not one of the outbreak's sites
    outbreak = outbreaks.open_outbreak(officer, alert=_alert(world["BRIDGE"]))

    total, lines = outbreaks.line_of_cases(officer, outbreak, view="test")
    assert total == 1
    assert [line.person for line in lines] == [sick]
    assert list(AccessLog.objects.filter(user=officer).values_list("person", flat=True)) == [
        sick.pk
    ]

    client.force_login(officer)
    page = client.get(f"/surveillance/outbreaks/{outbreak.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert str(sick) in body and str(far) not in body
    assert "REG_LAB" not in body and "Regular labour migrant" not in body
    assert AccessLog.objects.filter(user=officer, person=sick, view="outbreak").count() == 1
    assert "<svg" in body  # the curve and the map (the bridge has coordinates)

    analyst = create_user(username="th_analyst", password=None, role="analyst",
                          places=[world["TH"]])  # fmt: skip
    assert outbreaks.line_of_cases(analyst, outbreak, view="test") == (1, [])
    client.force_login(analyst)
    body = client.get(f"/surveillance/outbreaks/{outbreak.pk}/").content.decode()
    assert "1 case recorded; your role sees counts, not people." in body
    assert str(sick) not in body
    assert not AccessLog.objects.filter(user=analyst).exists()


def test_the_curve_counts_cases_by_week_and_the_map_places_the_sites(people, world, register):
    officer, clinician = people["tak_officer"], people["clinician"]
    for days_ago in (2, 2, 9):
        _case(clinician, register(), "MSOT-BRDG", "A00.0", days_ago)
    outbreak = outbreaks.open_outbreak(officer, alert=_alert(world["BRIDGE"], days_ago=14))
    rows = outbreaks.curve(outbreak)
    by_week = {r["week"]: r["cases"] for r in rows}
    assert sum(by_week.values()) == 3
    y, w = TODAY.isocalendar()[:2]
    assert by_week[f"{y}-W{w:02d}"] >= 1
    assert outbreaks.map_points(outbreak) == [
        {"site": "Friendship Bridge", "latitude": 16.7006, "longitude": 98.5164, "cases": 3}
    ]


# -- pages -------------------------------------------------------------------------------------


def test_the_signal_form_refuses_with_the_shared_error_summary(client, volunteer):
    client.force_login(volunteer)
    assert client.get("/surveillance/signals/new/").status_code == 200
    page = client.post("/surveillance/signals/new/", {"text": "", "source": "community"})
    body = page.content.decode()
    assert page.status_code == 422
    assert "There is a problem" in body and 'href="#text"' in body and 'href="#place"' in body
    sent = client.post("/surveillance/signals/new/", {
        "text": "Fever and rash in the dormitory", "source": "community",
        "place": "MSOT-CLIN", "date": TODAY.isoformat(),
    })  # fmt: skip
    assert sent.status_code == 302
    assert Signal.objects.get().reported_by == volunteer


def test_pages_walk_a_signal_to_a_declared_outbreak(client, volunteer, people, world):
    officer = people["tak_officer"]
    signal = _signal(volunteer)
    alert = _alert(world["CLINIC"])
    client.force_login(officer)
    for step in ("triaged", "verified"):
        response = client.post(f"/surveillance/signals/{signal.pk}/",
                               {"state": step, "condition": "cholera"})  # fmt: skip
        assert response.status_code == 302
    response = client.post(f"/surveillance/signals/{signal.pk}/", {"action": "outbreak"})
    outbreak = Outbreak.objects.get()
    assert response.url == f"/surveillance/outbreaks/{outbreak.pk}/"
    client.post(response.url, {"action": "add", "alert": alert.pk})
    client.post(response.url, {"action": "state", "state": "declared"})
    outbreak.refresh_from_db()
    assert outbreak.state == "declared" and list(outbreak.alerts.all()) == [alert]
    listed = client.get("/surveillance/outbreaks/").content.decode()
    assert "Declared" in listed
    refused = client.post(response.url, {"action": "state", "state": "suspected"})
    assert refused.status_code == 422
    assert "There is a problem" in refused.content.decode()
    assert client.get("/surveillance/signals/?state=bogus").status_code == 400


# -- API ---------------------------------------------------------------------------------------


def test_the_api_reports_verifies_groups_and_declares_with_counts_only(
    api, volunteer, people, world, register
):
    officer = people["tak_officer"]
    sick = register()
    _case(people["clinician"], sick, "MSOT-BRDG", "A00.1", 1)
    body = {"text": "Vomiting at the bridge", "source": "hotline", "place": "MSOT-BRDG",
            "date": TODAY.isoformat(), "condition": "cholera"}  # fmt: skip
    sent = api(volunteer).post("/api/surveillance/signals", body)
    assert sent.status_code == 201, sent.content
    signal_id = sent.json()["id"]
    assert api(volunteer).post(f"/api/surveillance/signals/{signal_id}/transition",
                               {"state": "triaged"}).status_code == 403  # fmt: skip
    refused = api(volunteer).post("/api/surveillance/signals", {**body, "place": "HN-CR"})
    assert refused.status_code == 422 and "place" in refused.content.decode()

    officer_api = api(officer)
    for step in ("triaged", "verified"):
        moved = officer_api.post(f"/api/surveillance/signals/{signal_id}/transition",
                                 {"state": step})  # fmt: skip
        assert moved.status_code == 200, moved.content
    opened = officer_api.post("/api/surveillance/outbreaks", {"signal": signal_id})
    assert opened.status_code == 201, opened.content
    outbreak_id = opened.json()["id"]
    alert = _alert(world["CLINIC"])
    linked = officer_api.post(f"/api/surveillance/outbreaks/{outbreak_id}/links",
                              {"alert": alert.pk})  # fmt: skip
    assert linked.json()["alerts"] == [alert.pk]
    declared = officer_api.post(f"/api/surveillance/outbreaks/{outbreak_id}/transition",
                                {"state": "declared"})  # fmt: skip
    shown = declared.json()
    assert (shown["state"], shown["cases"], shown["signals"]) == ("declared", 1, [signal_id])
    assert str(sick) not in declared.content.decode()
    assert not AccessLog.objects.filter(user=officer).exists()  # no one named, no one read
    far = create_user(username="hn_off2", password=None, role="surveillance_officer",
                      places=[world["HN"]])  # fmt: skip
    assert api(far).get(f"/api/surveillance/outbreaks/{outbreak_id}").status_code == 404


def test_a_signal_from_long_ago_or_the_future_is_refused(volunteer):
    with pytest.raises(ValidationError) as refused:
        _signal(volunteer, date="2016-12-01")  # a mistyped year
    assert refused.value.message_dict == {
        "date": ["A signal is about something recent: at most 90 days ago."]
    }
    with pytest.raises(ValidationError) as refused:
        _signal(volunteer, date=(TODAY + dt.timedelta(days=2)).isoformat())
    assert list(refused.value.message_dict) == ["date"]
    assert not Signal.objects.exists()


def test_an_alert_already_in_an_outbreak_opens_no_second_one(client, people, world):
    officer = people["tak_officer"]
    alert = _alert(world["BRIDGE"])
    first = outbreaks.open_outbreak(officer, alert=alert)
    client.force_login(officer)
    response = client.post(f"/surveillance/alerts/{alert.pk}/outbreak/", follow=True)
    assert response.status_code == 200
    assert f"This alert is already part of outbreak {first.pk}." in response.content.decode()
    assert Outbreak.objects.count() == 1
    outbreaks.move_outbreak(officer, first, "over")
    assert outbreaks.open_outbreak(officer, alert=alert) != first  # a new wave
