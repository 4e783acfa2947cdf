"""The portfolio: IATI 2.03 export valid against the schema and read back into the same
projects, results filled from MHIS indicators with suppression, the compendium's search in
any language, and budget totals across currencies."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from mhis.access.services import create_user
from mhis.demo.programmes import build_programmes
from mhis.programmes import iati, services
from mhis.programmes.models import (
    Budget,
    ExchangeRate,
    Practice,
    Project,
    Result,
    ResultIndicator,
    ResultPeriod,
)

SCHEMA = Path(__file__).resolve().parent.parent.parent / "shared" / "standards" / "iati-2.03" / "iati-activities-schema.xsd"  # fmt: skip


@pytest.fixture
def manager(world):
    return create_user(username="manager", password=None, role="programme_manager",
                       places=[world["TH"], world["HN"]])  # fmt: skip


def snapshot() -> dict:
    """Everything a project says, keyed by its code, without database ids."""
    out = {}
    for p in Project.objects.prefetch_related("budgets", "participations__organisation", "documents",
                                              "results__indicators__periods"):  # fmt: skip
        out[p.code] = {
            "fields": [p.iati_identifier, p.title, p.type, p.status, p.planned_start, p.planned_end,
                       p.actual_start, p.actual_end, p.coverage, p.region, p.countries, sorted(p.themes),
                       sorted(p.gcm_objectives), p.default_currency, p.language],
            "budgets": sorted((b.period_start, b.period_end, b.amount, b.currency, b.value_date) for b in p.budgets.all()),
            "partners": sorted((x.organisation.name, x.role) for x in p.participations.all()),
            "documents": sorted((d.url, d.title, d.category) for d in p.documents.all()),
            "results": sorted(
                (r.type, r.title, i.title, i.measure, i.ascending, i.baseline_year, i.mhis_indicator,
                 tuple((q.start, q.end, q.target, q.actual) for q in i.periods.all()))
                for r in p.results.all() for i in r.indicators.all()
            ),
        }  # fmt: skip
    return out


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"the IATI 2.03 schema is not at {SCHEMA} (../shared/standards)")  # fmt: skip
def test_the_demo_portfolio_exports_valid_iati_and_reads_back_into_the_same_projects(world):
    import xmlschema

    build_programmes()
    data = iati.export()
    xmlschema.XMLSchema(str(SCHEMA)).validate(data.decode("utf-8"))  # raises naming the element
    before = snapshot()
    assert len(before) == Project.objects.count() >= 8

    report = iati.import_activities(data)  # over the same projects: nothing new
    assert report.created == 0 and report.updated == len(before)
    assert snapshot() == before

    Project.objects.all().delete()  # into an empty portfolio: the same projects again
    report = iati.import_activities(data)
    assert report.created == len(before)
    assert snapshot() == before
    assert all(a.unmapped == [] for a in report.activities), [a.unmapped for a in report.activities]


def test_identifiers_stay_once_published(world):
    build_programmes()
    iati.export()
    project = Project.objects.get(code="MA.0293")
    assert project.iati_identifier == "XM-DAC-47066-MA.0293"
    project.code = "MA.0293-B"
    project.save()
    iati.export()
    project.refresh_from_db()
    assert project.iati_identifier == "XM-DAC-47066-MA.0293"


def test_a_donors_file_is_read_and_what_is_not_mapped_is_reported(db):
    donor = b"""<?xml version="1.0"?>
<iati-activities version="2.03"><iati-activity default-currency="EUR" xml:lang="en">
 <iati-identifier>XI-IATI-EC_INTPA-2024-123</iati-identifier>
 <reporting-org ref="XI-IATI-EC_INTPA" type="15"><narrative>European Commission</narrative></reporting-org>
 <title><narrative>Migrant health in the Sahel</narrative></title>
 <description><narrative>Primary care for people on the move.</narrative></description>
 <participating-org role="1" ref="XI-IATI-EC_INTPA" type="15"><narrative>European Commission</narrative></participating-org>
 <activity-status code="2"/><activity-date type="1" iso-date="2024-01-01"/>
 <recipient-country code="NE"/><location><name><narrative>Agadez</narrative></name></location>
 <budget type="1" status="1"><period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/><value currency="EUR" value-date="2024-01-01">750000</value></budget>
 <transaction><transaction-type code="3"/><transaction-date iso-date="2024-03-01"/><value value-date="2024-03-01">1000</value></transaction>
</iati-activity></iati-activities>"""
    report = iati.import_activities(donor)
    (activity,) = report.activities
    assert activity.created and set(activity.unmapped) == {"location", "transaction"}
    project = Project.objects.get(iati_identifier="XI-IATI-EC_INTPA-2024-123")
    assert project.countries == ["NE"] and project.budgets.get().amount == Decimal("750000")
    assert iati.import_activities(donor).created == 0  # read again: the same project
    with pytest.raises(ValidationError, match=r"declares entities"):
        iati.import_activities(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><iati-activities version="2.03">&a;</iati-activities>')  # fmt: skip


def test_a_result_linked_to_an_mhis_indicator_shows_the_computed_actual_suppressed_where_small(
    manager, world, register
):
    from mhis.indicators import services as indicators
    from mhis.indicators.cellkey import SPREAD
    from mhis.indicators.services import forget

    project = Project.objects.create(code="P1", title="Registration drive", type="promotion")
    result = Result.objects.create(project=project, type="2", title="People registered")
    indicator = ResultIndicator.objects.create(result=result, title="People registered (records)",
                                               mhis_indicator="PEOPLE_REGISTERED", place=world["TH"])  # fmt: skip
    this_year = dt.date.today().year
    period = ResultPeriod.objects.create(indicator=indicator, start=dt.date(this_year, 1, 1),
                                         end=dt.date(this_year, 12, 31), target=Decimal(10))  # fmt: skip
    for _ in range(3):
        register()
    shown = services.actual(manager, period)
    # A programme manager does not see the people: the actual is protected like any aggregate.
    assert shown.computed
    assert (shown.text == "<5" and shown.suppressed) or abs(shown.value - 3) <= SPREAD
    for _ in range(4):
        register()
    forget("registration", [dt.date.today()])
    shown = services.actual(manager, period)
    published = indicators.published(manager, "PEOPLE_REGISTERED", [str(this_year)], world["TH"])
    [cell] = published.cells
    assert shown.suppressed == cell.hidden and shown.value == cell.value
    assert shown.suppressed or abs(shown.value - 7) <= SPREAD
    outsider = create_user(username="kh_manager", password=None, role="programme_manager", places=[world["KH"]])  # fmt: skip
    assert services.actual(outsider, period).text == "outside your places"


def test_the_compendium_finds_practices_by_a_spanish_and_an_english_word(db):
    Practice.objects.create(title="Vacunación en la frontera", country="HN", theme="access",
                            description="Jornadas de vacunación para personas migrantes retornadas.")  # fmt: skip
    Practice.objects.create(title="Health corners in workplaces", country="TH", theme="access",
                            description="Multilingual health information where migrants work.")  # fmt: skip
    Practice.objects.create(title="มุมสุขภาพ", country="TH", description="มุมสุขภาพแรงงานข้ามชาติในสถานประกอบการ")  # fmt: skip
    titles = lambda q: [p.title for p in services.search_practices(q)]  # noqa: E731
    assert titles("vacunacion") == ["Vacunación en la frontera"]  # accents do not matter
    assert titles("VACUNACIÓN retornadas") == ["Vacunación en la frontera"]
    assert titles("workplaces") == ["Health corners in workplaces"]
    assert titles("แรงงานข้ามชาติ") == ["มุมสุขภาพ"]  # a word inside unspaced Thai
    assert titles("vacunación workplaces") == []  # every word must be there


def test_budget_totals_equal_the_sum_of_project_budgets_across_currencies(
    db, client, world, manager
):
    ExchangeRate.objects.create(currency="EUR", on=dt.date(2024, 1, 1), rate=Decimal("1.10"))
    ExchangeRate.objects.create(currency="EUR", on=dt.date(2025, 1, 1), rate=Decimal("1.20"))
    ExchangeRate.objects.create(currency="JPY", on=dt.date(2020, 1, 1), rate=Decimal("0.0070"))
    lines = [("A", "1000.00", "USD", dt.date(2024, 6, 1)), ("B", "500.00", "EUR", dt.date(2024, 6, 1)),
             ("B", "500.00", "EUR", dt.date(2025, 6, 1)), ("C", "100000", "JPY", dt.date(2025, 3, 1))]  # fmt: skip
    for code, amount, currency, on in lines:
        project, _ = Project.objects.get_or_create(code=code, defaults={"title": code, "type": "policy",
                                                                        "countries": ["TH"]})  # fmt: skip
        Budget.objects.create(project=project, period_start=on.replace(month=1, day=1),
                              period_end=on.replace(month=12, day=31), amount=Decimal(amount),
                              currency=currency, value_date=on)  # fmt: skip
    summary = services.portfolio()
    # 1000 + 500 × 1.10 + 500 × 1.20 + 100000 × 0.0070
    assert summary.total == Decimal("2850.00")
    assert sum(c["budget"] for c in summary.by["year"].values()) == summary.total
    assert sum(c["budget"] for c in summary.by["type"].values()) == summary.total
    assert summary.by["year"]["2025"]["budget"] == Decimal("1300.00")
    client.force_login(manager)
    page = client.get("/programmes/").content.decode()
    assert "3 projects, USD 2,850.00" in page
    Budget.objects.create(project=Project.objects.get(code="A"), period_start=dt.date(2024, 1, 1),
                          period_end=dt.date(2024, 12, 31), amount=Decimal(5), currency="XOF",
                          value_date=dt.date(2024, 1, 1))  # fmt: skip
    assert services.portfolio().missing_rates == ["XOF"]


def test_a_typed_actual_is_recorded_on_the_project_page_and_goes_into_iati(
    client, world, manager, people
):
    project = Project.objects.create(code="P2", title="Volunteers", type="promotion", countries=["TH"],
                                     planned_start=dt.date(2026, 1, 1), planned_end=dt.date(2026, 12, 31))  # fmt: skip
    result = Result.objects.create(project=project, type="1", title="Volunteers trained")
    typed = ResultIndicator.objects.create(result=result, title="Volunteers trained")
    period = ResultPeriod.objects.create(indicator=typed, start=dt.date(2026, 1, 1),
                                         end=dt.date(2026, 6, 30), target=Decimal(40))  # fmt: skip
    computed = ResultIndicator.objects.create(result=result, title="People registered",
                                              mhis_indicator="PEOPLE_REGISTERED")  # fmt: skip
    computed_period = ResultPeriod.objects.create(indicator=computed, start=dt.date(2026, 1, 1),
                                                  end=dt.date(2026, 12, 31))  # fmt: skip
    url = f"/programmes/projects/P2/periods/{period.pk}/actual/"
    client.force_login(manager)
    page = client.get("/programmes/projects/P2/").content.decode()
    assert f'action="{url}"' in page
    assert f"/periods/{computed_period.pk}/actual/" not in page  # computed: no form

    refused = client.post(url, {"actual": "about forty"})
    bad = refused.content.decode()
    assert refused.status_code == 422 and "Give a number" in bad
    # In the error summary, linked to the field, which keeps what was typed.
    assert f'<a href="#actual-{period.pk}">' in bad.split('class="error-summary"', 1)[1]
    assert f'id="actual-{period.pk}" name="actual" value="about forty"' in bad
    period.refresh_from_db()
    assert period.actual is None
    client.post(url, {"actual": "1,250.5"})
    period.refresh_from_db()
    assert period.actual == Decimal("1250.50")
    assert (
        '<actual value="1250.5"' in client.get("/programmes/iati/activities.xml").content.decode()
    )
    with pytest.raises(ValidationError) as refused:
        services.record_actual(manager, computed_period, "3")
    assert "actual" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.record_actual(manager, period, "-1")

    client.force_login(people["viewer"])
    assert client.post(url, {"actual": "2"}).status_code == 403
    period.refresh_from_db()
    assert period.actual == Decimal("1250.50")


def test_portfolio_pages_for_the_roles(client, world, manager, people):
    build_programmes()
    client.force_login(manager)
    dashboard = client.get("/programmes/").content.decode()
    # Results against targets: the volunteers trained, 1,321 of 1,200.
    row = dashboard.split("Community health volunteers trained", 1)[1].split("</tr>", 1)[0]
    assert "1,200" in row and "1,321" in row and "110%" in row
    assert "<svg" in client.get("/programmes/projects/GCM-HEALTH/").content.decode()  # timeline
    page = client.get("/programmes/projects/TH-MHP/").content.decode()
    assert "Community health volunteers trained" in page and 'value="1321"' in page
    assert (
        client.get("/programmes/practices/?q=hoja+de+ruta").content.decode().count('class="card"')
        == 1
    )
    export = client.get("/programmes/iati/activities.xml")
    assert export.status_code == 200 and export.content.startswith(b"<?xml")
    client.force_login(people["clinician"])
    assert client.get("/programmes/").status_code == 403


def test_programme_managers_enter_the_portfolio_in_the_admin_pages_and_nothing_else(
    client, manager, people
):
    client.force_login(manager)
    assert client.get("/admin/programmes/project/add/").status_code == 200
    response = client.post("/admin/programmes/exchangerate/add/", {"currency": "EUR", "on": "2025-01-01", "rate": "1.1"})  # fmt: skip
    assert response.status_code == 302 and ExchangeRate.objects.filter(currency="EUR").exists()
    assert client.get("/admin/registry/person/").status_code in (302, 403, 404)
    client.force_login(people["clinician"])
    assert client.get("/admin/programmes/project/").status_code == 302  # to the admin log-in


def test_each_role_lands_on_a_page_it_may_use(client, manager, people):
    client.force_login(manager)
    assert client.get("/").url == "/programmes/"
    client.force_login(people["clinician"])
    assert client.get("/").url == "/people/"


def test_the_command_publishes_and_reads_the_portfolio(world, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    build_programmes()
    path = tmp_path / "activities.xml"
    call_command("iati", "export", out=str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("iati", "import", str(path), stdout=out)
    assert out.getvalue().startswith(f"0 projects created, {Project.objects.count()} updated")
    path.write_bytes(b"<html/>")
    with pytest.raises(CommandError, match="not an IATI activities file"):
        call_command("iati", "import", str(path), stdout=io.StringIO())
