"""Owners, deadlines and notifications of alerts, and the alert list's filters
(docs/decisions/0030): an owner only from the alert's place, overdue alerts escalated once,
notifications in the application and by email with aggregate content only, the header's
count, and the list filtered, sorted, paged and downloaded."""

import csv
import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from mhis.access.services import create_user
from mhis.notifications.models import Kind, Notification, Outcome
from mhis.registry.codes import MigrationStatus
from mhis.surveillance import owners, services, tasks
from mhis.surveillance.models import Alert, AlertEvent, AlertState

NOW = timezone.make_aware(dt.datetime(2026, 11, 30, 9))


@pytest.fixture
def officers(world, people):
    """A Mae Sot officer (the sites' place), a Ranong officer, and Tak's (the parent place)."""
    return {
        "maesot": create_user(
            username="maesot_officer",
            password=None,
            role="surveillance_officer",
            places=[world["MAESOT"]],
            email="maesot@example.org",
        ),
        "ranong": create_user(
            username="ranong_officer",
            password=None,
            role="surveillance_officer",
            places=[world["RANONG"]],
            email="ranong@example.org",
        ),
        "tak": people["tak_officer"],
    }


def _alert(site, condition="cholera", week=47, observed=3, **fields):
    return Alert.objects.create(
        site=site,
        condition=condition,
        year=2026,
        week=week,
        method="threshold",
        observed=observed,
        threshold=0,
        **fields,
    )


# Raising ----------------------------------------------------------------------------------


def test_a_raised_alert_gets_its_deadline_and_the_site_officers_an_email(
    world, people, officers, settings, django_capture_on_commit_callbacks
):
    settings.MHIS_ALERT_VERIFY_HOURS_BY_CONDITION = "cholera=6"
    services.submit_report(
        people["tak_officer"],
        {"site": "MSOT-CLIN", "week": "2026-W47", "counts": [{"condition": "cholera", "count": 4}]},
        now=NOW,
        evaluate=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = services.evaluate_week(2026, 47)
    assert result["new_alerts"] == 1
    alert = Alert.objects.get(site=world["CLINIC"], condition="cholera")
    assert alert.due_at - alert.created_at == dt.timedelta(hours=6)  # the condition's hours
    told = Notification.objects.filter(kind=Kind.ALERT_RAISED)
    # The officers whose places cover the site (Mae Sot, Tak, Thailand's administrator);
    # not Ranong's.
    assert {n.recipient.username for n in told} == {"maesot_officer", "tak_officer", "th_admin"}
    assert sorted(m.to[0] for m in mail.outbox) == ["maesot@example.org"]  # others: no address
    assert told.get(recipient=officers["maesot"]).email == Outcome.SENT
    assert told.get(recipient=people["tak_officer"]).email == Outcome.NO_ADDRESS
    message = mail.outbox[0]
    assert "Cholera" in message.subject and "Mae Sot Migrant Clinic" in message.subject
    assert "2026-W47" in message.subject and "4 cases" in message.subject
    assert f"/surveillance/alerts/{alert.pk}/" in message.body
    # Evaluating again raises nothing and tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluate_week(2026, 47)
    assert told.count() == 3 and len(mail.outbox) == 1


def test_without_email_notifications_are_kept_and_none_is_mailed(
    world, officers, settings, django_capture_on_commit_callbacks
):
    settings.MHIS_NOTIFY_EMAIL = False
    alert = _alert(world["CLINIC"])
    with django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([alert])
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=officers["maesot"], email=Outcome.OFF).exists()


def test_the_sms_gateway_is_called_only_when_set_and_its_failure_is_logged(
    world, officers, settings, django_capture_on_commit_callbacks
):
    sent = []

    class Gateway:
        def send(self, user, text):
            sent.append((user.username, text))
            if user.username == "tak_officer":
                raise OSError("gateway down")
            return Outcome.SENT

    settings.MHIS_SMS_BACKEND = f"{__name__}.FakeGateway"
    globals()["FakeGateway"] = Gateway
    alert = _alert(world["CLINIC"])
    with django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([alert])
    assert sent == []  # no gateway address: never called
    settings.MHIS_SMS_GATEWAY_URL = "https://sms.example.org/send"
    with django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([alert])
    assert {name for name, _text in sent} == {"maesot_officer", "tak_officer", "th_admin"}
    failed = Notification.objects.get(recipient__username="tak_officer", sms=Outcome.FAILED)
    assert "gateway down" in failed.error


# Owners -----------------------------------------------------------------------------------


def test_an_owner_is_chosen_only_among_officers_of_the_alert_s_place(
    client, world, people, officers, django_capture_on_commit_callbacks
):
    alert = _alert(world["CLINIC"])
    url = f"/surveillance/alerts/{alert.pk}/"
    client.force_login(officers["maesot"])
    page = client.get(url).content.decode()
    assert f'value="{officers["maesot"].pk}"' in page
    assert f'value="{officers["ranong"].pk}"' not in page  # Ranong does not cover Mae Sot
    # An officer of another place, a clinician, an unknown id: refused, naming the field.
    for wrong in (officers["ranong"].pk, people["clinician"].pk, 999999, "x"):
        refused = client.post(url, {"action": "owner", "owner": wrong})
        assert refused.status_code == 422
        assert "Choose an owner who handles alerts in this alert" in refused.content.decode()
        assert 'href="#owner"' in refused.content.decode()
    alert.refresh_from_db()
    assert alert.owner is None
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"action": "owner", "owner": officers["maesot"].pk})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.owner == officers["maesot"]
    assert AlertEvent.objects.filter(alert=alert, note="owner: maesot_officer").exists()
    note = Notification.objects.get(kind=Kind.ALERT_ASSIGNED)
    assert note.recipient == officers["maesot"] and note.link == url
    assert [m.to for m in mail.outbox] == [["maesot@example.org"]]
    # Assigning the same owner again notifies nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "owner", "owner": officers["maesot"].pk})
    assert Notification.objects.filter(kind=Kind.ALERT_ASSIGNED).count() == 1
    # A clinician reads alerts but does not assign; an officer elsewhere does not see it.
    client.force_login(people["clinician"])
    assert client.post(url, {"action": "owner", "owner": officers["maesot"].pk}).status_code == 403
    client.force_login(officers["ranong"])
    assert client.post(url, {"action": "owner", "owner": officers["ranong"].pk}).status_code == 404


# Escalation -------------------------------------------------------------------------------


def test_overdue_alerts_escalate_once_to_the_owner_and_the_parent_place(
    world, people, officers, django_capture_on_commit_callbacks
):
    late = _alert(world["CLINIC"], owner=officers["maesot"], due_at=NOW - dt.timedelta(hours=1))
    on_time = _alert(world["BRIDGE"], due_at=timezone.now() + dt.timedelta(days=1))
    verified = _alert(
        world["CLINIC"], "measles", state=AlertState.CONFIRMED, due_at=NOW - dt.timedelta(days=2)
    )
    ranong = _alert(world["RANONG"], due_at=NOW - dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        done = owners.escalate(NOW)
    assert sorted(done) == sorted([late.pk, ranong.pk])
    late.refresh_from_db()
    on_time.refresh_from_db()
    verified.refresh_from_db()
    assert late.escalated_at == NOW and on_time.escalated_at is None
    assert verified.escalated_at is None  # verified in time or not, it is no longer waiting
    assert late.events.filter(note__startswith="escalated: not verified by").count() == 1
    told = Notification.objects.filter(kind=Kind.ALERT_OVERDUE, link__endswith=f"/{late.pk}/")
    # The owner, and the officers of Mae Sot (the clinic's parent place) and above.
    assert {n.recipient.username for n in told} == {"maesot_officer", "tak_officer", "th_admin"}
    # Ranong's alert goes up to the officers over the province: not to the site's own officer
    # (scoped to the port alone, no owner) nor to Mae Sot's.
    to_ranong = Notification.objects.filter(
        kind=Kind.ALERT_OVERDUE, link__endswith=f"/{ranong.pk}/"
    )
    assert {n.recipient.username for n in to_ranong} == {"th_admin"}
    count, mails = Notification.objects.count(), len(mail.outbox)
    # Again, by the command: nothing escalated twice, nobody told twice.
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("surveillance", "escalate", stdout=out)
    assert out.getvalue().splitlines()[0] == "0 alerts escalated"  # then response actions
    assert Notification.objects.count() == count and len(mail.outbox) == mails
    assert late.events.filter(note__startswith="escalated").count() == 1


def test_the_worker_schedules_the_escalation_hourly(settings):
    settings.MHIS_SCHEDULE_EVALUATION = ""
    settings.MHIS_SCHEDULE_REPORT_REMINDERS = ""  # tests/test_surveillance_completeness.py
    runs = tasks.scheduled(dt.datetime(2026, 11, 30, 9, 40))
    assert [(key, task.name) for key, task, _args in runs] == [
        ("surveillance-escalation:2026-11-30T09", "escalate")
    ]
    settings.MHIS_SCHEDULE_ESCALATION = False
    assert tasks.scheduled(dt.datetime(2026, 11, 30, 9, 40)) == []


def test_the_overdue_list_shows_late_alerts_in_the_user_s_places(client, world, officers):
    past = timezone.now() - dt.timedelta(hours=2)
    late = _alert(world["CLINIC"], due_at=past)
    _alert(world["BRIDGE"], due_at=timezone.now() + dt.timedelta(hours=5))
    _alert(world["RANONG"], due_at=past)
    client.force_login(officers["maesot"])
    page = client.get("/surveillance/alerts/overdue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/surveillance/alerts/{late.pk}/" in html
    assert _links(html) == 1


# Content ----------------------------------------------------------------------------------


def test_notifications_never_carry_a_person(
    world, people, officers, register, django_capture_on_commit_callbacks
):
    person = register(names=[{"text": "Aung Kyaw Zin", "latin": None}])
    alert = _alert(world["CLINIC"])
    with django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([alert])
        owners.assign_owner(officers["maesot"], alert, officers["maesot"].pk)
        Alert.objects.filter(pk=alert.pk).update(due_at=NOW - dt.timedelta(hours=1))
        owners.escalate(NOW)
    texts = [n.subject + n.link for n in Notification.objects.all()]
    texts += [m.subject + m.body for m in mail.outbox]
    assert len({n.kind for n in Notification.objects.all()}) == 3 and texts
    assert person.pk
    forbidden = ["Aung", "Kyaw", "Zin", "WP-", "+66 81", "/people/"]
    forbidden += [str(label) for label in MigrationStatus.labels] + ["IRR"]
    for text in texts:
        assert "Cholera" in text or "/surveillance/alerts/" in text
        for word in forbidden:
            assert word not in text, (word, text)


# The header's count and the list ----------------------------------------------------------


def test_the_bell_counts_unread_notifications_and_the_list_marks_them_read(
    client, world, officers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owners.on_raised([_alert(world["CLINIC"]), _alert(world["BRIDGE"])])
    theirs = Notification.objects.filter(recipient=officers["ranong"]).count()
    assert theirs == 0
    client.force_login(officers["maesot"])
    assert "Notifications (2)" in client.get("/surveillance/alerts/").content.decode()
    assert (
        client.get("/notifications/count/")
        .content.decode()
        .strip()
        .endswith("Notifications (2)</a>")
    )
    page = client.get("/notifications/").content.decode()
    assert "Mae Sot Migrant Clinic" in page and "Friendship Bridge" in page
    first = Notification.objects.filter(recipient=officers["maesot"]).first()
    assert client.post("/notifications/read/", {"id": first.pk}).status_code == 302
    assert "Notifications (1)" in client.get("/surveillance/alerts/").content.decode()
    # Someone else's notification is never marked by another user.
    tak = Notification.objects.get(recipient__username="tak_officer", link=first.link)
    client.post("/notifications/read/", {"id": tak.pk})
    tak.refresh_from_db()
    assert tak.read_at is None
    client.post("/notifications/read/")
    assert "Notifications (0)" in client.get("/surveillance/alerts/").content.decode()
    assert client.get("/notifications/read/").status_code == 405


# The alert list ---------------------------------------------------------------------------


@pytest.fixture
def many(world, officers):
    """60 alerts at the clinic (weeks 1–30, cholera and measles), 1 at the bridge, 1 in
    Ranong."""
    rows = []
    for week in range(1, 31):
        for condition in ("cholera", "measles"):
            rows.append(_alert(world["CLINIC"], condition, week=week, observed=week))
    owned = _alert(world["BRIDGE"], "dengue", week=40, owner=officers["maesot"])
    _alert(world["RANONG"], "dengue", week=40)
    return rows, owned


def _links(html: str) -> int:
    """How many alerts a list page shows (one link to each)."""
    return len(re.findall(r'href="/surveillance/alerts/\d+/"', html))


def _rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_alert_list_pages_past_500_rows_limit_and_filters(client, world, officers, many):
    _rows_made, owned = many
    client.force_login(officers["maesot"])
    first = client.get("/surveillance/alerts/")
    assert first.status_code == 200
    assert "Page 1 of 2" in first.content.decode()
    second = client.get("/surveillance/alerts/", {"page": 2}).content.decode()
    assert _links(second) == 61 - 50
    # Place, condition, week, owner.
    bridge = client.get("/surveillance/alerts/", {"place": "MSOT-BRDG"}).content.decode()
    assert _links(bridge) == 1
    weeks = client.get("/surveillance/alerts/", {"condition": "measles", "week": "2026-W07"})
    assert _links(weeks.content.decode()) == 1
    mine = client.get("/surveillance/alerts/", {"owner": "me"}).content.decode()
    named = client.get("/surveillance/alerts/", {"owner": "maesot_officer"}).content.decode()
    assert _links(named) == 1 and f"/surveillance/alerts/{owned.pk}/" in named
    assert f"/surveillance/alerts/{owned.pk}/" in mine
    assert _links(mine) == 1
    nobody = _rows(client.get("/surveillance/alerts/", {"owner": "none", "format": "csv"}))
    assert len(nobody) == 61 and all(r[9] == "" for r in nobody[1:])


def test_the_alert_list_sorts_and_downloads_what_it_shows(client, world, officers, many):
    client.force_login(officers["maesot"])
    by_cases = _rows(client.get("/surveillance/alerts/", {"sort": "-cases", "format": "csv"}))
    assert by_cases[0][:5] == ["week", "site_code", "site", "condition", "cases"]
    cases = [int(r[4]) for r in by_cases[1:]]
    assert cases == sorted(cases, reverse=True) and len(cases) == 61
    oldest = _rows(client.get("/surveillance/alerts/", {"sort": "week", "format": "csv"}))
    assert oldest[1][0] == "2026-W01" and oldest[-1][0] == "2026-W40"
    # Ranong's alert is not in Mae Sot's officer's file, whatever the filter.
    assert all(r[1] != "RNG-PORT" for r in oldest)
    assert _rows(client.get("/surveillance/alerts/", {"place": "RNG-PORT", "format": "csv"})) != []
    out = client.get("/surveillance/alerts/", {"place": "RNG-PORT"})
    assert out.status_code == 400 and "No place RNG-PORT in your places." in out.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"state": "lost"}, "state", "Unknown state: lost."),
        ({"condition": "plague"}, "condition", "Unknown condition: plague."),
        ({"week": "W7"}, "week", "Enter an ISO week such as 2026-W07."),
        ({"sort": "name"}, "sort", "Unknown sort: name. Sort by: week, site"),
        ({"place": "NOWHERE"}, "place", "No place NOWHERE in your places."),
        ({"owner": "ghost"}, "owner", "No user ghost: give a user name"),
    ],
)
def test_a_bad_filter_is_refused_naming_its_field(client, officers, many, query, field, message):
    client.force_login(officers["maesot"])
    for extra in ({}, {"format": "csv"}):
        page = client.get("/surveillance/alerts/", {**query, **extra})
        assert page.status_code == 400
        html = page.content.decode()
        assert message in html and f'href="#{field}"' in html


def test_the_api_gives_an_alert_s_owner_deadline_and_escalation(api, world, officers):
    alert = _alert(world["CLINIC"], due_at=NOW - dt.timedelta(hours=1))
    owners.assign_owner(officers["maesot"], alert, officers["maesot"].pk)
    before = api(officers["maesot"]).get(f"/api/surveillance/alerts/{alert.pk}").json()
    assert before["owner"] == "maesot_officer" and before["escalated_at"] is None
    assert before["due_at"].startswith("2026-11-30T")
    owners.escalate(NOW)
    after = api(officers["maesot"]).get(f"/api/surveillance/alerts/{alert.pk}").json()
    assert after["escalated_at"] is not None
