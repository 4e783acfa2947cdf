"""Workplan activities and event attendance in the browser: the programme manager adds and
changes them on their own pages; the service refuses what cannot be (each error naming its
field), another role and work outside the manager's countries."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mhis.access.services import create_user
from mhis.programmes import services
from mhis.programmes.models import Attendance, Event, Organisation, Project, WorkplanActivity


@pytest.fixture
def manager(world):
    return create_user(username="th_manager", password=None, role="programme_manager",
                       places=[world["TH"]])  # fmt: skip


@pytest.fixture
def project(db):
    return Project.objects.create(code="TH-CHV", title="Community health volunteers",
                                  type="promotion", countries=["TH"])  # fmt: skip


@pytest.fixture
def elsewhere(db):
    return Project.objects.create(code="HN-ROUTE", title="Along the route", type="promotion",
                                  countries=["HN"])  # fmt: skip


@pytest.fixture
def training(project):
    return Event.objects.create(project=project, kind="training", title="CHV training, Mae Sot",
                                start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 4), country="TH")  # fmt: skip


def _activity(**changes):
    data = {"title": "Train 40 volunteers", "owner": "Mae Tao Clinic",
            "planned_start": dt.date(2026, 1, 5), "planned_end": dt.date(2026, 3, 31),
            "status": "planned", "actual_start": None, "actual_end": None}  # fmt: skip
    return data | changes


def test_the_manager_adds_and_changes_an_activity_on_its_page(client, manager, project):
    client.force_login(manager)
    page = client.get("/programmes/projects/TH-CHV/").content.decode()
    assert "/programmes/projects/TH-CHV/workplan/" in page
    form = client.get("/programmes/projects/TH-CHV/workplan/new/").content.decode()
    assert f'value="{dt.date.today().isoformat()}"' in form  # planned start: today

    refused = client.post("/programmes/projects/TH-CHV/workplan/new/", {
        "title": "Train 40 volunteers", "owner": "Mae Tao Clinic", "planned_start": "2026-03-31",
        "planned_end": "2026-01-05", "status": "planned"})  # fmt: skip
    html = refused.content.decode()
    assert refused.status_code == 200 and 'class="error-summary"' in html
    assert 'href="#id_planned_end"' in html and "cannot be before the planned start" in html
    assert 'value="Mae Tao Clinic"' in html  # what was typed is kept
    assert not WorkplanActivity.objects.exists()

    saved = client.post("/programmes/projects/TH-CHV/workplan/new/", {
        "title": "Train 40 volunteers", "owner": "Mae Tao Clinic", "planned_start": "2026-01-05",
        "planned_end": "2026-03-31", "status": "planned"})  # fmt: skip
    activity = WorkplanActivity.objects.get()
    assert saved.status_code == 302 and saved["Location"].endswith(f"#activity-{activity.pk}")
    listing = client.get("/programmes/projects/TH-CHV/workplan/").content.decode()
    assert "Train 40 volunteers" in listing and f"/workplan/{activity.pk}/" in listing

    edit = f"/programmes/projects/TH-CHV/workplan/{activity.pk}/"
    assert 'value="Train 40 volunteers"' in client.get(edit).content.decode()
    done = client.post(edit, {"title": "Train 40 volunteers", "planned_start": "2026-01-05",
                              "planned_end": "2026-03-31", "status": "done"})  # fmt: skip
    assert "A done activity needs its actual end." in done.content.decode()
    client.post(edit, {"title": "Train 40 volunteers", "planned_start": "2026-01-05",
                       "planned_end": "2026-03-31", "status": "done", "actual_start": "2026-01-12",
                       "actual_end": "2026-03-20"})  # fmt: skip
    activity.refresh_from_db()
    assert activity.status == "done" and activity.actual_end == dt.date(2026, 3, 20)
    assert WorkplanActivity.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"planned_start": None}, "planned_start"),
        ({"planned_end": dt.date(2025, 12, 31)}, "planned_end"),
        ({"actual_end": dt.date(2026, 2, 1)}, "actual_start"),
        ({"actual_start": dt.date(2026, 2, 2), "actual_end": dt.date(2026, 2, 1)}, "actual_end"),
        ({"actual_start": dt.date.today() + dt.timedelta(days=3)}, "actual_start"),
        ({"status": "finished"}, "status"),
        ({"owner": "x" * 201}, "owner"),
    ],
)
def test_an_activity_that_cannot_be_is_refused_naming_the_field(manager, project, changes, field):
    with pytest.raises(ValidationError) as refused:
        services.save_activity(manager, project, _activity(**changes))
    assert field in refused.value.message_dict
    assert not WorkplanActivity.objects.exists()


def test_the_manager_records_and_corrects_attendance(client, manager, training):
    partner = Organisation.objects.create(name="Mae Tao Clinic")
    client.force_login(manager)
    assert (
        f"/programmes/events/{training.pk}/attendance/"
        in client.get("/programmes/projects/TH-CHV/").content.decode()
    )
    assert "CHV training, Mae Sot" in client.get("/programmes/events/").content.decode()
    new = f"/programmes/events/{training.pk}/attendance/new/"
    assert 'value="TH" selected' in client.get(new).content.decode()  # the event's country

    refused = client.post(
        new, {"count": "0", "sex": "female", "role": "volunteer", "country": "TH"}
    )
    html = refused.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_count"' in html
    assert not Attendance.objects.exists()

    row = {"count": "23", "sex": "female", "role": "volunteer", "country": "TH",
           "organisation": str(partner.pk)}  # fmt: skip
    assert client.post(new, row).status_code == 302
    twice = client.post(new, row | {"count": "4"}).content.decode()
    assert "already has a row for this country, organisation, sex and role" in twice
    assert 'value="4"' in twice
    client.post(new, {"count": "17", "sex": "male", "role": "volunteer", "country": "TH"})
    first = Attendance.objects.get(sex="female")
    client.post(f"/programmes/events/{training.pk}/attendance/{first.pk}/", row | {"count": "25"})
    first.refresh_from_db()
    assert first.count == 25 and first.organisation == partner
    page = client.get(f"/programmes/events/{training.pk}/attendance/").content.decode()
    assert "42 people came." in page
    assert services.trained(training.project) == {"volunteer": 42}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"count": "-3"}, "count"),
        ({"count": "many"}, "count"),
        ({"sex": "f"}, "sex"),
        ({"role": "doctor"}, "role"),
        ({"country": "XX"}, "country"),
        ({"organisation": "999999"}, "organisation"),
    ],
)
def test_attendance_that_cannot_be_is_refused_naming_the_field(manager, training, changes, field):
    row = {"count": "5", "sex": "female", "role": "chw", "country": "TH", "organisation": ""}
    with pytest.raises(ValidationError) as refused:
        services.save_attendance(manager, training, row | changes)
    assert field in refused.value.message_dict
    assert not Attendance.objects.exists()


def test_other_roles_and_other_countries_are_refused(client, manager, people, project, elsewhere,
                                                      training):  # fmt: skip
    route = Event.objects.create(project=elsewhere, kind="workshop", title="Route workshop",
                                 start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 1))  # fmt: skip
    activity = {"title": "Train", "planned_start": "2026-01-05", "planned_end": "2026-03-31",
                "status": "planned"}  # fmt: skip
    row = {"count": "5", "sex": "female", "role": "chw"}
    # A viewer reads the portfolio and changes nothing.
    client.force_login(people["viewer"])
    assert client.get("/programmes/projects/TH-CHV/workplan/").status_code == 200
    assert (
        "/workplan/new/" not in client.get("/programmes/projects/TH-CHV/workplan/").content.decode()
    )
    assert client.post("/programmes/projects/TH-CHV/workplan/new/", activity).status_code == 403
    assert client.post(f"/programmes/events/{training.pk}/attendance/new/", row).status_code == 403
    # A clinician does not even read it.
    client.force_login(people["clinician"])
    assert client.get(f"/programmes/events/{training.pk}/attendance/").status_code == 403
    # The manager of Thailand does not change Honduras's work.
    client.force_login(manager)
    assert client.post("/programmes/projects/HN-ROUTE/workplan/new/", activity).status_code == 403
    assert client.post(f"/programmes/events/{route.pk}/attendance/new/", row).status_code == 403
    page = client.get(f"/programmes/events/{route.pk}/attendance/").content.decode()
    assert "/attendance/new/" not in page
    with pytest.raises(PermissionDenied):
        services.save_attendance(manager, route, row)
    assert not WorkplanActivity.objects.exists() and not Attendance.objects.exists()


def test_an_activity_or_a_row_of_another_project_is_not_found_through_this_one(
    client, manager, project, training
):
    other = Project.objects.create(code="TH-2", title="Other", type="promotion", countries=["TH"])
    theirs = services.save_activity(manager, other, _activity())
    client.force_login(manager)
    assert client.get(f"/programmes/projects/TH-CHV/workplan/{theirs.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.save_activity(manager, project, _activity(), theirs)
