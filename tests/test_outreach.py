"""Outreach: people reached and people trained, by site in the reader's places, through
small-cell suppression; and the checks of a session."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mhis.outreach import services

START, END = dt.date(2025, 1, 1), dt.date(2026, 1, 1)


@pytest.fixture
def field_team(people):
    user = people["clinician"]
    services.save_worker(user, {"code": "CHW-1", "name": "Ma Thida", "kind": "chw", "site": "MSOT-CLIN"})  # fmt: skip
    services.save_worker(user, {"code": "VOL-1", "name": "Ko Zaw", "kind": "volunteer", "site": "MSOT-BRDG"})  # fmt: skip
    return user


def test_reached_and_trained_are_counted_by_site_and_small_counts_hidden(field_team, people):
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
    rows = {r["site"].code if r["site"] else None: r for r in services.totals(user, START, END)["rows"]}  # fmt: skip
    assert rows["MSOT-CLIN"]["session_attendance"] == "35"
    assert rows["MSOT-CLIN"]["reached"] == "35"
    assert rows["MSOT-BRDG"]["reached"] == "10"  # 8 attended + 2 contacts
    assert rows["MSOT-BRDG"]["contacts"] == "<5"
    assert rows["MSOT-CLIN"]["trained"] == "<5"  # one worker, three courses: one person trained
    assert rows[None]["reached"] == "45"
    # A total that equals its one hidden part would give it away: it is hidden too.
    assert rows[None]["contacts"] != "2" and rows[None]["trained"] != "1"
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
