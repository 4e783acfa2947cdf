"""Outreach: people reached and people trained, by site in the reader's places, through
small-cell suppression; and the checks of a session."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mhis.access.services import create_user
from mhis.indicators.cellkey import SPREAD
from mhis.outreach import services

START, END = dt.date(2025, 1, 1), dt.date(2026, 1, 1)


@pytest.fixture
def field_team(people):
    user = people["clinician"]
    services.save_worker(user, {"code": "CHW-1", "name": "Ma Thida", "kind": "chw", "site": "MSOT-CLIN"})  # fmt: skip
    services.save_worker(user, {"code": "VOL-1", "name": "Ko Zaw", "kind": "volunteer", "site": "MSOT-BRDG"})  # fmt: skip
    return user


def test_reached_and_trained_are_counted_by_site_exactly_for_the_field_team_and_protected_for_others(
    field_team, people, world
):
    user = field_team
    services.record_session(user, {"site": "MSOT-CLIN", "worker": "CHW-1", "date": "2025-03-01",
                                   "topic": "tb", "language": "my", "females": 20, "males": "15"})  # fmt: skip
    services.record_session(user, {"site": "MSOT-BRDG", "date": "2025-03-02", "topic": "dengue", "males": 8})  # fmt: skip
    for day in ("2025-03-03", "2025-03-04"):
        services.record_contact(user, {"site": "MSOT-BRDG", "worker": "VOL-1", "date": day, "topic": "access"})  # fmt: skip
    services.record_contact(
        user, {"site": "MSOT-CLIN", "date": "2026-02-01", "topic": "tb"}
    )  # outside
    for course in ("TB case finding", "First aid", "Referral"):
        services.record_training(user, {"worker": "CHW-1", "course": course, "date": "2025-02-01"})
    exact = {r["site"].code if r["site"] else None: r for r in services.totals(user, START, END)["rows"]}  # fmt: skip
    assert exact["MSOT-CLIN"]["session_attendance"] == "35"
    assert exact["MSOT-CLIN"]["reached"] == "35"
    assert exact["MSOT-BRDG"]["reached"] == "10"  # 8 attended + 2 contacts
    assert exact["MSOT-BRDG"]["contacts"] == "2"
    assert exact["MSOT-CLIN"]["trained"] == "1"  # one worker, three courses: one person trained
    assert exact[None]["reached"] == "45"
    # A viewer of Thailand, who does not see the people, sees every figure adjusted and no
    # count from 1 to 4.
    viewer = create_user(username="th_viewer", password=None, role="viewer", places=[world["TH"]])
    shown = {r["site"].code if r["site"] else None: r for r in services.totals(viewer, START, END)["rows"]}  # fmt: skip
    assert set(shown) == set(exact)
    for site, row in shown.items():
        for measure in services.MEASURES:
            if row[measure] == "<5":
                continue
            assert int(row[measure]) == 0 or int(row[measure]) >= 5, (site, measure)
            assert abs(int(row[measure]) - int(exact[site][measure])) <= SPREAD
    # Someone scoped elsewhere sees nothing of Mae Sot.
    assert [r["site"] for r in services.totals(people["hn_clinician"], START, END)["rows"]] == [
        None
    ]


def test_a_session_needs_its_group_size_and_known_codes(field_team):
    with pytest.raises(ValidationError) as caught:
        services.record_session(field_team, {"site": "MSOT-CLIN", "worker": "NOBODY", "date": "2025-03-01",
                                             "topic": "gossip", "language": "zz"})  # fmt: skip
    assert set(caught.value.message_dict) == {"worker", "topic", "language"}
    with pytest.raises(ValidationError) as caught:
        services.record_session(field_team, {"site": "MSOT-CLIN", "date": "2025-03-01", "topic": "tb"})  # fmt: skip
    assert set(caught.value.message_dict) == {"females"}
