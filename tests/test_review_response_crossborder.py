"""A review of risk assessment and response (ADR 0031) and of sharing across borders (ADR
0032) as those who would break them: dates that make a missed 7-1-7 target look met, an
agreement that has ended, malformed numbers, ids sent as JSON numbers, notifications that
would carry an officer's free text by email and SMS, and filters offered that are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mhis.access.services import create_user
from mhis.crossborder import services as crossborder
from mhis.crossborder.models import Share, Twinning
from mhis.notifications.models import Kind, Notification
from mhis.response import services
from mhis.response.models import ResponseAction, Timeliness
from mhis.surveillance import outbreaks
from mhis.surveillance.models import Alert, AlertEvent, OutbreakEvent

TODAY = dt.date.today()
NAMED = "Trace the contacts of Ko Aung Min, dormitory 4"


def _day(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def _alert(site, days_ago=7, state="confirmed", condition="cholera"):
    year, week = (TODAY - dt.timedelta(days=days_ago)).isocalendar()[:2]
    return Alert.objects.create(
        site=site, condition=condition, year=year, week=week, method="threshold", observed=4,
        threshold=1, state=state,
    )  # fmt: skip


@pytest.fixture
def outbreak(people, world):
    return outbreaks.open_outbreak(people["tak_officer"], alert=_alert(world["BRIDGE"]))


@pytest.fixture
def twinning(world):
    return crossborder.twin(None, "TH-63-MSOT", "MWD-HOSP", "MBDS Mae Sot–Myawaddy")


@pytest.fixture
def mm_officer(world):
    return create_user(username="mm_officer", password=None, role="surveillance_officer",
                       places=[world["MM"]])  # fmt: skip


# -- 7-1-7: a missed target never shows as met -----------------------------------------------


def test_an_early_action_done_before_the_notification_is_refused(people, outbreak):
    """Done 200 days ago, before the outbreak was notified 3 days ago: the early response
    would take -197 days and count as met."""
    officer = people["tak_officer"]
    services.record_timeliness(
        officer, outbreak, {"emerged_on": _day(5), "detected_on": _day(4), "notified_on": _day(3)}
    )
    action = services.add_action(
        officer, outbreak, {"title": "Chlorinate", "owner": officer.pk, "due_on": _day(-1),
                            "early": "on"},
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.move_action(officer, action, {"state": "done", "done_on": _day(200)})
    assert refused.value.message_dict == {
        "done_on": [f"An early response action is done after the notification ({_day(3)})."]
    }
    action.refresh_from_db()
    assert action.state == "open"
    services.move_action(officer, action, {"state": "done", "done_on": _day(1)})
    result = services.seven(outbreak)
    assert (result.days["respond"], result.met["respond"]) == (2, True)


def test_an_early_action_is_not_done_before_the_outbreak_began(people, outbreak):
    """No notification date yet: the outbreak's first alert week bounds it (an action done
    before can never be corrected, since a closed action is never reopened)."""
    officer = people["tak_officer"]
    action = services.add_action(
        officer, outbreak, {"title": "Chlorinate", "owner": officer.pk, "due_on": _day(-1),
                            "early": True},
    )  # fmt: skip
    began = outbreaks.period(outbreak)[0]
    with pytest.raises(ValidationError) as refused:
        services.move_action(officer, action, {"state": "done", "done_on": _day(300)})
    assert refused.value.message_dict == {
        "done_on": [f"This date is before the outbreak began ({began.isoformat()})."]
    }
    # An action that is not an early response keeps the wider rule.
    other = services.add_action(
        officer, outbreak, {"title": "Buy soap", "owner": officer.pk, "due_on": _day(-1)}
    )
    assert services.move_action(officer, other, {"state": "done", "done_on": _day(300)}).done_on


def test_717_dates_far_in_the_past_are_refused_naming_the_field(people, outbreak):
    """A typo (0001, 2016 for 2026) would place the outbreak in a quarter of another century
    and give intervals of thousands of days."""
    began = outbreaks.period(outbreak)[0]
    message = f"This date is more than a year before the outbreak began ({began.isoformat()})."
    with pytest.raises(ValidationError) as refused:
        services.record_timeliness(
            people["tak_officer"],
            outbreak,
            {"emerged_on": "0001-01-01", "detected_on": "0001-01-02",
             "notified_on": _day(3), "detect_bottleneck": "other"},
        )  # fmt: skip
    found = refused.value.message_dict
    assert found["emerged_on"] == [message] and found["detected_on"] == [message]
    assert not Timeliness.objects.filter(outbreak=outbreak).exists()
    # Up to a year before is an emergence still.
    services.record_timeliness(
        people["tak_officer"],
        outbreak,
        {"emerged_on": (began - dt.timedelta(days=300)).isoformat(), "detected_on": _day(4),
         "notified_on": _day(3), "detect_bottleneck": "community"},
    )  # fmt: skip


def test_a_due_date_more_than_a_year_ahead_is_refused(people, outbreak):
    """Due in 9999, an action would never be overdue, so never escalated."""
    officer = people["tak_officer"]
    with pytest.raises(ValidationError) as refused:
        services.add_action(
            officer, outbreak, {"title": "Chlorinate", "owner": officer.pk, "due_on": "9999-12-31"}
        )
    assert refused.value.message_dict == {"due_on": ["The due date is more than a year ahead."]}
    assert not ResponseAction.objects.exists()


# -- notifications travel by email and SMS: no officer's free text --------------------------


def test_action_notifications_carry_no_free_text(people, world, outbreak):
    """The title is the officer's text; a notification goes by email and SMS, outside the
    application's access control, so it names the condition, area and day only."""
    officer = people["tak_officer"]
    action = services.add_action(
        officer, outbreak, {"title": NAMED, "owner": people["admin"].pk, "due_on": _day(0)}
    )
    ResponseAction.objects.filter(pk=action.pk).update(due_on=TODAY - dt.timedelta(days=1))
    assert services.escalate_actions() == [action.pk]
    sent = Notification.objects.filter(kind__in=[Kind.ACTION_ASSIGNED, Kind.ACTION_OVERDUE])
    assert {n.kind for n in sent} == {Kind.ACTION_ASSIGNED, Kind.ACTION_OVERDUE}
    for note in sent:
        assert "Aung Min" not in note.subject and "dormitory" not in note.subject, note.subject
        assert "Cholera" in note.subject and "Mae Sot" in note.subject
        assert note.link == f"/surveillance/response/actions/{action.pk}/"


# -- the API takes ids as the numbers it documents ---------------------------------------------


def test_the_api_takes_an_owner_and_an_assessment_as_json_numbers(api, people, outbreak):
    officer = people["tak_officer"]
    made = services.assess(officer, outbreak, {
        "hazard": "h", "exposure": "e", "context": "c", "likelihood": "likely",
        "consequence": "major", "confidence": "low",
    })  # fmt: skip
    url = f"/api/surveillance/outbreaks/{outbreak.pk}/actions"
    body = {"title": "Chlorinate", "due_on": _day(-1), "owner": people["admin"].pk,
            "assessment": made.pk}  # fmt: skip
    answer = api(officer).post(url, body)
    assert answer.status_code == 201, answer.content
    action = ResponseAction.objects.get()
    assert (action.owner, action.assessment) == (people["admin"], made)
    # A wrong type is still refused naming the field, never taken as user 1.
    for wrong in (True, [people["admin"].pk], 1.5):
        answer = api(officer).post(url, {**body, "owner": wrong})
        assert answer.status_code == 422, wrong
        assert {tuple(d["loc"][:2]) for d in answer.json()["detail"]} == {("body", "owner")}
    assert ResponseAction.objects.count() == 1


# -- the 7-1-7 page offers only the places it accepts ------------------------------------------


def test_the_717_page_offers_only_places_it_accepts(client, people, world):
    site_officer = create_user(username="bridge_officer", password=None,
                               role="surveillance_officer", places=[world["BRIDGE"]])  # fmt: skip
    for user in (site_officer, people["tak_officer"]):
        client.force_login(user)
        page = client.get("/surveillance/response/717/")
        offered = [p.code for p in page.context["places"]]
        for code in offered:
            assert client.get("/surveillance/response/717/", {"place": code}).status_code == 200
    assert "TH" not in offered and "TH-63" in offered  # the Tak officer's


def test_the_717_page_refuses_a_nul_in_its_filters_without_a_server_error(client, people):
    """PostgreSQL cannot compare text holding NUL: the place filter raised a server error."""
    client.force_login(people["tak_officer"])
    page = client.get("/surveillance/response/717/", {"place": "TH\x00"})
    assert page.status_code == 400
    assert "Text cannot contain the NUL character." in page.content.decode()
    csv = client.get("/surveillance/response/717/", {"place": "TH\x00", "format": "csv"})
    assert csv.status_code == 400


# -- across borders: an ended agreement exchanges nothing more ------------------------------


def test_an_ended_twinning_takes_no_acknowledgement(
    client, api, people, outbreak, twinning, mm_officer
):
    row = crossborder.share(people["tak_officer"], outbreak, twinning.pk, "Watch the bridge")
    crossborder.set_active(None, twinning, False)
    message = "This twinning has ended; nothing more is exchanged under it."
    with pytest.raises(ValidationError) as refused:
        crossborder.acknowledge(mm_officer, row, "Seen, and here is what we know")
    assert refused.value.message_dict == {"twinning": [message]}
    client.force_login(mm_officer)
    page = client.get(f"/across-borders/shares/{row.pk}/")
    assert page.status_code == 200 and "Watch the bridge" in page.content.decode()  # kept
    assert page.context["can_acknowledge"] is False
    posted = client.post(f"/across-borders/shares/{row.pk}/", {"reply": "late"})
    assert posted.status_code == 422 and message in posted.content.decode()
    answer = api(mm_officer).post(f"/api/crossborder/shares/{row.pk}/acknowledge", {"reply": ""})
    assert answer.status_code == 422
    row.refresh_from_db()
    assert (row.acknowledged_at, row.reply) == (None, "")
    assert not Notification.objects.filter(kind=Kind.SHARE_ACKNOWLEDGED).exists()
    assert not OutbreakEvent.objects.filter(what__startswith="Acknowledged").exists()
    # Resumed, it is acknowledged as before.
    crossborder.set_active(None, Twinning.objects.get(), True)
    row, done = crossborder.acknowledge(mm_officer, Share.objects.get(), "ok")
    assert done and row.acknowledged_by == mm_officer


def test_an_ended_twinning_sends_nothing(client, people, world, twinning):
    alert = _alert(world["BRIDGE"])
    client.force_login(people["tak_officer"])
    url = f"/across-borders/share/alert/{alert.pk}/"
    seen = crossborder.digest(crossborder.preview(people["tak_officer"], alert, twinning.pk))
    crossborder.set_active(None, twinning, False)
    posted = client.post(url, {"action": "send", "twin": twinning.pk, "seen": seen})
    assert posted.status_code == 404
    assert not Share.objects.exists() and not AlertEvent.objects.exists()


def test_a_malformed_twinning_number_is_not_a_server_error(client, people, twinning):
    admin = create_user(username="region_admin", password=None, role="administrator",
                        places=[twinning.place_a.parent, twinning.place_b])  # fmt: skip
    client.force_login(admin)
    for value in ("abc", "1 OR 1=1", "99999999999999999999999", "", "-1"):
        answer = client.post("/across-borders/twinnings/", {"action": "end", "twinning": value})
        assert answer.status_code == 404, value
    twinning.refresh_from_db()
    assert twinning.active
    answer = client.post("/across-borders/twinnings/", {"action": "end", "twinning": twinning.pk})
    assert answer.status_code == 302
    twinning.refresh_from_db()
    assert not twinning.active


# -- double submits ----------------------------------------------------------------------------


def test_a_double_submitted_share_is_sent_once(client, people, world, twinning, mm_officer):
    """Two clicks on Send: the twin's officers get one item to acknowledge, not two."""
    alert = _alert(world["BRIDGE"])
    officer = people["tak_officer"]
    client.force_login(officer)
    url = f"/across-borders/share/alert/{alert.pk}/"
    seen = client.get(url).context["seen"]
    form = {"action": "send", "twin": twinning.pk, "seen": seen, "message": "Watch the bridge"}
    first = client.post(url, form)
    second = client.post(url, form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Share.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.SHARED_WITH_US).count() == 1
    assert AlertEvent.objects.filter(alert=alert).count() == 1
    # Another message is another share.
    assert client.post(url, {**form, "message": "Two more cases"}).status_code == 302
    assert Share.objects.count() == 2


def test_a_double_submitted_action_is_assigned_once(client, people, outbreak):
    officer = people["tak_officer"]
    client.force_login(officer)
    url = f"/surveillance/outbreaks/{outbreak.pk}/actions/"
    form = {"title": "Chlorinate", "owner": officer.pk, "due_on": _day(-2), "early": "on"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302
    assert ResponseAction.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.ACTION_ASSIGNED).count() == 1
    assert outbreak.events.filter(what__startswith="Action assigned").count() == 1
    # Another owner or day is another action.
    client.post(url, {**form, "owner": people["admin"].pk})
    assert ResponseAction.objects.count() == 2


def _at_once(*calls):
    """Run the calls in threads released together (each with its own connection)."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_sends_and_two_acknowledgements_at_once_each_record_one(
    people, world, twinning, mm_officer, vendor
):
    if vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks; SQLite runs one writer at a time anyway")
    alert = _alert(world["BRIDGE"])
    officer = people["tak_officer"]
    send = lambda: crossborder.share(officer, Alert.objects.get(pk=alert.pk), twinning.pk, "m")  # noqa: E731
    results, errors = _at_once(send, send)
    assert not errors and len({r.pk for r in results}) == 1
    assert Share.objects.count() == 1
    row = Share.objects.get()
    ack = lambda: crossborder.acknowledge(mm_officer, Share.objects.get(pk=row.pk), "seen")  # noqa: E731
    results, errors = _at_once(ack, ack)
    assert not errors and sorted(done for _row, done in results) == [False, True]
    assert Notification.objects.filter(kind=Kind.SHARE_ACKNOWLEDGED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_escalation_runs_at_once_escalate_an_action_once(people, world, vendor):
    if vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks; SQLite runs one writer at a time anyway")
    officer = people["tak_officer"]
    found = outbreaks.open_outbreak(officer, alert=_alert(world["BRIDGE"]))
    action = services.add_action(
        officer, found, {"title": "Supplies", "owner": officer.pk, "due_on": _day(0)}
    )
    ResponseAction.objects.filter(pk=action.pk).update(due_on=TODAY - dt.timedelta(days=1))
    results, errors = _at_once(services.escalate_actions, services.escalate_actions)
    assert not errors and sorted(results) == [[], [action.pk]]
    assert Notification.objects.filter(kind=Kind.ACTION_OVERDUE, recipient=officer).count() == 1
    assert OutbreakEvent.objects.filter(what__startswith="Action overdue").count() == 1
