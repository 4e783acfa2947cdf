"""Insider attempts on the administration pages, the programme portfolio's admin pages and the
DHIS2/ADX downloads: each a way round a rule the pages keep, closed."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from mhis.access import administration
from mhis.access.services import create_user
from mhis.indicators import exports, services
from mhis.programmes import services as programme_services
from mhis.programmes.models import (
    ActionPlan,
    Attendance,
    Event,
    Project,
    Result,
    ResultIndicator,
    ResultPeriod,
    WorkplanActivity,
)

from .indicator_world import build

# -- DHIS2 / ADX: an indicator counted by migration status ----------------------------------


def test_an_indicator_counted_by_status_is_not_exported_below_the_first_level(
    world, people, client
):
    """SHP_ENROLMENT_MIGRANTS counts migrants only (its population depends on status): a
    protected table of it is for countries and first-level areas only, and an export is
    protected whoever asks. A clinician of Mae Sot (exact counts on the page) must not get it
    for Mae Sot as a file that leaves MHIS."""
    build(world)
    indicator = services.get("SHP_ENROLMENT_MIGRANTS")
    assert indicator.counts_by_status
    mae_sot = world["MAESOT"]
    assert not exports.exportable(people["clinician"], "SHP_ENROLMENT_MIGRANTS", mae_sot)
    client.force_login(people["clinician"])
    query = {"place": mae_sot.code, "period": "2026-Q1", "every": "quarter"}
    for fmt in ("dhis2", "adx"):
        answer = client.get("/indicators/SHP_ENROLMENT_MIGRANTS/", query | {"format": fmt},
                            follow=True)  # fmt: skip
        assert answer["Content-Type"].startswith("text/html"), fmt
        assert "countries and first-level areas only" in answer.content.decode()


# -- the programme portfolio in the admin pages ------------------------------------------------


@pytest.fixture
def th_manager(world):
    return create_user(username="th_pm", password=None, role="programme_manager",
                       places=[world["TH"]])  # fmt: skip


@pytest.fixture
def honduras(db):
    project = Project.objects.create(code="HN-ROUTE", title="Along the route", type="promotion",
                                     countries=["HN"])  # fmt: skip
    event = Event.objects.create(project=project, kind="workshop", title="Route workshop",
                                 start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 1))  # fmt: skip
    return project, event


def _inline(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{k}": v for k, v in row.items()}
    return data


def test_a_thailand_manager_cannot_change_honduras_work_in_the_admin_pages(
    client, th_manager, honduras
):
    project, event = honduras
    client.force_login(th_manager)
    # The workplan of a Honduras project, through the project's admin page and its inline.
    data = {"code": project.code, "title": "Along the route", "type": "promotion",
            "status": project.status, "coverage": project.coverage,
            "countries": '["HN"]', "gcm_objectives": "[]", "themes": "[]",
            "language": "en", "default_currency": "USD",
            **_inline("participations", []), **_inline("budgets", []),
            **_inline("results", []),
            **_inline("activities", [{"title": "Planted", "planned_start": "2026-01-05",
                                      "planned_end": "2026-03-31",
                                      "status": "planned"}])}  # fmt: skip
    answer = client.post(f"/admin/programmes/project/{project.pk}/change/", data)
    assert answer.status_code == 403
    assert not WorkplanActivity.objects.exists()
    # The attendance of a Honduras event, through the event's admin page and its inline.
    data = {"project": project.pk, "kind": "workshop", "title": "Route workshop",
            "start": "2026-02-01", "end": "2026-02-01",
            **_inline("attendance", [{"count": "9", "sex": "female", "role": "other"}]),
            **_inline("action_plans", [])}  # fmt: skip
    answer = client.post(f"/admin/programmes/event/{event.pk}/change/", data)
    assert answer.status_code == 403
    assert not Attendance.objects.exists()
    # Nor by adding an event to a Honduras project.
    data["title"] = "Another workshop"
    answer = client.post("/admin/programmes/event/add/", data)
    assert answer.status_code == 403
    assert not Event.objects.filter(title="Another workshop").exists()
    # Nor by deleting it from the list, with the action for the selected.
    client.post("/admin/programmes/project/", {"action": "delete_selected", "post": "yes",
                                               "_selected_action": [project.pk]})  # fmt: skip
    assert Project.objects.filter(pk=project.pk).exists()
    # A Thailand project stays theirs to change.
    own = Project.objects.create(code="TH-CHV", title="Volunteers", type="promotion",
                                 countries=["TH"])  # fmt: skip
    assert client.get(f"/admin/programmes/project/{own.pk}/change/").status_code == 200


# -- users with no place -----------------------------------------------------------------------


def test_a_user_with_no_place_is_not_every_administrators_to_take_over(client, world):
    """A user with no place scope (made on the server, or whose scopes an operator removed)
    lies inside nobody's places: no administrator of one area may set their password or give
    them places."""
    tak_admin = create_user(username="tak_admin", password=None, role="administrator",
                            places=[world["TAK"]])  # fmt: skip
    nowhere = create_user(username="hn_director", password=None, role="administrator")
    assert not administration.manageable_users(tak_admin).filter(pk=nowhere.pk).exists()
    client.force_login(tak_admin)
    assert client.get(f"/administration/users/{nowhere.pk}/").status_code == 404
    assert client.post(f"/administration/users/{nowhere.pk}/password/").status_code == 404
    nowhere.refresh_from_db()
    assert not nowhere.must_change_password
    assert "hn_director" not in client.get("/administration/users/").content.decode()


def test_a_thailand_manager_cannot_type_a_honduras_projects_actual(client, th_manager, honduras):
    """The actual of a result period is the project's work, as its workplan is: typed only by
    a manager whose places it lies in, whatever period id is guessed."""
    project, _event = honduras
    result = Result.objects.create(project=project, type="1", title="Reached")
    indicator = ResultIndicator.objects.create(result=result, title="People reached")
    period = ResultPeriod.objects.create(indicator=indicator, start=dt.date(2026, 1, 1),
                                         end=dt.date(2026, 12, 31))  # fmt: skip
    client.force_login(th_manager)
    answer = client.post(f"/programmes/projects/{project.code}/periods/{period.pk}/actual/",
                         {"actual": "999"})  # fmt: skip
    assert answer.status_code == 403
    with pytest.raises(PermissionDenied):
        programme_services.record_actual(th_manager, period, "999")
    period.refresh_from_db()
    assert period.actual is None
    page = client.get(f"/programmes/projects/{project.code}/").content.decode()
    assert f"/periods/{period.pk}/actual/" not in page  # no form for what they cannot change


def test_what_belongs_to_honduras_work_is_not_changed_in_the_admin_pages_either(
    rf, th_manager, honduras
):
    """A result, its indicator (whose periods' actuals are an inline) and an event's action
    plan are the project's or the event's: changed only in the user's places."""
    from django.contrib import admin as django_admin

    project, event = honduras
    result = Result.objects.create(project=project, type="1", title="Reached")
    indicator = ResultIndicator.objects.create(result=result, title="People reached")
    plan = ActionPlan.objects.create(event=event, title="After the workshop")
    request = rf.post("/")
    request.user = th_manager
    for record in (result, indicator, plan):
        model_admin = django_admin.site._registry[type(record)]
        assert model_admin.has_view_permission(request, record)
        assert not model_admin.has_change_permission(request, record), record
        assert not model_admin.has_delete_permission(request, record), record
        for inline in model_admin.get_inline_instances(request, record):
            assert not inline.has_change_permission(request, record), (record, inline)
            assert not inline.has_add_permission(request, record), (record, inline)
    own = Project.objects.create(code="TH-CHV", title="Volunteers", type="promotion",
                                 countries=["TH"])  # fmt: skip
    mine = Result.objects.create(project=own, type="1", title="Trained")
    assert django_admin.site._registry[Result].has_change_permission(request, mine)


def test_a_thailand_manager_cannot_overwrite_a_honduras_project_by_importing_iati(
    client, th_manager, honduras
):
    """An IATI file naming a Honduras project (by its code, or its IATI identifier) would
    replace its title, countries, partners, budgets and results: refused, nothing written."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    project, _event = honduras
    body = (b'<iati-activities version="2.03"><iati-activity>'
            b"<iati-identifier>XM-DAC-47066-EVIL-1</iati-identifier>"
            b'<reporting-org ref="XM-DAC-47066" type="40"/>'
            b'<other-identifier type="A1" ref="HN-ROUTE"/>'
            b"<title><narrative>Taken over</narrative></title>"
            b'<recipient-country code="TH"/>'
            b"</iati-activity></iati-activities>")  # fmt: skip
    client.force_login(th_manager)
    answer = client.post("/programmes/iati/import/",
                         {"file": SimpleUploadedFile("a.xml", body, "text/xml")})  # fmt: skip
    project.refresh_from_db()
    assert (project.title, project.countries, project.iati_identifier) == (
        "Along the route", ["HN"], None)  # fmt: skip
    assert "HN-ROUTE is a project outside your places" in answer.content.decode()
    # Nor a new project for a country not theirs.
    body = body.replace(b"HN-ROUTE", b"HN-NEW").replace(b'"TH"', b'"HN"')
    client.post("/programmes/iati/import/",
                {"file": SimpleUploadedFile("b.xml", body, "text/xml")})  # fmt: skip
    assert not Project.objects.filter(code="HN-NEW").exists()
    # Another publisher's activity naming the project becomes that publisher's activity
    # beside it, never a replacement of it.
    body = body.replace(b"XM-DAC-47066", b"XM-EVIL").replace(b"HN-NEW", b"HN-ROUTE")
    client.post("/programmes/iati/import/",
                {"file": SimpleUploadedFile("c.xml", body, "text/xml")})  # fmt: skip
    project.refresh_from_db()
    assert (project.title, project.countries, project.iati_identifier) == (
        "Along the route", ["HN"], None)  # fmt: skip
    assert not Project.objects.filter(reporting_org_ref="", title="Taken over").exists()
