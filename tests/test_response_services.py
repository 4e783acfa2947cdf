"""Risk assessment and response (ADR 0031): the WHO risk matrix, assessments refused on what is
not verified, actions with owners who handle the area and their escalation once, the 7-1-7
dates checked in order and their intervals computed from them, the table and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from mhis.access.services import create_user
from mhis.notifications.models import Notification
from mhis.response import services
from mhis.response.models import ResponseAction, RiskAssessment
from mhis.surveillance import outbreaks
from mhis.surveillance.models import Alert

TODAY = dt.date.today()
RRA = {
    "hazard": "Acute watery diarrhoea; cholera not excluded",
    "exposure": "About 2,000 porters at the market",
    "context": "Rainy season, shared latrines",
    "likelihood": "likely",
    "consequence": "major",
    "confidence": "moderate",
    "actions": "Chlorinate the water points",
}


def _day(n):
    return (TODAY - dt.timedelta(days=n)).isoformat()


def _alert(site, state="confirmed", condition="cholera"):
    year, week = (TODAY - dt.timedelta(days=7)).isocalendar()[:2]
    return Alert.objects.create(
        site=site, condition=condition, year=year, week=week, method="threshold", observed=4,
        threshold=1, state=state,
    )  # fmt: skip


@pytest.fixture
def outbreak(people, world):
    return outbreaks.open_outbreak(people["tak_officer"], alert=_alert(world["BRIDGE"]))


@pytest.fixture
def kh_officer(world):
    return create_user(
        username="svay_officer", password=None, role="surveillance_officer", places=[world["KH"]]
    )


# -- the matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "consequence", "level"),
    [
        ("almost_certain", "minimal", "moderate"),
        ("almost_certain", "severe", "very_high"),
        ("highly_likely", "minor", "high"),
        ("likely", "minor", "moderate"),
        ("likely", "major", "high"),
        ("unlikely", "minimal", "low"),
        ("unlikely", "major", "high"),
        ("very_unlikely", "minor", "low"),
        ("very_unlikely", "moderate", "moderate"),
        ("very_unlikely", "severe", "high"),
    ],
)
def test_the_matrix_gives_whos_levels(likelihood, consequence, level):
    assert services.risk_level(likelihood, consequence) == level


def test_the_matrix_never_falls_as_likelihood_or_consequence_rises():
    order = ["low", "moderate", "high", "very_high"]
    rows = [services.MATRIX[code] for code in reversed(services.Likelihood.values)]
    for row in rows:
        assert [order.index(x) for x in row] == sorted(order.index(x) for x in row)
    for col in range(5):
        column = [order.index(row[col]) for row in rows]
        assert column == sorted(column)


# -- assessments ---------------------------------------------------------------------------------


def test_an_assessment_takes_the_matrix_level_and_a_reassessment_supersedes_it(people, outbreak):
    officer = people["tak_officer"]
    first = services.assess(officer, outbreak, RRA)
    assert (first.matrix_level, first.level) == ("high", "high")
    second = services.assess(
        officer, outbreak, {**RRA, "level": "very_high", "justification": "Cholera confirmed"}
    )
    assert (second.matrix_level, second.level) == ("high", "very_high")
    assert list(services.assessments(officer, outbreak)) == [second, first]
    first.refresh_from_db()
    assert first.level == "high"  # never changed in place
    assert "Risk assessed" in outbreak.events.order_by("-pk").first().what


def test_departing_from_the_matrix_needs_a_justification_and_bad_input_names_each_field(
    people, outbreak
):
    with pytest.raises(ValidationError) as refused:
        services.assess(people["tak_officer"], outbreak, {**RRA, "level": "low"})
    assert refused.value.message_dict == {
        "justification": ["The matrix gives “High risk”; say why the overall risk is “Low risk”."]
    }
    with pytest.raises(ValidationError) as refused:
        services.assess(
            people["tak_officer"],
            outbreak,
            {**RRA, "hazard": " ", "likelihood": "maybe", "confidence": "", "patient": "x"},
        )
    found = refused.value.message_dict
    assert set(found) == {"hazard", "likelihood", "confidence", "patient"}
    assert found["hazard"] == ["This field is required."]
    assert found["patient"] == ["Unknown field."]
    assert not RiskAssessment.objects.exists()


def test_an_alert_or_signal_not_verified_is_refused_naming_why(people, world, volunteer_signal):
    officer = people["tak_officer"]
    with pytest.raises(ValidationError) as refused:
        services.assess(officer, _alert(world["CLINIC"], state="verifying"), RRA)
    assert refused.value.message_dict["subject"] == [
        "Only a verified alert is assessed: this alert is “Under verification”; confirm it first."
    ]
    with pytest.raises(ValidationError) as refused:
        services.assess(officer, volunteer_signal, RRA)
    assert "this signal is “New”; verify it first" in refused.value.message_dict["subject"][0]
    made = services.assess(officer, _alert(world["BRIDGE"], condition="measles"), RRA)
    assert made.alert is not None and made.outbreak is None
    signal = outbreaks.move_signal(officer, volunteer_signal, "triaged")
    signal = outbreaks.move_signal(officer, signal, "verified", "", "cholera")
    assert services.assess(officer, signal, RRA).signal == signal


@pytest.fixture
def volunteer_signal(world):
    chw = create_user(username="bridge_chw", password=None, role="chw", places=[world["MAESOT"]])
    return outbreaks.report_signal(
        chw,
        {"text": "Watery diarrhoea at the market", "source": "community", "place": "MSOT-BRDG",
         "date": _day(2)},
    )  # fmt: skip


@pytest.mark.parametrize("who", ["kh_officer", "viewer", "clinician", "hn_analyst"])
def test_only_officers_of_the_place_assess_or_act(people, outbreak, kh_officer, who):
    user = kh_officer if who == "kh_officer" else people[who]
    with pytest.raises(PermissionDenied):
        services.assess(user, outbreak, RRA)
    with pytest.raises(PermissionDenied):
        services.add_action(
            user, outbreak, {"title": "x", "owner": people["tak_officer"].pk, "due_on": _day(-2)}
        )
    with pytest.raises(PermissionDenied):
        services.record_timeliness(user, outbreak, {"emerged_on": _day(5)})
    assert not RiskAssessment.objects.exists() and not ResponseAction.objects.exists()


# -- actions -------------------------------------------------------------------------------------


def test_an_action_owner_must_handle_the_area_and_is_notified(people, outbreak, kh_officer):
    officer = people["tak_officer"]
    for owner in (kh_officer, people["clinician"]):
        with pytest.raises(ValidationError) as refused:
            services.add_action(
                officer, outbreak, {"title": "Chlorinate", "owner": owner.pk, "due_on": _day(-3)}
            )
        assert refused.value.message_dict == {
            "owner": ["Choose an owner who handles alerts in this outbreak's area."]
        }
    with pytest.raises(ValidationError) as refused:
        services.add_action(
            officer, outbreak, {"title": "", "owner": officer.pk, "due_on": _day(1)}
        )
    assert refused.value.message_dict == {
        "title": ["This field is required."],
        "due_on": ["The due date is in the past."],
    }
    action = services.add_action(
        officer, outbreak, {"title": "Chlorinate", "owner": people["admin"].pk, "due_on": _day(-3)}
    )
    note = Notification.objects.get(recipient=people["admin"])
    assert (note.kind, note.link) == (
        "action_assigned",
        f"/surveillance/response/actions/{action.pk}/",
    )
    # Condition, area and due day; the title (an officer's free text) only behind the link.
    assert "Cholera" in note.subject and "Mae Sot" in note.subject
    assert "Chlorinate" not in note.subject


def test_a_cancelled_action_needs_a_reason_and_a_closed_one_stays_closed(people, outbreak):
    officer = people["tak_officer"]
    action = services.add_action(
        officer, outbreak, {"title": "Chlorinate", "owner": officer.pk, "due_on": _day(-3)}
    )
    with pytest.raises(ValidationError) as refused:
        services.move_action(officer, action, {"state": "cancelled"})
    assert refused.value.message_dict == {"reason": ["Say why the action is cancelled."]}
    done = services.move_action(officer, action, {"state": "done"})
    assert (done.state, done.done_on) == ("done", TODAY)
    with pytest.raises(ValidationError) as refused:
        services.move_action(officer, done, {"state": "cancelled", "reason": "x"})
    assert refused.value.message_dict == {
        "state": ["This action is “Done” already; add a new one instead."]
    }


def test_an_overdue_action_escalates_once_to_its_owner_and_the_officers_above(people, outbreak):
    officer = people["tak_officer"]
    action = services.add_action(
        officer, outbreak, {"title": "Supplies", "owner": officer.pk, "due_on": _day(0)}
    )
    assert services.escalate_actions() == []  # due today: not late yet
    ResponseAction.objects.filter(pk=action.pk).update(due_on=TODAY - dt.timedelta(days=1))
    Notification.objects.all().delete()
    assert services.escalate_actions() == [action.pk]
    assert services.escalate_actions() == []
    told = sorted(n.recipient.username for n in Notification.objects.filter(kind="action_overdue"))
    assert told == ["tak_officer", "th_admin"]  # the owner, and the officers of Tak above
    assert (
        outbreak.events.filter(what__startswith="Action overdue, escalated: Supplies").count() == 1
    )


def test_the_hourly_escalation_job_escalates_actions_too(people, outbreak):
    from mhis.surveillance import tasks

    action = services.add_action(
        people["tak_officer"], outbreak,
        {"title": "Supplies", "owner": people["tak_officer"].pk, "due_on": _day(0)},
    )  # fmt: skip
    ResponseAction.objects.filter(pk=action.pk).update(due_on=TODAY - dt.timedelta(days=2))
    tasks.escalate.call()
    action.refresh_from_db()
    assert action.escalated_at is not None


# -- 7-1-7 ---------------------------------------------------------------------------------------


def test_717_dates_out_of_order_or_in_the_future_name_the_field(people, outbreak):
    officer = people["tak_officer"]
    with pytest.raises(ValidationError) as refused:
        services.record_timeliness(
            officer,
            outbreak,
            {"emerged_on": _day(5), "detected_on": _day(8), "notified_on": _day(-1)},
        )
    found = refused.value.message_dict
    assert found["detected_on"] == [f"Detection ({_day(8)}) is before Emergence ({_day(5)})."]
    assert found["notified_on"] == ["This date is in the future."]


def test_a_missed_target_needs_its_bottleneck(people, outbreak):
    officer = people["tak_officer"]
    dates = {"emerged_on": _day(20), "detected_on": _day(10), "notified_on": _day(9)}
    with pytest.raises(ValidationError) as refused:
        services.record_timeliness(officer, outbreak, dates)
    assert refused.value.message_dict == {
        "detect_bottleneck": ["Detection took 10 days, the target is 7: name the bottleneck."]
    }
    services.record_timeliness(
        officer, outbreak, {**dates, "detect_bottleneck": "laboratory", "detect_note": "Culture"}
    )
    result = services.seven(outbreak)
    assert result.days == {"detect": 10, "notify": 1, "respond": None}
    assert result.met == {"detect": False, "notify": True, "respond": None}
    assert result.bottlenecks["detect"] == "Laboratory confirmation"


def test_the_early_response_date_comes_from_the_early_actions_once_all_are_done(people, outbreak):
    officer = people["tak_officer"]
    services.record_timeliness(
        officer, outbreak,
        {"emerged_on": _day(12), "detected_on": _day(10), "notified_on": _day(10),
         "responded_on": _day(1), "respond_bottleneck": "resources"},
    )  # fmt: skip
    assert services.seven(outbreak).days["respond"] == 9  # recorded
    add = {"owner": officer.pk, "due_on": _day(-1), "early": "on"}
    one = services.add_action(officer, outbreak, {**add, "title": "Chlorinate"})
    two = services.add_action(officer, outbreak, {**add, "title": "Case finding"})
    services.move_action(officer, one, {"state": "done", "done_on": _day(7)})
    assert services.seven(outbreak).derived is False  # one still open
    services.move_action(officer, two, {"state": "done", "done_on": _day(5)})
    result = services.seven(outbreak)
    assert (result.derived, result.days["respond"], result.met["respond"]) == (True, 5, True)


@override_settings(MHIS_717_NOTIFY_DAYS=3)
def test_targets_are_settings(people, outbreak):
    services.record_timeliness(
        people["tak_officer"], outbreak,
        {"emerged_on": _day(9), "detected_on": _day(8), "notified_on": _day(6)},
    )  # fmt: skip
    assert services.seven(outbreak).met["notify"] is True  # 2 days, target 3


def test_the_table_groups_by_place_and_quarter_and_counts_from_the_dates(
    people, world, outbreak, kh_officer
):
    officer = people["tak_officer"]
    services.record_timeliness(
        officer, outbreak,
        {"emerged_on": _day(12), "detected_on": _day(4), "notified_on": _day(2),
         "detect_bottleneck": "clinician", "notify_bottleneck": "reporting",
         "notify_note": "A weekend"},
    )  # fmt: skip
    ranong = outbreaks.open_outbreak(people["admin"], alert=_alert(world["RANONG"]))
    services.record_timeliness(
        people["admin"], ranong,
        {"emerged_on": _day(6), "detected_on": _day(4), "notified_on": _day(4)},
    )  # fmt: skip
    groups, undated, _chosen = services.performance(officer, {"level": "area"})
    assert [(g.place, len(g.lines)) for g in groups] == [("Tak", 1)]  # Ranong is not theirs
    line = groups[0].lines[0]
    assert line.quarter == services.quarter_of(TODAY - dt.timedelta(days=4))
    assert line.seven.days == {"detect": 8, "notify": 2, "respond": None}
    assert line.seven.missed == ["detect", "notify"]
    groups, undated, _chosen = services.performance(people["admin"], {"level": "country"})
    assert [(g.place, len(g.lines)) for g in groups] == [("Thailand", 2)]
    assert groups[0].median["detect"] == 5 and groups[0].met["detect"] == 1
    assert undated == 0
    assert services.performance(kh_officer, {})[0] == []
    with pytest.raises(ValidationError) as refused:
        services.performance(officer, {"level": "planet", "quarter": "2026-Q5", "place": "KH"})
    assert set(refused.value.message_dict) == {"level", "quarter", "place"}


def test_the_csv_holds_places_dates_and_intervals_and_no_person(people, world, outbreak):
    officer = people["tak_officer"]
    services.add_action(
        officer, outbreak, {"title": "Chlorinate", "owner": officer.pk, "due_on": _day(-1)}
    )
    services.record_timeliness(
        officer, outbreak,
        {"emerged_on": _day(9), "detected_on": _day(4), "notified_on": _day(3)},
    )  # fmt: skip
    body = services.performance_csv(services.performance(officer, {})[0]).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    assert (rows[0]["place"], rows[0]["detect_days"], rows[0]["notify_days"]) == (
        "Thailand",
        "5",
        "1",
    )
    assert rows[0]["detect_met"] == "yes" and rows[0]["respond_days"] == ""
    assert "tak_officer" not in body and "owner" not in body


def test_a_place_name_that_could_run_as_a_formula_is_neutralised_in_the_csv(
    people, world, outbreak
):
    world["TH"].name = '=HYPERLINK("http://evil.example","x")'
    world["TH"].save()
    services.record_timeliness(
        people["tak_officer"], outbreak,
        {"emerged_on": _day(9), "detected_on": _day(4), "notified_on": _day(3)},
    )  # fmt: skip
    body = services.performance_csv(services.performance(people["tak_officer"], {})[0]).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["place"].startswith("'=HYPERLINK")


def test_an_outbreak_that_is_over_takes_no_new_assessment_or_action(people, outbreak):
    officer = people["tak_officer"]
    over = outbreaks.move_outbreak(officer, outbreak, "over", "No case for 4 weeks")
    with pytest.raises(ValidationError) as refused:
        services.assess(officer, over, RRA)
    assert refused.value.message_dict == {
        "subject": ["This outbreak is over; it is not assessed any more."]
    }
    with pytest.raises(ValidationError) as refused:
        services.add_action(officer, over, {"title": "x", "due_on": _day(-1)})
    assert refused.value.message_dict == {
        "title": ["This outbreak is over; it takes no new action."]
    }
    # Its 7-1-7 dates can still be recorded (an after-action review).
    services.record_timeliness(officer, over, {"emerged_on": _day(9), "detected_on": _day(5)})


def test_the_owner_reads_the_assignment_in_their_own_language(people, world, outbreak):
    from django.utils import translation

    spanish = create_user(
        username="oficial", password=None, role="surveillance_officer", places=[world["TAK"]]
    )
    spanish.language = "es"
    spanish.save()
    with translation.override("fr"):  # whoever assigns reads French
        services.add_action(
            people["tak_officer"], outbreak,
            {"title": "Chlorinate", "owner": spanish.pk, "due_on": _day(-1)},
        )  # fmt: skip
    subject = Notification.objects.get(recipient=spanish).subject
    assert "Cólera" in subject and "Choléra" not in subject


def test_the_table_reads_a_fixed_number_of_queries_however_many_outbreaks(
    people, world, django_assert_max_num_queries
):
    officer = people["admin"]
    pairs = [("BRIDGE", "cholera"), ("CLINIC", "measles"), ("RANONG", "cholera"),
             ("CLINIC", "dengue")]  # fmt: skip
    for site, condition in pairs:
        found = outbreaks.open_outbreak(officer, alert=_alert(world[site], condition=condition))
        services.add_action(officer, found, {"title": "x", "due_on": _day(-1), "early": "on"})
        services.record_timeliness(
            officer, found, {"emerged_on": _day(9), "detected_on": _day(4), "notified_on": _day(3)}
        )
    with django_assert_max_num_queries(12):
        groups, _undated, _chosen = services.performance(officer, {"level": "area"})
    assert sum(len(g.lines) for g in groups) == 4
