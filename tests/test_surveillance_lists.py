"""The lists of signals and outbreaks, and the maps of all three lists (docs/decisions/0033):
filtered by place, condition, state, owner and week or dates, sorted, paged by 50, whole in
the CSV (aggregate fields only) and counted by place on a map; unknown filter values refused
naming the field; each user sees their own places' items only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from mhis.access.services import create_user
from mhis.surveillance import lists
from mhis.surveillance.models import Alert, Outbreak, Signal

DAY = dt.date(2026, 11, 2)  # a Monday: ISO week 2026-W45


@pytest.fixture
def officers(world, people):
    return {
        "maesot": create_user(username="maesot_officer", password=None,
                              role="surveillance_officer", places=[world["MAESOT"]]),
        "ranong": create_user(username="ranong_officer", password=None,
                              role="surveillance_officer", places=[world["RANONG"]]),
        "tak": people["tak_officer"],
    }  # fmt: skip


def _signal(place, day, by=None, condition="awd", state="new", source="community"):
    return Signal.objects.create(
        text="Vomiting at the dormitory of Ma Aye, room 4",  # free text may name someone
        source=source, place=place, date=day, condition=condition, state=state, reported_by=by,
    )  # fmt: skip


@pytest.fixture
def signals(world, officers, people):
    """55 signals at the clinic (one a day back from DAY, awd and measles in turn), 3 at the
    bridge reported by the Mae Sot officer (one verified dengue), 1 at Ranong."""
    rows = [
        _signal(world["CLINIC"], DAY - dt.timedelta(days=n), people["clinician"],
                "awd" if n % 2 else "measles")
        for n in range(55)
    ]  # fmt: skip
    bridge = [_signal(world["BRIDGE"], DAY, officers["maesot"]) for _ in range(2)]
    bridge.append(_signal(world["BRIDGE"], DAY, officers["maesot"], "dengue", "verified"))
    far = _signal(world["RANONG"], DAY, officers["ranong"])
    return rows, bridge, far


def _ids(html: str, kind: str) -> list[int]:
    return [int(n) for n in re.findall(rf'href="/surveillance/{kind}/(\d+)/"', html)]


# A row of the map's table: place, count (and whether it is drawn); cells carry card labels.
CELLS = r"<tr><td[^>]*>([^<]+)</td><td[^>]*>(\d+)</td>"
CELLS3 = CELLS + r"<td[^>]*>([^<]+)</td></tr>"


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


# Signals ---------------------------------------------------------------------------------


def test_the_signal_list_pages_by_50_and_filters_by_place_condition_state_and_reporter(
    client, officers, signals
):
    _clinic, bridge, far = signals
    client.force_login(officers["maesot"])
    first = client.get("/surveillance/signals/").content.decode()
    assert "Page 1 of 2" in first and len(_ids(first, "signals")) == 50
    second = client.get("/surveillance/signals/", {"page": 2}).content.decode()
    assert len(_ids(second, "signals")) == 58 - 50
    assert far.pk not in _ids(first + second, "signals")  # Ranong is not Mae Sot's
    at_bridge = client.get("/surveillance/signals/", {"place": "MSOT-BRDG"}).content.decode()
    assert sorted(_ids(at_bridge, "signals")) == sorted(s.pk for s in bridge)
    dengue = client.get("/surveillance/signals/", {"condition": "dengue"}).content.decode()
    assert _ids(dengue, "signals") == [bridge[2].pk]
    verified = client.get("/surveillance/signals/", {"state": "verified"}).content.decode()
    assert _ids(verified, "signals") == [bridge[2].pk]
    mine = client.get("/surveillance/signals/", {"reported_by": "me"}).content.decode()
    assert sorted(_ids(mine, "signals")) == sorted(s.pk for s in bridge)
    named = client.get("/surveillance/signals/", {"reported_by": "mae_sot_clinician"})
    assert len(_ids(named.content.decode(), "signals")) == 50  # the clinic's 55, paged


def test_the_signal_list_filters_by_week_and_dates_and_sorts(client, officers, signals):
    client.force_login(officers["maesot"])
    # 2026-W45 is DAY only (a Monday): the clinic's one and the bridge's three.
    week = _csv(client.get("/surveillance/signals/", {"week": "2026-W45", "format": "csv"}))
    assert {r[0] for r in week[1:]} == {"2026-11-02"} and len(week) == 1 + 4
    # The week before: seven days at the clinic.
    before = _csv(client.get("/surveillance/signals/", {"week": "2026-W44", "format": "csv"}))
    assert len(before) == 1 + 7 and {r[1] for r in before[1:]} == {"MSOT-CLIN"}
    span = _csv(client.get("/surveillance/signals/",
                           {"from": "2026-10-20", "to": "2026-10-29", "format": "csv"}))  # fmt: skip
    assert sorted({r[0] for r in span[1:]}) == [f"2026-10-{d}" for d in range(20, 30)]
    oldest = _csv(client.get("/surveillance/signals/", {"sort": "date", "format": "csv"}))
    dates = [r[0] for r in oldest[1:]]
    assert dates == sorted(dates) and len(dates) == 58
    newest = _csv(client.get("/surveillance/signals/", {"format": "csv"}))
    assert [r[0] for r in newest[1:]] == sorted(dates, reverse=True)
    by_place = _csv(client.get("/surveillance/signals/", {"sort": "place", "format": "csv"}))
    assert [r[2] for r in by_place[1:4]] == ["Friendship Bridge"] * 3


def test_the_signal_csv_holds_aggregate_fields_never_the_free_text(client, officers, signals):
    client.force_login(officers["maesot"])
    rows = _csv(client.get("/surveillance/signals/", {"place": "MSOT-BRDG", "format": "csv"}))
    assert rows[0] == ["date", "place_code", "place", "source", "condition", "state",
                       "reported_by", "reported_at"]  # fmt: skip
    assert [r[:7] for r in rows[1:]] == [
        ["2026-11-02", "MSOT-BRDG", "Friendship Bridge", "community", "awd", "new", "maesot_officer"],
        ["2026-11-02", "MSOT-BRDG", "Friendship Bridge", "community", "awd", "new", "maesot_officer"],
        ["2026-11-02", "MSOT-BRDG", "Friendship Bridge", "community", "dengue", "verified",
         "maesot_officer"],
    ]  # fmt: skip
    body = client.get("/surveillance/signals/", {"format": "csv"}).content.decode()
    assert "Ma Aye" not in body and "dormitory" not in body
    assert "RNG-PORT" not in body


# Outbreaks -------------------------------------------------------------------------------


@pytest.fixture
def outbreaks(world, officers, people):
    """Outbreaks opened on successive days: 52 awd at Mae Sot (by the Mae Sot officer), one
    declared measles at Mae Sot (by Tak's officer), one at Ranong."""
    made = []
    for _n in range(52):
        made.append(Outbreak.objects.create(condition="awd", area=world["MAESOT"],
                                            created_by=officers["maesot"]))  # fmt: skip
    measles = Outbreak.objects.create(condition="measles", area=world["MAESOT"], state="declared",
                                      declared_on=DAY, created_by=people["tak_officer"])  # fmt: skip
    far = Outbreak.objects.create(condition="awd", area=world["RANONG"],
                                  created_by=officers["ranong"])  # fmt: skip
    # Opened one a day, measles on DAY, the others before it.
    for n, o in enumerate(made):
        Outbreak.objects.filter(pk=o.pk).update(
            created_at=dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=n)
        )
    Outbreak.objects.filter(pk=measles.pk).update(
        created_at=dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
    )
    alert = Alert.objects.create(site=world["BRIDGE"], condition="measles", year=2026, week=44,
                                 method="threshold", observed=1, threshold=0)  # fmt: skip
    measles.alerts.add(alert)
    return made, measles, far


def test_the_outbreak_list_filters_sorts_pages_and_downloads(client, officers, outbreaks):
    _made, measles, far = outbreaks
    client.force_login(officers["maesot"])
    first = client.get("/surveillance/outbreaks/").content.decode()
    assert "Page 1 of 2" in first and _ids(first, "outbreaks")[0] == measles.pk  # newest
    second = client.get("/surveillance/outbreaks/", {"page": 2}).content.decode()
    assert len(_ids(first, "outbreaks")) + len(_ids(second, "outbreaks")) == 53
    assert far.pk not in _ids(first + second, "outbreaks")
    declared = client.get("/surveillance/outbreaks/", {"state": "declared"}).content.decode()
    assert _ids(declared, "outbreaks") == [measles.pk]
    tak = client.get("/surveillance/outbreaks/", {"opened_by": "tak_officer"}).content.decode()
    assert _ids(tak, "outbreaks") == [measles.pk]
    week = client.get("/surveillance/outbreaks/", {"week": "2026-W45"}).content.decode()
    assert _ids(week, "outbreaks") == [measles.pk]
    september = _csv(client.get("/surveillance/outbreaks/",
                                {"from": "2026-09-01", "to": "2026-09-30", "format": "csv"}))  # fmt: skip
    assert len(september) == 1 + 30 and {r[1] for r in september[1:]} == {"awd"}
    oldest = _csv(client.get("/surveillance/outbreaks/", {"sort": "opened", "format": "csv"}))
    assert oldest[0] == ["opened", "condition", "area_code", "area", "state", "declared_on",
                         "over_on", "alerts", "signals", "opened_by"]  # fmt: skip
    assert oldest[1][0] == "2026-09-01" and oldest[-1][:5] == [
        "2026-11-02", "measles", "TH-63-MSOT", "Mae Sot", "declared"]  # fmt: skip
    assert oldest[-1][5:] == ["2026-11-02", "", "1", "0", "tak_officer"]
    by_declared = _csv(
        client.get("/surveillance/outbreaks/", {"sort": "declared", "format": "csv"})
    )
    assert by_declared[1][1] == "measles"  # the one declared first, the undeclared after


@pytest.mark.parametrize(
    ("url", "query", "field", "message"),
    [
        ("signals", {"state": "lost"}, "state", "Unknown state: lost."),
        ("signals", {"condition": "plague"}, "condition", "Unknown condition: plague."),
        ("signals", {"week": "2026-W99"}, "week", "Enter an ISO week such as 2026-W07."),
        ("signals", {"from": "yesterday"}, "from", "Enter a date such as 2026-02-16."),
        ("signals", {"from": "2026-11-02", "to": "2026-11-01"}, "to", "The end date is before"),
        ("signals", {"sort": "name"}, "sort", "Unknown sort: name. Sort by: date, place"),
        ("signals", {"place": "RNG-PORT"}, "place", "No place RNG-PORT in your places."),
        ("signals", {"reported_by": "ghost"}, "reported_by", "No user ghost: give a user name"),
        ("outbreaks", {"state": "declared", "condition": "x"}, "condition", "Unknown condition"),
        ("outbreaks", {"state": "active"}, "state", "Unknown state: active."),
        ("outbreaks", {"opened_by": "ghost"}, "opened_by", "No user ghost"),
        ("outbreaks", {"sort": "-cases"}, "sort", "Unknown sort: -cases."),
        ("alerts", {"from": "2026-13-01"}, "from", "Enter a date such as 2026-02-16."),
        # Refused before the database sees it (PostgreSQL cannot hold NUL in a text).
        ("signals", {"place": "MSOT\x00"}, "place", "place: text cannot contain the NUL"),
        ("outbreaks", {"opened_by": "a\x00"}, "opened_by", "opened_by: text cannot contain"),
        ("alerts", {"owner": "\x00"}, "owner", "owner: text cannot contain the NUL"),
    ],
)
def test_an_unknown_filter_value_is_refused_naming_its_field(
    client, officers, signals, outbreaks, url, query, field, message
):
    client.force_login(officers["maesot"])
    for extra in ({}, {"format": "csv"}, {"view": "map"}):
        page = client.get(f"/surveillance/{url}/", {**query, **extra})
        assert page.status_code == 400
        html = page.content.decode()
        assert message in html and f'href="#{field}"' in html


def test_a_bad_state_is_named_with_the_other_refused_fields(client, officers, signals):
    client.force_login(officers["maesot"])
    html = client.get("/surveillance/signals/", {"state": "lost", "sort": "x"}).content.decode()
    assert "Unknown state: lost." in html and "Unknown sort: x." in html


@pytest.mark.parametrize("url", ["signals", "outbreaks"])
def test_roles_that_do_not_read_alerts_are_refused_the_lists(client, people, url):
    for who in ("viewer", "chw"):
        client.force_login(people[who])
        for extra in ({}, {"format": "csv"}, {"view": "map"}):
            assert client.get(f"/surveillance/{url}/", extra).status_code == 403


# Maps ------------------------------------------------------------------------------------


def test_the_signal_map_counts_the_filtered_signals_by_place_in_the_user_s_places(
    client, officers, signals
):
    client.force_login(officers["maesot"])
    page = client.get("/surveillance/signals/", {"view": "map"})
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'role="img"' in html
    assert "<title>Signals</title>" in html
    table = re.findall(CELLS3, html)
    assert table == [("Friendship Bridge", "3", "yes"), ("Mae Sot Migrant Clinic", "55",
                                                          "no coordinates")]  # fmt: skip
    assert "Ranong" not in html.split("<h2>Map</h2>")[1]
    # The same filters as the list: the bridge only has dengue.
    dengue = client.get("/surveillance/signals/", {"view": "map", "condition": "dengue"})
    rows = re.findall(CELLS, dengue.content.decode())
    assert rows == [("Friendship Bridge", "1")]
    # Nothing with coordinates: no drawing, the table only.
    clinic = client.get("/surveillance/signals/", {"view": "map", "place": "MSOT-CLIN"})
    assert "<svg" not in clinic.content.decode().split("<main")[1]
    assert "None of these places has coordinates." in clinic.content.decode()


def test_an_area_is_drawn_at_the_middle_of_its_sites(world, officers, outbreaks):
    _made, _measles, far = outbreaks
    rows = lists.filtered_outbreaks(officers["tak"], {})
    points, table = lists.map_points(lists.OUTBREAKS, rows)
    # Mae Sot has no coordinates of its own; of its sites only the bridge has some.
    assert points == [{"site": "Mae Sot", "latitude": 16.7006, "longitude": 98.5164,
                       "count": 53}]  # fmt: skip
    assert [(r["place"].code, r["count"], r["located"]) for r in table] == [
        ("TH-63-MSOT", 53, True)]  # fmt: skip
    # A place without coordinates, nor sites with any, is counted in the table only.
    points, table = lists.map_points(
        lists.OUTBREAKS, lists.filtered_outbreaks(officers["ranong"], {})
    )
    assert points == [] and [(r["place"], r["count"], r["located"]) for r in table] == [
        (far.area, 1, False)]  # fmt: skip


def test_the_alert_and_outbreak_maps_respect_places_and_filters(client, world, officers, outbreaks):
    for week in (40, 41):
        Alert.objects.create(site=world["RANONG"], condition="awd", year=2026, week=week,
                             method="threshold", observed=2, threshold=0)  # fmt: skip
    client.force_login(officers["maesot"])
    alerts = client.get("/surveillance/alerts/", {"view": "map", "all": "1"}).content.decode()
    assert re.findall(CELLS, alerts) == [("Friendship Bridge", "1")]
    client.force_login(officers["ranong"])
    alerts = client.get("/surveillance/alerts/", {"view": "map"}).content.decode()
    assert re.findall(CELLS, alerts) == [
        ("Ranong port health corner", "2")]  # fmt: skip
    outbreak_map = client.get("/surveillance/outbreaks/", {"view": "map"}).content.decode()
    assert re.findall(CELLS, outbreak_map) == [("Ranong port health corner", "1")]
    client.force_login(officers["maesot"])
    declared = client.get("/surveillance/outbreaks/", {"view": "map", "state": "declared"})
    assert re.findall(CELLS, declared.content.decode()) == [
        ("Mae Sot", "1")]  # fmt: skip
    # The list's links keep the filters: to the map and back, and the CSV.
    page = client.get("/surveillance/outbreaks/", {"state": "declared"}).content.decode()
    assert 'href="?state=declared&amp;view=map"' in page
    assert 'href="?state=declared&amp;format=csv"' in page


def test_the_map_legend_shows_each_count_once_and_at_most_four():
    from mhis.surveillance.maps import _legend

    assert _legend([{"n": 1}], "n") == [1]
    assert _legend([{"n": 3}, {"n": 1}, {"n": 3}], "n") == [1, 3]
    assert _legend([{"n": n} for n in (1, 2, 5, 9, 20, 40)], "n") == [1, 5, 9, 40]
