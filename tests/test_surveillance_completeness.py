"""Completeness and timeliness of weekly reports, and reminders for the missing ones
(docs/decisions/0033): per reporting site and week whether the report came, on time or late;
the percentages per site and per area above; the sites missing the last full week reminded
once per site-week, through the button and the weekly schedule, to the site's reporters only;
each user seeing their own places only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from mhis.access.services import create_user
from mhis.notifications.models import Kind, Notification
from mhis.places.services import create_place
from mhis.surveillance import completeness, services, tasks
from mhis.surveillance.models import ReportReminder, ReportSource, WeeklyReport


def _weeks(n=8):
    """The last `n` full weeks, oldest first (as the page counts them)."""
    last = services.monday(*services.last_full_week())
    return [services.week_of(last - dt.timedelta(weeks=k)) for k in range(n - 1, -1, -1)]


def _report(site, week, on_time=True, version=1, current=True):
    return WeeklyReport.objects.create(
        site=site, year=week[0], week=week[1], version=version, current=current,
        source=ReportSource.FORM, on_time=on_time,
    )  # fmt: skip


@pytest.fixture
def reports(world, people):
    """Over the last 8 full weeks (W0 oldest … W7 the last full week):
    - the clinic reports from two weeks before W0: W0–W7 but W3 (missing), W5 late, W6 sent
      on time then corrected late (on time: its first version was);
    - the bridge reports from W5 on: W5 on time, W6 late, W7 missing;
    - Ranong's port reports W0–W6, W7 missing;
    - a Mae Sot mobile clinic never reported."""
    w = _weeks()
    clinic, bridge, ranong = world["CLINIC"], world["BRIDGE"], world["RANONG"]
    before = services.week_of(services.monday(*w[0]) - dt.timedelta(weeks=2))
    _report(clinic, before)
    for n, week in enumerate(w):
        if n == 3:
            continue
        if n == 6:
            _report(clinic, week, on_time=True, current=False)
            _report(clinic, week, on_time=False, version=2)
            continue
        _report(clinic, week, on_time=n != 5)
    _report(bridge, w[5])
    _report(bridge, w[6], on_time=False)
    for week in w[:7]:
        _report(ranong, week)
    mobile = create_place(code="MSOT-MOB", name="Mae Sot mobile clinic", kind="site",
                          parent=world["MAESOT"], site_type="mobile_clinic")  # fmt: skip
    return {"weeks": w, "mobile": mobile}


@pytest.fixture
def staff(world, people):
    """The Mae Sot officer and volunteer, Ranong's officer."""
    return {
        "maesot": create_user(username="maesot_officer", password=None,
                              role="surveillance_officer", places=[world["MAESOT"]],
                              email="maesot@example.org"),
        "volunteer": create_user(username="bridge_volunteer", password=None, role="chw",
                                 places=[world["BRIDGE"]], email="volunteer@example.org"),
        "ranong": create_user(username="ranong_officer", password=None,
                              role="surveillance_officer", places=[world["RANONG"]]),
    }  # fmt: skip


def test_each_site_s_weeks_and_percentages_come_from_its_reports(reports, staff):
    found = completeness.table(staff["maesot"], 8)
    assert found.weeks == reports["weeks"]
    by_site = {r.site.code: r for r in found.sites}
    assert set(by_site) == {"MSOT-CLIN", "MSOT-BRDG"}  # not Ranong's port: not their place
    clinic = by_site["MSOT-CLIN"]
    assert clinic.cells == ["on_time", "on_time", "on_time", "missing", "on_time", "late",
                            "on_time", "on_time"]  # fmt: skip
    assert (clinic.counts.expected, clinic.counts.received, clinic.counts.on_time) == (8, 7, 6)
    assert clinic.counts.completeness == 7 / 8 and clinic.counts.timeliness == 6 / 8
    assert not clinic.missing_last
    bridge = by_site["MSOT-BRDG"]
    # Weeks before its first report are not expected of it.
    assert bridge.cells == ["not_expected"] * 5 + ["on_time", "late", "missing"]
    assert (bridge.counts.expected, bridge.counts.received, bridge.counts.on_time) == (3, 2, 1)
    assert bridge.missing_last
    assert [s.code for s in found.never] == ["MSOT-MOB"]
    # The areas above: the sums of their sites.
    areas = {a.place.code: a for a in found.areas}
    assert set(areas) == {"TH-63-MSOT"}  # the officer's place; Tak is above it
    mae_sot = areas["TH-63-MSOT"].counts
    assert (mae_sot.expected, mae_sot.received, mae_sot.on_time) == (11, 9, 7)
    assert areas["TH-63-MSOT"].missing_last == 1 and areas["TH-63-MSOT"].sites == 2


def test_areas_roll_up_the_place_tree_for_a_wider_scope(reports, people):
    found = completeness.table(people["admin"], 8)  # Thailand
    areas = {a.place.code: (a.counts.expected, a.counts.received, a.counts.on_time, a.sites)
             for a in found.areas}  # fmt: skip
    assert areas["TH-63-MSOT"] == (11, 9, 7, 2)
    assert areas["TH-63"] == areas["TH-63-MSOT"]
    assert areas["TH-85"] == (8, 7, 7, 1)
    assert areas["TH"] == (19, 16, 14, 3)
    # Four weeks: W4–W7 only.
    short = {r.site.code: r.counts for r in completeness.table(people["admin"], 4).sites}
    assert (short["MSOT-CLIN"].expected, short["MSOT-CLIN"].received) == (4, 4)
    assert (short["RNG-PORT"].expected, short["RNG-PORT"].received) == (4, 3)


def test_the_page_shows_the_user_s_places_highlights_the_missing_and_downloads(
    client, reports, staff
):
    client.force_login(staff["maesot"])
    page = client.get("/surveillance/completeness/")
    html = page.content.decode()
    assert page.status_code == 200
    last = services.week_label(*reports["weeks"][-1])
    assert f"Not reported for {last}" in html
    missing = html.split(f"Not reported for {last}")[1].split("<h2>")[0]
    assert "Friendship Bridge" in missing and "Mae Sot Migrant Clinic" not in missing
    assert "Ranong" not in html
    assert "Send a reminder for 1 site" in html
    assert "sends nothing twice" in html
    assert "Mae Sot mobile clinic" in html.split("never sent a report")[1]
    rows = list(csv.reader(io.StringIO(client.get("/surveillance/completeness/",
                                                  {"format": "csv"}).content.decode())))  # fmt: skip
    assert rows[0][:3] == ["kind", "code", "name"] and rows[0][3:11] == [
        services.week_label(*w) for w in reports["weeks"]]  # fmt: skip
    assert rows[0][11:] == ["expected", "received", "on_time", "completeness_pct",
                            "timeliness_pct"]  # fmt: skip
    lines = {(r[0], r[1]): r for r in rows[1:]}
    assert lines[("site", "MSOT-BRDG")][3:] == ["", "", "", "", "", "on_time", "late",
                                                "missing", "3", "2", "1", "66.7", "33.3"]  # fmt: skip
    assert lines[("area", "TH-63-MSOT")][11:] == ["11", "9", "7", "81.8", "63.6"]
    assert not any(r[1] == "RNG-PORT" for r in rows)


def test_a_bad_number_of_weeks_or_a_place_outside_is_refused_naming_the_field(client, staff):
    client.force_login(staff["maesot"])
    for query, field, message in (
        ({"weeks": "0"}, "weeks", "Choose from 1 to 52 weeks."),
        ({"weeks": "lots"}, "weeks", "Choose from 1 to 52 weeks."),
        ({"place": "RNG-PORT"}, "place", "No place RNG-PORT in your places."),
        ({"place": "TH\x00"}, "place", "place: text cannot contain the NUL character."),
        ({"weeks": "8\x00"}, "weeks", "Choose from 1 to 52 weeks."),
    ):
        for extra in ({}, {"format": "csv"}):
            page = client.get("/surveillance/completeness/", {**query, **extra})
            assert page.status_code == 400
            assert message in page.content.decode() and f'href="#{field}"' in page.content.decode()


def test_a_viewer_is_refused_and_only_those_who_handle_alerts_send_reminders(
    client, reports, people, staff
):
    client.force_login(people["viewer"])
    assert client.get("/surveillance/completeness/").status_code == 403
    assert client.post("/surveillance/completeness/").status_code == 403
    client.force_login(staff["volunteer"])  # reads reports, does not send reminders
    page = client.get("/surveillance/completeness/").content.decode()
    assert "Send a reminder" not in page
    assert client.post("/surveillance/completeness/").status_code == 403
    assert not ReportReminder.objects.exists()


def test_reminders_go_once_per_site_week_to_the_site_s_reporters_only(
    client, reports, people, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff["maesot"])
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/surveillance/completeness/", {"weeks": "8"}, follow=True)
    assert "Reminder sent for 1 site to 2 people." in sent.content.decode()
    last = reports["weeks"][-1]
    reminder = ReportReminder.objects.get()
    assert (reminder.site.code, reminder.year, reminder.week) == ("MSOT-BRDG", *last)
    assert reminder.sent_by == staff["maesot"] and reminder.recipients == 2
    told = Notification.objects.filter(kind=Kind.REPORT_MISSING)
    # The clinician of Mae Sot and the bridge's volunteer: those who report there; not the
    # officers who handle alerts, not Ranong's volunteer.
    assert sorted(n.recipient.username for n in told) == ["bridge_volunteer", "mae_sot_clinician"]
    label = services.week_label(*last)
    assert {n.subject for n in told} == {
        f"Weekly report missing: Friendship Bridge has not sent its report for {label}. "
        "Please send it."
    }
    assert {n.link for n in told} == {f"/surveillance/report/?site=MSOT-BRDG&week={label}"}
    assert [m.to for m in mail.outbox] == [["volunteer@example.org"]]  # the only one with email
    # The page says so; pressing again, and the weekly schedule, send nothing twice.
    page = client.get("/surveillance/completeness/").content.decode()
    assert re.search(r"Friendship Bridge</strong> — reminded .* \(2 people\)", page)
    assert "Every site missing this week has been reminded." in page and "Send a" not in page
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/surveillance/completeness/", follow=True)
    assert "every missing site was already reminded" in again.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = completeness.scheduled_remind()
    assert scheduled == 1  # Ranong's port only
    told = Notification.objects.filter(kind=Kind.REPORT_MISSING)
    assert ReportReminder.objects.count() == 2 and told.count() == 3
    assert told.get(recipient=people["chw"]).subject.startswith(
        "Weekly report missing: Ranong port health corner"
    )
    assert len(mail.outbox) == 1
    # A site that reports after all is no longer missing; nothing more is sent for it.
    _report(reports["mobile"], last)  # first report of the mobile clinic: now a reporting site
    assert completeness.scheduled_remind() == 0


def test_a_site_without_clinicians_or_volunteers_reminds_whoever_reports_there(world, people):
    week = services.week_of(services.monday(*services.last_full_week()) - dt.timedelta(weeks=1))
    _report(world["BAVET"], week)  # Bavet: a viewer (who does not report) and its officer
    officer = create_user(username="svay_officer", password=None, role="surveillance_officer",
                          places=[world["BAVET"].parent])  # fmt: skip
    sent = completeness.remind(officer)
    assert [r.site.code for r in sent] == ["BAV-BRDR"] and sent[0].recipients == 1
    assert Notification.objects.get(kind=Kind.REPORT_MISSING).recipient == officer


def test_the_command_and_the_weekly_schedule_remind(reports, settings):
    out = io.StringIO()
    call_command("surveillance", "remind", stdout=out)
    label = services.week_label(*reports["weeks"][-1])
    assert out.getvalue().splitlines()[0] == f"{label}: 2 sites reminded"
    out = io.StringIO()
    call_command("surveillance", "remind", stdout=out)
    assert out.getvalue().strip() == f"{label}: 0 sites reminded"
    settings.MHIS_SCHEDULE_EVALUATION = ""
    settings.MHIS_SCHEDULE_ESCALATION = False
    settings.MHIS_SCHEDULE_REPORT_REMINDERS = "tue 08:00"
    tuesday = timezone.make_aware(dt.datetime(2026, 12, 1, 8, 5))  # 2026-W49
    runs = tasks.scheduled(timezone.localtime(tuesday))
    assert [(key, task.name) for key, task, _args in runs] == [
        ("surveillance-reminders:2026-W48", "remind_reports")
    ]
    monday = timezone.localtime(tuesday - dt.timedelta(days=1))  # before the slot: last week's
    assert [key for key, _t, _a in tasks.scheduled(monday)] == ["surveillance-reminders:2026-W47"]
    for off in ("", "0"):
        settings.MHIS_SCHEDULE_REPORT_REMINDERS = off
        assert tasks.scheduled(timezone.localtime(tuesday)) == []
