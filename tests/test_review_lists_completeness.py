"""Review of the lists, maps, completeness page, reminders and notifications (issue 31, item 7;
docs/decisions/0033): what hostile query strings, bad settings, odd place codes and odd phone
numbers did to them, each pinned by a test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from mhis.access.services import create_user
from mhis.notifications.models import Kind, Notification
from mhis.places.services import create_place
from mhis.surveillance import completeness, services, tasks
from mhis.surveillance.models import ReportReminder, ReportSource, WeeklyReport


@pytest.fixture
def officer(world, people):
    return create_user(username="maesot_officer", password=None, role="surveillance_officer",
                       places=[world["MAESOT"]])  # fmt: skip


def _report(site, week, on_time=True):
    return WeeklyReport.objects.create(site=site, year=week[0], week=week[1], version=1,
                                       current=True, source=ReportSource.FORM, on_time=on_time)  # fmt: skip


# Hostile query strings ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/surveillance/alerts/", "/surveillance/signals/",
                                 "/surveillance/outbreaks/"])  # fmt: skip
def test_the_last_iso_week_of_year_9999_is_a_week_like_any_other_not_a_server_error(
    client, officer, url
):
    """Its Sunday is the year 10000, past the last date Python can hold: the week filter
    selected up to that Sunday and failed (a 500) instead of reading the week."""
    client.force_login(officer)
    for week in ("9999-W52", "9999-W51", "0001-W01"):
        response = client.get(url, {"week": week})
        assert response.status_code == 200, week
    assert client.get(url, {"week": "9999-W53"}).status_code == 400  # 9999 has 52 weeks


def test_the_last_week_there_is_selects_its_own_days(client, officer, world):
    from mhis.surveillance.models import Signal

    for day in (dt.date(9999, 12, 31), dt.date(9999, 12, 20)):  # 9999-W52 and 9999-W51
        Signal.objects.create(text="x", source="community", place=world["CLINIC"], date=day)
    client.force_login(officer)
    rows = client.get("/surveillance/signals/", {"week": "9999-W52", "format": "csv"})
    assert [line.split(",")[0] for line in rows.content.decode().splitlines()[1:]] == [
        '"9999-12-31"'
    ]
    first = client.get("/surveillance/signals/", {"week": "9999-W01", "format": "csv"})
    assert len(first.content.decode().splitlines()) == 1  # the header: no day of W01 matches


@pytest.mark.parametrize("typed", ["²", "³", "1_0", "+3", "0"])
def test_the_completeness_page_refuses_weeks_that_are_not_a_number_of_weeks(client, officer, typed):
    """ "²" passed `str.isdigit()` and failed `int()`: a 500 instead of the field's message."""
    client.force_login(officer)
    response = client.get("/surveillance/completeness/", {"weeks": typed})
    assert response.status_code == 400
    assert "Choose from 1 to 52 weeks." in response.content.decode()
    assert 'href="#weeks"' in response.content.decode()


def test_weeks_in_other_scripts_digits_are_read(client, officer):
    client.force_login(officer)
    for typed in ("٣", "๓"):  # Arabic-Indic and Thai three
        response = client.get("/surveillance/completeness/", {"weeks": typed})
        assert response.status_code == 200 and response.context["weeks"] == 3


# The weekly schedule of reminders ------------------------------------------------------------


@pytest.mark.parametrize("value", ["tuesday 08:00", "tue 8am", "tue", "08:00 tue"])
def test_a_bad_reminder_schedule_is_refused_at_start_up_naming_its_setting(settings, value):
    """A bad MHIS_SCHEDULE_REPORT_REMINDERS let the server start, then stopped the worker at its
    first look at the schedule (evaluation and escalation with it) with an error naming
    MHIS_SCHEDULE_EVALUATION."""
    from django.apps import apps

    settings.MHIS_SCHEDULE_REPORT_REMINDERS = value
    with pytest.raises(ImproperlyConfigured, match=r"^MHIS_SCHEDULE_REPORT_REMINDERS: "):
        apps.get_app_config("surveillance").ready()
    with pytest.raises(ImproperlyConfigured, match=r"^MHIS_SCHEDULE_REPORT_REMINDERS: "):
        tasks.scheduled(timezone.localtime())
    settings.MHIS_SCHEDULE_REPORT_REMINDERS = "off"
    apps.get_app_config("surveillance").ready()  # off is not an error
    settings.MHIS_SCHEDULE_EVALUATION = "monday 06:15"
    with pytest.raises(ImproperlyConfigured, match=r"^MHIS_SCHEDULE_EVALUATION: "):
        apps.get_app_config("surveillance").ready()


def test_a_worker_back_after_days_away_reminds_the_week_its_run_is_named_for(
    world, people, settings, django_capture_on_commit_callbacks
):
    """The run queued for 2026-W47 (slot Tuesday 2026-11-24) by a worker that was stopped until
    Monday 2026-11-30 reminded 2026-W48 — the week that ended the day before, days before its
    reports are due — and never 2026-W47."""
    settings.MHIS_SCHEDULE_EVALUATION = ""
    settings.MHIS_SCHEDULE_ESCALATION = False
    settings.MHIS_SCHEDULE_REPORT_REMINDERS = "tue 08:00"
    _report(world["CLINIC"], (2026, 40))  # the clinic reports from 2026-W40, sent nothing since
    monday = timezone.make_aware(dt.datetime(2026, 11, 30, 9, 0))
    ((key, task, args),) = tasks.scheduled(timezone.localtime(monday))
    assert key == "surveillance-reminders:2026-W47"
    with django_capture_on_commit_callbacks(execute=True):
        task.call(*args)
    reminder = ReportReminder.objects.get()
    assert (reminder.site, reminder.year, reminder.week) == (world["CLINIC"], 2026, 47)
    assert Notification.objects.filter(kind=Kind.REPORT_MISSING).exists()


def test_a_reminder_s_link_carries_a_site_code_holding_an_ampersand_whole(
    world, people, django_capture_on_commit_callbacks
):
    """Place codes are free text (a tree imported from another system may hold "&", "#" or a
    space): the link to the form was written unquoted, so it named the site "MSOT" and the week
    not at all."""
    from urllib.parse import parse_qs, urlsplit

    site = create_place(code="MSOT&MOB #2", name="Mobile clinic 2", kind="site",
                        parent=world["MAESOT"], site_type="mobile_clinic")  # fmt: skip
    last = services.last_full_week()
    _report(site, services.week_of(services.monday(*last) - dt.timedelta(weeks=3)))
    officer = create_user(username="maesot_officer", password=None, role="surveillance_officer",
                          places=[world["MAESOT"]])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        sent = completeness.remind(officer, place_code="MSOT&MOB #2")
    assert [r.site for r in sent] == [site]
    link = Notification.objects.get(recipient=people["clinician"]).link
    parts = urlsplit(link)
    assert parts.path == "/surveillance/report/" and not parts.fragment
    assert parse_qs(parts.query) == {"site": ["MSOT&MOB #2"], "week": [services.week_label(*last)]}


# Notifications -------------------------------------------------------------------------------


def test_a_number_typed_on_the_admin_site_is_stored_as_the_gateway_takes_it(world):
    """The admin site's user form checked the number but stored it as typed — the example its
    help gives, "+66 81 234 5678", with its spaces — and the gateway was sent that."""
    from django.contrib import admin
    from django.forms import modelform_factory

    from mhis.access.models import User

    user = create_user(username="texted", password=None, role="surveillance_officer",
                       places=[world["MAESOT"]])  # fmt: skip
    # The admin site's form for a user is a model form over these fields (UserAdmin).
    assert "phone" in admin.site._registry[User].fieldsets[-1][1]["fields"]
    form = modelform_factory(User, fields=["phone", "language"])(
        {"phone": " +66 81 234 5678 ", "language": "th"}, instance=user
    )
    assert form.is_valid(), form.errors
    form.save()
    user.refresh_from_db()
    assert (user.phone, user.language) == ("+66812345678", "th")
    bad = modelform_factory(User, fields=["phone"])({"phone": "081 234 5678"}, instance=user)
    assert not bad.is_valid() and "country code" in bad.errors["phone"][0]


# Page weight on a slow link --------------------------------------------------------------------


def _points(n):
    return [{"site": f"Site number {i:03} health post", "latitude": 16 + i / 300,
             "longitude": 98 + (i % 17) / 17, "count": i % 9 + 1} for i in range(n)]  # fmt: skip


def test_the_map_of_three_hundred_sites_stays_light_enough_for_a_phone_on_a_slow_link():
    """With 300 sites the map alone weighed 210 kB (the page 271 kB, over the 200 kB the pages
    keep to): every circle carried its own spoken label, inside an image that is read out by
    its description, and every site's name was drawn, one over the other. The table under the
    map names each place with its count."""
    from mhis.surveillance.maps import points_map

    svg = str(points_map(_points(300), "count", "Alerts", "Alerts by site"))
    assert len(svg) < 100_000, len(svg)
    assert svg.count("<path") >= 300  # every site still drawn
    assert "Site number 042 health post" not in svg and 'role="img"' in svg
    few = str(points_map(_points(3), "count", "Alerts", "Alerts by site"))
    assert "Site number 002 health post" in few  # a few sites keep their names on the map


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers (a gateway or mail server hung)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in held:
        conn.close()


def test_a_hung_sms_gateway_holds_the_reminder_button_once_not_once_per_recipient(
    client, world, people, settings, silent_server, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Sending happens in the request, after the commit: a gateway that never answered held the
    page its whole timeout for each recipient in turn (two sites, three people: 3 × the
    timeout; thirty sites, a quarter of an hour, long past any web server's limit)."""
    import time

    from mhis.notifications import services as sending
    from mhis.notifications.models import Outcome

    monkeypatch.setattr(sending, "SEND_TIMEOUT", 1, raising=False)
    monkeypatch.setattr(sending, "_down_until", {}, raising=False)
    settings.MHIS_SMS_GATEWAY_URL = f"http://127.0.0.1:{silent_server}/send"
    settings.MHIS_NOTIFY_EMAIL = False
    people["clinician"].phone = "+66812345678"
    people["clinician"].save()
    create_user(username="bridge_volunteer", password=None, role="chw", places=[world["BRIDGE"]],
                phone="+66812345679")  # fmt: skip
    officer = create_user(username="maesot_officer", password=None, role="surveillance_officer",
                          places=[world["MAESOT"]])  # fmt: skip
    earlier = services.week_of(services.monday(*services.last_full_week()) - dt.timedelta(weeks=3))
    _report(world["BRIDGE"], earlier)
    _report(world["CLINIC"], earlier)
    client.force_login(officer)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/surveillance/completeness/", follow=True)
    took = time.monotonic() - started
    assert "Reminders sent for 2 sites to 3 people." in response.content.decode()
    assert took < 2.5, f"{took:.1f} s"
    rows = Notification.objects.filter(kind=Kind.REPORT_MISSING)
    assert rows.count() == 3 and {r.sms for r in rows} == {Outcome.FAILED}
    assert sum("timed out" in r.error for r in rows) == 1
    assert sum("not tried" in r.error for r in rows) == 2  # each says why it was not sent


def test_a_hung_mail_server_is_given_up_on_not_waited_for_without_end(
    world, settings, silent_server, monkeypatch, django_capture_on_commit_callbacks
):
    """Django waits for a mail server without a limit unless EMAIL_TIMEOUT is set, and MHIS did
    not set it: one hung server held the page that raised an alert for as long as it kept the
    connection open."""
    import time

    from mhis import settings as shipped
    from mhis.notifications import services as sending
    from mhis.notifications.models import Outcome
    from mhis.notifications.services import notify

    assert shipped.EMAIL_TIMEOUT and shipped.EMAIL_TIMEOUT <= 30  # the default has a limit
    monkeypatch.setattr(sending, "_down_until", {}, raising=False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent_server, 1
    settings.MHIS_SMS_GATEWAY_URL = ""
    officers = [create_user(username=f"officer{n}", password=None, role="surveillance_officer",
                            places=[world["MAESOT"]], email=f"o{n}@example.org")
                for n in range(3)]  # fmt: skip
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        notify(officers, Kind.REPORT_MISSING, "Weekly report missing", "/surveillance/report/")
    assert time.monotonic() - started < 2.5
    rows = Notification.objects.order_by("pk")
    assert [r.email for r in rows] == [Outcome.FAILED] * 3
    assert "timed out" in rows[0].error and all("not tried" in r.error for r in rows[1:])


# Reminders under concurrency -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_remind_each_site_once(world, people, monkeypatch):
    """Two workers, or a double click: both runs find the same sites missing before either
    records its reminder; one reminds each site, the other finds it done and sends nothing."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the test database on SQLite is in memory, where two connections cannot "
                    "write at once; run on PostgreSQL (scripts/with-postgres.sh)")  # fmt: skip
    earlier = services.week_of(services.monday(*services.last_full_week()) - dt.timedelta(weeks=3))
    _report(world["BRIDGE"], earlier)
    _report(world["CLINIC"], earlier)
    both_looked = threading.Barrier(2, timeout=20)
    looked = completeness._missing_sites

    def look_then_wait(*args):
        found = looked(*args)
        both_looked.wait()  # each run has its list of missing sites before either writes
        return found

    monkeypatch.setattr(completeness, "_missing_sites", look_then_wait)
    results, errors = [], []

    def run():
        try:
            results.append(len(completeness.remind(None)))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(results) == [0, 2]
    assert ReportReminder.objects.count() == 2
    told = Notification.objects.filter(kind=Kind.REPORT_MISSING)
    assert told.count() == sum(r.recipients for r in ReportReminder.objects.all()) == 2
    assert len({(n.recipient_id, n.subject) for n in told}) == told.count()  # nobody told twice


# An officer of another place -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "param"), [("/surveillance/alerts/", "owner"),
                                            ("/surveillance/signals/", "reported_by"),
                                            ("/surveillance/outbreaks/", "opened_by")])  # fmt: skip
def test_the_owner_filter_does_not_tell_who_has_an_account_elsewhere(
    client, officer, people, url, param
):
    """ "No user honduras_analyst" for a name that does not exist, an empty list for one that
    does: typing names told a Mae Sot officer who holds an account in Honduras or Cambodia.
    A name is known where its account's places meet the officer's (inside them, or above)."""
    client.force_login(officer)
    for elsewhere in ("honduras_analyst", "cambodia_viewer", "ranong_chw", "nobody_clinician"):
        response = client.get(url, {param: elsewhere})
        assert response.status_code == 400, elsewhere
        assert f"No user {elsewhere}" in response.content.decode()
    for known in ("mae_sot_clinician", "tak_officer", "th_admin", "maesot_officer"):
        assert client.get(url, {param: known}).status_code == 200, known


def test_each_role_gets_the_lists_and_the_completeness_page_or_a_refusal_never_an_error(
    client, people, officer
):
    """The lists need `read_alerts`, the completeness page `read_reports`: every role, every
    form of each (page, CSV, map) answers 200 or 403, never a 500 or an empty 200."""
    from mhis.access.policy import Can, allowed

    urls = ["/surveillance/alerts/", "/surveillance/signals/", "/surveillance/outbreaks/"]
    for name, user in {**people, "officer": officer}.items():
        client.force_login(user)
        for url in urls:
            for extra in ({}, {"format": "csv"}, {"view": "map"}):
                status = client.get(url, extra).status_code
                assert status == (200 if allowed(user, Can.READ_ALERTS) else 403), (name, url)
        for extra in ({}, {"format": "csv"}):
            status = client.get("/surveillance/completeness/", extra).status_code
            assert status == (200 if allowed(user, Can.READ_REPORTS) else 403), name
        status = client.post("/surveillance/completeness/").status_code
        assert status == (302 if allowed(user, Can.MANAGE_ALERTS) else 403), name
