"""Sharing across a border (ADR 0032): what is sent is an aggregate snapshot (the keys are
fixed, no person's name, identifier or status in it, nor a signal's free text), only an
officer of the original's place sends it, the twin's officers read the snapshot and never the
original, acknowledge once, and each side is notified."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mhis.access.services import create_user
from mhis.care import services as care
from mhis.crossborder import services
from mhis.crossborder.models import Share
from mhis.notifications.models import Kind, Notification
from mhis.registry.codes import MigrationStatus
from mhis.registry.models import Identifier, MigrationEpisode, Person, PersonName
from mhis.surveillance import outbreaks
from mhis.surveillance.models import (
    Alert,
    AlertEvent,
    OutbreakEvent,
    ReportCount,
    SignalEvent,
    WeeklyReport,
)

TODAY = dt.date.today()
PERSONAL = "Ko Aung Min from dormitory 4 and his wife"


def _week(days_ago):
    return (TODAY - dt.timedelta(days=days_ago)).isocalendar()[:2]


def _alert(site, days_ago=7, condition="cholera"):
    year, week = _week(days_ago)
    return Alert.objects.create(
        site=site, condition=condition, year=year, week=week, method="farrington",
        observed=6, expected=1.24, threshold=3.61,
    )  # fmt: skip


def _report(site, days_ago, count, condition="cholera"):
    year, week = _week(days_ago)
    report = WeeklyReport.objects.create(site=site, year=year, week=week, source="api",
                                         on_time=True)  # fmt: skip
    if count is not None:
        ReportCount.objects.create(report=report, condition=condition, count=count)
    return report


@pytest.fixture
def twinning(world):
    return services.twin(None, "TH-63-MSOT", "MWD-HOSP", "MBDS Mae Sot–Myawaddy")


@pytest.fixture
def mm_officer(world):
    return create_user(username="mm_officer", password=None, role="surveillance_officer",
                       places=[world["MM"]])  # fmt: skip


@pytest.fixture
def outbreak(people, world, register, twinning):
    """A declared cholera outbreak at the bridge, with cases of named people, a signal whose
    text names someone, and weekly reports (one week unreported)."""
    officer, clinician = people["tak_officer"], people["clinician"]
    for _ in range(3):
        care.record_encounter(clinician, register(registration_site="MSOT-BRDG"), {
            "site": "MSOT-BRDG", "kind": "consultation", "date": (TODAY - dt.timedelta(days=3))
            .isoformat(), "diagnoses": [{"code": "A00.1", "primary": True}],
        })  # fmt: skip
    chw = create_user(username="bridge_chw", password=None, role="chw", places=[world["MAESOT"]])
    signal = outbreaks.report_signal(chw, {
        "text": PERSONAL, "source": "community", "place": "MSOT-BRDG",
        "date": (TODAY - dt.timedelta(days=20)).isoformat(),
    })  # fmt: skip
    signal = outbreaks.move_signal(officer, signal, "triaged")
    signal = outbreaks.move_signal(officer, signal, "verified", "called back", "cholera")
    found = outbreaks.open_outbreak(officer, signal=signal)
    outbreaks.link(officer, found, alert_id=_alert(world["BRIDGE"]).pk)
    found = outbreaks.move_outbreak(officer, found, "declared")
    _report(world["BRIDGE"], 14, 2)
    _report(world["BRIDGE"], 7, 6)
    # the week before last is left unreported: it is sent as null, not as zero
    return found


def _share(officer, obj, twinning, message="Please watch the bridge"):
    return services.share(officer, obj, twinning.pk, message)


def test_an_outbreak_is_sent_as_an_aggregate_snapshot_naming_no_one(
    people, outbreak, twinning, mm_officer
):
    row = _share(people["tak_officer"], outbreak, twinning)
    c = row.content
    assert list(c) == [*services.KEYS["outbreak"], "message"]
    assert (c["condition"], c["place"], c["country"], c["twin"], c["state"]) == (
        "cholera", "Mae Sot", "TH", "Myawaddy Hospital", "declared",
    )  # fmt: skip
    assert (c["alerts"], c["signals"], c["sites"]) == (1, 1, ["Friendship Bridge"])
    assert c["declared_on"] == TODAY.isoformat()
    curve = {w["week"]: w["cases"] for w in c["curve"]}
    y1, w1 = _week(14)
    y2, w2 = _week(7)
    y3, w3 = _week(21)
    assert curve[f"{y1}-W{w1:02d}"] == 2 and curve[f"{y2}-W{w2:02d}"] == 6
    assert curve[f"{y3}-W{w3:02d}"] is None  # not reported: missing, not zero
    assert (row.origin.code, row.to_place.code, row.shared_by) == (
        "TH-63-MSOT", "MWD-HOSP", people["tak_officer"],
    )  # fmt: skip

    sent = json.dumps(c, ensure_ascii=False)
    assert PERSONAL not in sent and "dormitory" not in sent  # the signal's free text
    names = [n for p in PersonName.objects.values_list("text", "latin") for n in p if n]
    names += [p.display_name for p in Person.objects.all()]
    identifiers = [i.value for i in Identifier.objects.all()]
    statuses = {e.status for e in MigrationEpisode.objects.all()}
    assert names and identifiers and statuses
    for value in [*names, *identifiers]:
        assert value not in sent
    for status in statuses:
        assert status not in sent and str(MigrationStatus(status).label) not in sent
    assert "person" not in sent and "encounter" not in sent
    # The curve counts the weekly reports, not the people (three encounters this week).
    assert sum(w["cases"] or 0 for w in c["curve"]) == 8


def test_an_alert_and_a_signal_send_their_counts_never_the_free_text(
    people, world, twinning, outbreak
):
    officer = people["tak_officer"]
    alert = _alert(world["BRIDGE"], days_ago=14, condition="awd")
    row = _share(officer, alert, twinning, "")
    assert list(row.content) == [*services.KEYS["alert"], "message"]
    assert {k: row.content[k] for k in ("site", "observed", "expected", "threshold")} == {
        "site": "Friendship Bridge", "observed": 6, "expected": 1.2, "threshold": 3.6,
    }  # fmt: skip
    signal = outbreak.signals.get()
    row = _share(officer, signal, twinning, "Rumour verified by the nurse")
    assert list(row.content) == [*services.KEYS["signal"], "message"]
    assert row.content["source"] == "community"
    assert row.content["message"] == "Rumour verified by the nurse"
    assert PERSONAL not in json.dumps(row.content, ensure_ascii=False)
    # Each original's history says it was shared.
    assert AlertEvent.objects.filter(alert=alert, note="Shared with Myawaddy Hospital").exists()
    assert SignalEvent.objects.filter(
        signal=signal, note="Shared with Myawaddy Hospital: Rumour verified by the nurse"
    ).exists()


def test_a_small_site_is_not_named(people, world, twinning):
    from mhis.places.services import create_place

    hamlet = create_place(code="MSOT-HAMLET", name="Ban Huai Hamlet", kind="site",
                          parent=world["MAESOT"], site_type="community")  # fmt: skip
    row = _share(people["tak_officer"], _alert(hamlet), twinning)
    assert row.content["site"] is None and row.content["place"] == "Mae Sot"
    assert "Hamlet" not in json.dumps(row.content)


def test_only_an_officer_of_the_original_place_shares_and_only_with_a_twin(
    people, world, outbreak, twinning
):
    far = create_user(username="ranong_off", password=None, role="surveillance_officer",
                      places=[world["RANONG"].parent])  # fmt: skip
    with pytest.raises(PermissionDenied):
        _share(far, outbreak, twinning)
    with pytest.raises(PermissionDenied):
        _share(people["clinician"], outbreak, twinning)  # reads alerts, does not handle them
    from mhis.places.services import create_place

    elsewhere = create_place(code="TSY-POST", name="Tha Song Yang post", kind="site",
                             parent=world["TAK"], site_type="clinic")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        _share(people["tak_officer"], _alert(elsewhere), twinning)
    assert refused.value.message_dict == {
        "twin": ["This place is not twinned with a place across a border."]
    }
    assert not Share.objects.exists()


def test_the_twin_reads_the_snapshot_never_the_original(
    client, people, world, outbreak, twinning, mm_officer
):
    row = _share(people["tak_officer"], outbreak, twinning)
    told = Notification.objects.get(kind=Kind.SHARED_WITH_US)
    assert told.recipient == mm_officer and told.link == f"/across-borders/shares/{row.pk}/"
    assert "Cholera" in told.subject and "Mae Sot" in told.subject
    client.force_login(mm_officer)
    body = client.get("/across-borders/").content.decode()
    assert f"/across-borders/shares/{row.pk}/" in body
    page = client.get(f"/across-borders/shares/{row.pk}/")
    assert page.status_code == 200
    assert "Please watch the bridge" in page.content.decode()
    for url in (
        f"/surveillance/outbreaks/{outbreak.pk}/",
        f"/surveillance/alerts/{outbreak.alerts.get().pk}/",
        f"/surveillance/signals/{outbreak.signals.get().pk}/",
        f"/api/surveillance/outbreaks/{outbreak.pk}",
    ):
        assert client.get(url).status_code == 404, url


def test_a_third_country_sees_nothing_and_a_viewer_cannot_acknowledge(
    client, people, world, outbreak, twinning, mm_officer
):
    row = _share(people["tak_officer"], outbreak, twinning)
    kh = create_user(username="kh_off", password=None, role="surveillance_officer",
                     places=[world["KH"]])  # fmt: skip
    assert not services.shared_with_us(kh).exists() and not services.sent_by_us(kh).exists()
    client.force_login(kh)
    assert client.get(f"/across-borders/shares/{row.pk}/").status_code == 404
    assert "Nothing here." in client.get("/across-borders/").content.decode()
    viewer = create_user(username="mm_viewer", password=None, role="viewer",
                         places=[world["MM"]])  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.acknowledge(viewer, row, "seen")
    client.force_login(viewer)
    assert client.post(f"/across-borders/shares/{row.pk}/", {"reply": "x"}).status_code == 403
    # The sender's side cannot acknowledge what it sent.
    with pytest.raises(PermissionDenied):
        services.acknowledge(people["tak_officer"], row, "")
    row.refresh_from_db()
    assert row.acknowledged_at is None


def test_an_acknowledgement_is_recorded_once_and_the_sender_told(
    client, people, outbreak, twinning, mm_officer
):
    row = _share(people["tak_officer"], outbreak, twinning)
    client.force_login(mm_officer)
    url = f"/across-borders/shares/{row.pk}/"
    first = client.post(url, {"reply": "Cases seen at Myawaddy Hospital too"}, follow=True)
    assert "Acknowledged. The sender is told." in first.content.decode()
    again = client.post(url, {"reply": "double click"}, follow=True)  # a second submit
    assert "Already acknowledged by mm_officer." in again.content.decode()
    row.refresh_from_db()
    assert (row.acknowledged_by, row.reply) == (mm_officer, "Cases seen at Myawaddy Hospital too")
    told = Notification.objects.filter(kind=Kind.SHARE_ACKNOWLEDGED)
    assert [(n.recipient, n.link) for n in told] == [
        (people["tak_officer"], f"/surveillance/outbreaks/{outbreak.pk}/")
    ]
    assert [e.what for e in OutbreakEvent.objects.filter(outbreak=outbreak)][-2:] == [
        "Shared with Myawaddy Hospital",
        "Acknowledged by Myawaddy Hospital",
    ]
    # The sender sees it on the outbreak's page.
    client.force_login(people["tak_officer"])
    body = client.get(f"/surveillance/outbreaks/{outbreak.pk}/").content.decode()
    assert "acknowledged by mm_officer" in body and "Cases seen at Myawaddy Hospital too" in body
    # Lists filter by acknowledgement.
    assert list(services.sent_by_us(people["tak_officer"], "acknowledged")) == [row]
    assert not services.shared_with_us(mm_officer, "unacknowledged").exists()
    with pytest.raises(ValidationError) as refused:
        services.shared_with_us(mm_officer, "read")
    assert refused.value.message_dict == {
        "state": ["Unknown state: read. The states are: unacknowledged, acknowledged."]
    }


def test_sharing_again_after_a_change_keeps_the_history(people, outbreak, twinning):
    first = _share(people["tak_officer"], outbreak, twinning)
    outbreaks.move_outbreak(people["tak_officer"], outbreak, "over", "No case for 4 weeks")
    outbreak.refresh_from_db()
    second = _share(people["tak_officer"], outbreak, twinning, "It is over")
    first.refresh_from_db()
    assert (first.content["state"], second.content["state"]) == ("declared", "over")
    assert list(services.shares_of(outbreak)) == [second, first]


def test_the_confirmation_page_shows_what_is_sent_and_refuses_a_changed_one(
    client, people, outbreak, twinning
):
    client.force_login(people["tak_officer"])
    page = client.get(f"/surveillance/outbreaks/{outbreak.pk}/")
    assert f"/across-borders/share/outbreak/{outbreak.pk}/" in page.content.decode()
    url = f"/across-borders/share/outbreak/{outbreak.pk}/"
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Friendship Bridge" in body and "Myawaddy Hospital" in body and "Declared" in body
    assert PERSONAL not in body
    seen = services.digest(services.preview(people["tak_officer"], outbreak, twinning.pk))
    outbreaks.move_outbreak(people["tak_officer"], outbreak, "over")
    page = client.post(url, {"action": "send", "twin": twinning.pk, "seen": seen, "message": "m"})
    assert page.status_code == 422
    assert "changed since the page was shown" in page.content.decode()
    assert not Share.objects.exists()
    fresh = page.context["seen"]
    page = client.post(url, {"action": "send", "twin": twinning.pk, "seen": fresh, "message": "m"})
    assert page.status_code == 302
    assert Share.objects.get().content["state"] == "over"


def test_the_api_lists_what_was_shared_with_us_and_acknowledges_once(
    api, people, outbreak, twinning, mm_officer
):
    row = _share(people["tak_officer"], outbreak, twinning)
    listed = api(mm_officer).get("/api/crossborder/shared-with-us", state="unacknowledged")
    assert listed.status_code == 200
    assert [(r["id"], r["from_place"], r["content"]["condition"]) for r in listed.json()] == [
        (row.pk, "Mae Sot", "cholera")
    ]
    done = api(mm_officer).post(f"/api/crossborder/shares/{row.pk}/acknowledge", {"reply": "ok"})
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "mm_officer"
    again = api(mm_officer).post(f"/api/crossborder/shares/{row.pk}/acknowledge", {"reply": "2"})
    assert again.json()["reply"] == "ok"
    assert Notification.objects.filter(kind=Kind.SHARE_ACKNOWLEDGED).count() == 1
    kh = create_user(username="kh_api", password=None, role="surveillance_officer",
                     places=[people["viewer"].scope_rows.get().place])  # fmt: skip
    assert api(kh).get("/api/crossborder/shared-with-us").json() == []
    assert api(kh).get(f"/api/crossborder/shares/{row.pk}").status_code == 404
    other = _share(people["tak_officer"], outbreak, twinning, "Still rising")  # a new share
    url = f"/api/crossborder/shares/{other.pk}/acknowledge"
    bad = api(mm_officer).post(url, {"reply": "x" * 2001})
    assert bad.status_code == 422 and "reply" in json.dumps(bad.json())
    other.refresh_from_db()
    assert other.acknowledged_at is None


def test_hostile_addresses_and_input_are_refused_without_a_server_error(
    client, api, people, outbreak, twinning, mm_officer
):
    row = _share(people["tak_officer"], outbreak, twinning)
    client.force_login(people["tak_officer"])
    for url in (
        "/across-borders/shares/99999999999999999999999/",
        f"/across-borders/share/person/{outbreak.pk}/",
        "/across-borders/share/outbreak/99999999999999999999999/",
    ):
        assert client.get(url).status_code == 404, url
    url = f"/across-borders/share/outbreak/{outbreak.pk}/"
    assert client.get(url, {"twin": "nonsense"}).status_code == 200  # the first twin shown
    page = client.post(url, {"action": "send", "twin": "nonsense", "message": "m"})
    assert page.status_code == 422 and "Choose one of the twin places." in page.content.decode()
    page = client.post(url, {"action": "send", "twin": twinning.pk, "message": "x" * 2001})
    assert page.status_code == 422 and "At most 2000 characters." in page.content.decode()
    assert Share.objects.count() == 1
    client.force_login(mm_officer)
    page = client.post(f"/across-borders/shares/{row.pk}/", {"reply": "bad\x00reply"})
    assert page.status_code == 422
    assert client.get("/across-borders/", {"state": "read"}).status_code == 400
    assert api(mm_officer).get("/api/crossborder/shares/99999999999999999999999").status_code in (
        404,
        422,
    )
    row.refresh_from_db()
    assert row.acknowledged_at is None


def test_the_alert_and_signal_pages_offer_sharing_to_officers_only(
    client, people, world, outbreak, twinning
):
    alert, signal = outbreak.alerts.get(), outbreak.signals.get()
    pages = {
        f"/surveillance/alerts/{alert.pk}/": f"/across-borders/share/alert/{alert.pk}/",
        f"/surveillance/signals/{signal.pk}/": f"/across-borders/share/signal/{signal.pk}/",
    }
    client.force_login(people["tak_officer"])
    for page, share in pages.items():
        body = client.get(page).content.decode()
        assert "Across the border" in body and share in body, page
        assert client.get(share).status_code == 200
    client.force_login(people["clinician"])  # reads alerts, does not handle them
    body = client.get(f"/surveillance/alerts/{alert.pk}/").content.decode()
    assert "Myawaddy Hospital" in body and pages[f"/surveillance/alerts/{alert.pk}/"] not in body
    assert client.get(f"/across-borders/share/alert/{alert.pk}/").status_code == 403


def test_the_snapshot_names_the_condition_in_english_whatever_the_senders_language(
    people, outbreak, twinning
):
    from django.utils import translation

    with translation.override("th"):
        row = _share(people["tak_officer"], outbreak, twinning)
        from mhis.surveillance.conditions import BY_CODE

        assert str(BY_CODE["cholera"].name) != "Cholera"  # the page reads it in Thai
    assert (row.content["condition"], row.content["condition_name"]) == ("cholera", "Cholera")


def test_each_side_is_told_in_its_own_language(people, outbreak, twinning, world):
    """The Myawaddy officer reads Spanish here, the sender French; the sender acts in
    English. Each notification names the condition in its reader's language."""
    from django.utils import translation

    reader = create_user(username="mm_es", password=None, role="surveillance_officer",
                         places=[world["MM"]], language="es")  # fmt: skip
    sender = people["tak_officer"]
    sender.language = "fr"
    sender.save(update_fields=["language"])
    with translation.override("en"):
        row = _share(sender, outbreak, twinning)
        services.acknowledge(reader, row, "")
    told = Notification.objects.get(recipient=reader, kind=Kind.SHARED_WITH_US).subject
    assert "Cólera" in told and "Cholera" not in told
    back = Notification.objects.get(recipient=sender, kind=Kind.SHARE_ACKNOWLEDGED).subject
    assert "Choléra" in back
    assert row.content["condition_name"] == "Cholera"  # the snapshot stays as sent
