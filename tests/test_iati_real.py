"""IATI files from real publishers (tests/fixtures/real/iati, see SOURCES.md): each is read
without a server error, other publishers' activities stay theirs (partners' activities, never
in our export), what could not be kept is said per activity, and a re-import changes nothing.
Then the cases the real files do not hold, built from the documented format, the export's
ruleset check, and the round trip (export, import elsewhere, export again)."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F

from mhis.access.services import create_user
from mhis.demo.programmes import build_programmes
from mhis.places.services import create_place
from mhis.programmes import iati, services
from mhis.programmes.models import Budget, Project, Result, ResultIndicator, ResultPeriod

REAL = Path(__file__).resolve().parent / "fixtures" / "real" / "iati"
SCHEMA = Path(__file__).resolve().parent.parent.parent / "shared" / "standards" / "iati-2.03" / "iati-activities-schema.xsd"  # fmt: skip
FILES = sorted(p.name for p in REAL.glob("*.xml"))


def read(name: str, user=None) -> iati.ImportReport:
    return iati.import_activities((REAL / name).read_bytes(), user)


def kept(report) -> dict:
    return {a.identifier: a for a in report.activities if not a.refused}


def project(identifier: str) -> Project:
    return Project.objects.get(iati_identifier=identifier)


def test_the_corpus_holds_at_least_five_publishers_each_named_in_sources():
    sources = (REAL / "SOURCES.md").read_text()
    publishers = set()
    for name in FILES:
        assert f"`{name}`" in sources, f"{name} is not described in SOURCES.md"
        publishers |= set(re.findall(r'<reporting-org[^>]*ref="([^"]+)"', (REAL / name).read_text()))  # fmt: skip
    assert len(publishers) >= 5, publishers


@pytest.mark.parametrize("name", FILES)
def test_every_real_file_imports_without_a_server_error_and_again_changes_nothing(db, name):
    first = read(name)
    assert first.activities, name
    for activity in first.activities:  # each kept, or refused with why
        assert activity.refused or Project.objects.filter(code=activity.code).exists()
    partners = iati.partners().count()
    assert partners == first.partners  # every publisher here is another one than us
    assert iati.ours().count() == 0
    before = sorted(Project.objects.values_list("code", "title", "updated_at"))
    again = read(name)
    assert again.created == 0 and again.updated == first.created + first.updated
    assert [a.refused for a in again.activities] == [a.refused for a in first.activities]
    assert sorted(Project.objects.values_list("code", "title")) == [b[:2] for b in before]


def test_dfid_revised_budgets_stay_revisions_and_the_activities_stay_dfids(db):
    report = read("dfid-cd.xml")
    assert report.partners == 3 and report.refused == 0
    item = project("GB-1-203445-110")
    assert (item.reporting_org_ref, item.reporting_org_name) == ("GB-GOV-1", "Department for International Development")  # fmt: skip
    assert item.is_partner and item.countries == ["CD"]
    assert item.sectors == [{"vocabulary": "1", "code": "12220", "percentage": "", "name": "Basic health care"}]  # fmt: skip
    assert {b.type for b in item.budgets.all()} == {"2"}  # revised, as published
    assert "transaction ×3" in kept(report)["GB-1-203445-110"].unmapped
    # Not ours: not in our portfolio's totals, not in our IATI export.
    assert services.portfolio().projects == 0
    assert b"GB-1-203445-110" not in iati.export()


def test_usaid_sectors_given_on_transactions_only_are_said_not_kept(db):
    report = read("usaid-cd.xml")
    activity = kept(report)["US-GOV-1-720FDA18CA00052"]
    assert "sectors given on transactions only (10:7, 1:72050, 99:7001)" in activity.unmapped
    assert "transaction ×12" in activity.unmapped
    assert "tec1 (https://explorer.usaid.gov)" in activity.unmapped  # USAID's own extension
    assert project("US-GOV-1-720FDA18CA00052").sectors == []  # nothing invented
    assert activity.partner == "U.S. Agency for International Development"


def test_cerf_qualitative_indicators_stay_qualitative_and_shares_stay_as_given(db):
    read("cerf-projectsfunded2019.xml")
    item = project("XM-OCHA-CERF-19-RR-WHO-002")
    assert item.humanitarian is True and item.hierarchy == 1
    assert item.country_shares == {"RW": "100"}
    measures = {i.measure for r in item.results.all() for i in r.indicators.all()}
    assert measures == {"5"}


def test_unicef_sectors_of_every_vocabulary_regions_and_identifiers_with_slashes(db, client, world):
    report = read("unicef-sierraleone.xml")
    identifier = "XM-DAC-41122-Sierra Leone-3900/A0/06/001/013"
    activity = kept(report)[identifier]
    item = project(identifier)
    assert activity.code == item.code == "XM-DAC-41122-Sierra-Leone-3900-A0-06-001-013"
    assert [(s["vocabulary"], s["code"], s["percentage"]) for s in item.sectors] == [
        ("99", "21-06-01", "7"), ("99", "21-07-08", "93"), ("1", "13040", "100"), ("7", "3", "100")]  # fmt: skip
    assert item.regions == [{"code": "298", "vocabulary": "1", "percentage": "0"}]
    assert item.country_shares == {"SL": "100"}
    user = create_user(username="m", password=None, role="programme_manager", places=[world["TH"]])
    client.force_login(user)
    page = client.get(f"/programmes/projects/{item.code}/").content.decode()
    assert "A partner's activity, published by UNICEF (XM-DAC-41122)" in page
    assert 'name="actual"' not in page  # their actuals are theirs to report


def test_afdb_decimal_comma_read_words_kept_as_words_and_french_kept(db):
    report = read("afdb-guinea.xml")
    activity = kept(report)["46002-P-GN-IBE-002"]
    assert "actual: “12254,1” read as 12254.1" in activity.unmapped
    assert "target “All the relevant committees are inplace” is not a number: kept as text" in activity.unmapped  # fmt: skip
    item = project("46002-P-GN-IBE-002")
    periods = [q for r in item.results.all() for i in r.indicators.all() for q in i.periods.all()]
    assert Decimal("12254.10") in {q.actual for q in periods}
    assert "All the relevant committees are inplace" in {q.target_text for q in periods}
    assert list(item.translations["title"]) == ["fr"]
    with pytest.raises(ValidationError, match="partner's activity: its publisher reports its actuals"):  # fmt: skip
        guinea = create_place(code="GN", name="Guinea", kind="country")
        editor = create_user(
            username="gn", password=None, role="programme_manager", places=[guinea]
        )
        services.record_actual(editor, periods[0], "3")


def test_sida_swedish_title_and_description_are_kept_beside_the_english(db):
    read("sida-gn.xml")
    item = project("SE-0-SE-29-2016-05625_3-243-43082")
    assert item.language == "en" and set(item.translations) == {"title", "description"}
    assert list(item.translations["title"]) == ["sv"] and item.translations["title"]["sv"] != item.title  # fmt: skip
    assert item.humanitarian is False


def test_danida_two_activities_sharing_an_other_identifier_are_both_kept(db):
    report = read("danida-all_7.xml")
    assert report.created == 2 and report.refused == 0
    codes = {a.code for a in report.activities}
    assert codes == {"XM-DAC-3-1-284162-33932", "XM-DAC-3-1-284740-33987"}
    assert {(b.type, b.status) for b in Budget.objects.all()} == {("1", "2")}  # committed


def test_eu_committed_budgets_stay_committed(db):
    read("ec-devco-cg.xml")
    item = project("XI-IATI-EC_DEVCO-2008/190-916")
    assert item.code == "XI-IATI-EC_DEVCO-2008-190-916"
    assert [(b.type, b.status) for b in item.budgets.all()] == [("1", "2")]
    assert item.humanitarian is False and item.hierarchy == 2


def test_ocha_pooled_fund_keeps_both_sector_vocabularies(db):
    report = read("unocha-cbpf-southsudan-2018.xml")
    activity = kept(report)["XM-OCHA-CBPF-SSD-18/HSS10/RA1/H/INGO/11268"]
    assert "descriptions of type 2" in activity.unmapped
    item = project("XM-OCHA-CBPF-SSD-18/HSS10/RA1/H/INGO/11268")
    assert {s["vocabulary"] for s in item.sectors} == {"99", "1"}
    assert {b.status for b in item.budgets.all()} == {"2"}


def test_spain_a_region_given_as_a_country_is_said_not_kept(db):
    report = read("maec-298.xml")
    activity = kept(report)["ES-DIR3-E04585801-009-085581"]
    assert "recipient-country “298”" in activity.unmapped
    assert project("ES-DIR3-E04585801-009-085581").regions == [{"code": "298", "vocabulary": "1", "percentage": ""}]  # fmt: skip


def test_a_dportal_extract_refuses_only_its_version_1_activities(db):
    report = read("dportal-mixed.xml")
    assert list(kept(report)) == ["GB-CHC-202918-MLIB06"]
    refused = {a.identifier: a.refused for a in report.activities if a.refused}
    assert refused == {
        "NO-BRC-977538319_X9SM1403": "IATI version 1.03 is not read; give 2.0x.",
        "CH-4-2015002496": "IATI version 1.03 is not read; give 2.0x.",
    }
    # Oxfam's own sector vocabulary, with its shares, as published.
    assert [s["percentage"] for s in project("GB-CHC-202918-MLIB06").sectors] == ["20", "25", "40", "15"]  # fmt: skip


def test_the_iati_standard_example_keeps_languages_dimensions_flags_and_shares(client, world):
    report = read("iati-standard-example-2.03.xml")
    (activity,) = report.activities
    assert activity.partner == "Organisation name" and not activity.refused
    assert "policy-marker ×3" in activity.unmapped and "transaction" in activity.unmapped
    item = project("AA-AAA-123456789-ABC123")
    assert (item.humanitarian, item.hierarchy) == (True, 1)
    assert item.translations["title"] == {"fr": "Titre de l'activité", "es": "Título de la actividad"}  # fmt: skip
    assert item.country_shares == {"AF": "25", "AG": "25"}
    assert [r["percentage"] for r in item.regions] == ["25", "25"]
    assert [(s["vocabulary"], s["code"], s["percentage"]) for s in item.sectors] == [
        ("2", "111", "50"), ("2", "112", "50"), ("99", "A1", "100")]  # fmt: skip
    (period,) = [q for r in item.results.all() for i in r.indicators.all() for q in i.periods.all()]
    assert period.breakdown == [
        {"kind": "target", "value": "10", "dimensions": [["sex", "female"], ["age", "adult"]]},
        {"kind": "actual", "value": "11", "dimensions": [["sex", "female"], ["age", "adult"]]},
    ]
    client.force_login(create_user(username="pm", password=None, role="programme_manager", places=[world["TH"]]))  # fmt: skip
    page = client.get(f"/programmes/projects/{item.code}/").content.decode()
    assert "target 10 · sex: female · age: adult" in page and 'lang="fr"' in page
    assert "AF 25 %, AG 25 %" in page


@pytest.fixture
def far_manager(world):
    places = [create_place(code=c, name=c, kind="country") for c in ("CD", "GN")]
    return create_user(username="far", password=None, role="programme_manager", places=places)


@pytest.mark.parametrize("name", FILES)
def test_every_real_file_through_the_page_gives_a_report_not_an_error(client, far_manager, name):
    client.force_login(far_manager)
    with (REAL / name).open("rb") as handle:
        response = client.post("/programmes/iati/import/", {"file": handle})
    page = response.content.decode()
    assert response.status_code == 200 and "Traceback" not in page
    assert 'id="import-report"' in page
    for project_ in Project.objects.all():  # only what lies in the user's places was kept
        assert set(project_.countries) <= {"CD", "GN"}
    if "sida" in name or "dfid" in name:
        assert Project.objects.exists()
    if "cerf" in name:  # Rwanda, South Sudan, Burundi: outside this user's places
        assert page.count("is a project outside your places") == 3


# -- cases the real files do not hold, built from the IATI 2.03 activity standard ---------------

HEAD = b'<?xml version="1.0"?><iati-activities version="2.03">'


def activity(identifier: str, body: str, org: str = "XI-IATI-EXAMPLE") -> bytes:
    return f"""<iati-activity default-currency="EUR" xml:lang="en">
 <iati-identifier>{identifier}</iati-identifier>
 <reporting-org ref="{org}" type="10"><narrative>Example publisher</narrative></reporting-org>
 <title><narrative>Activity {identifier}</narrative></title>
 <recipient-country code="CD"/>{body}</iati-activity>""".encode()


def test_negative_budgets_thousands_commas_and_a_duplicated_activity_do_not_break_the_file(db):
    body = """
 <budget type="1" status="1"><period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/><value value-date="2024-01-01">-500</value></budget>
 <budget type="1" status="1"><period-start iso-date="2025-01-01"/><period-end iso-date="2025-12-31"/><value value-date="2025-01-01">700</value></budget>
 <result type="1"><title><narrative>Reached</narrative></title><indicator measure="1"><title><narrative>People</narrative></title>
  <period><period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/><target value="50,000"/><actual value="12254,1"/></period>
  <period><period-start iso-date="2025-12-31"/><period-end iso-date="2025-01-01"/><target value="1"/></period></indicator></result>"""
    data = HEAD + activity("XI-IATI-EXAMPLE-1", body) + activity("XI-IATI-EXAMPLE-1", "") + b"</iati-activities>"  # fmt: skip
    report = iati.import_activities(data)
    first, second = report.activities
    assert first.created and not first.refused
    assert "budget 2024-01-01 – 2024-12-31: a negative amount (-500) is not kept" in first.unmapped
    assert "target: “50,000” read as 50000" in first.unmapped
    assert "actual: “12254,1” read as 12254.1" in first.unmapped
    assert "result period without a start and an end in order" in first.unmapped
    assert second.refused == "The file gives this activity twice: the first was kept."
    item = project("XI-IATI-EXAMPLE-1")
    assert [b.amount for b in item.budgets.all()] == [Decimal("700.00")]
    (period,) = [q for r in item.results.all() for i in r.indicators.all() for q in i.periods.all()]
    assert (period.target, period.actual) == (Decimal("50000.00"), Decimal("12254.10"))


def test_our_own_activities_sharing_an_other_identifier_are_both_kept(db):
    ours = iati.reporting_org()["ref"]
    same = (
        '<other-identifier ref="SHARED" type="A1"/><activity-date type="1" iso-date="2024-01-01"/>'
    )
    data = HEAD + activity(f"{ours}-A", same, ours) + activity(f"{ours}-B", same, ours) + b"</iati-activities>"  # fmt: skip
    report = iati.import_activities(data)
    assert [a.code for a in report.activities] == ["SHARED", "SHARED-2"]
    assert [a.partner for a in report.activities] == ["", ""]  # ours, so exported again
    assert iati.ours().count() == 2


def test_another_publisher_cannot_replace_one_of_our_projects(db):
    build_programmes()
    iati.export()
    identifier = Project.objects.get(code="MA.0293").iati_identifier
    data = HEAD + activity(identifier, "") + b"</iati-activities>"
    (refused,) = iati.import_activities(data).activities
    assert refused.refused.startswith("MA.0293 is one of our projects")
    assert not Project.objects.get(code="MA.0293").is_partner


def test_a_revised_budget_replaces_its_original_in_the_totals(db):
    body = """
 <budget type="1" status="2"><period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/><value currency="USD" value-date="2024-01-01">1000</value></budget>
 <budget type="2" status="2"><period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/><value currency="USD" value-date="2024-06-01">1200</value></budget>
 <budget type="2" status="2"><period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/><value currency="USD" value-date="2024-09-01">1100</value></budget>
 <budget type="1" status="1"><period-start iso-date="2025-01-01"/><period-end iso-date="2025-12-31"/><value currency="USD" value-date="2025-01-01">500</value></budget>"""
    iati.import_activities(HEAD + activity("XI-IATI-EXAMPLE-2", body) + b"</iati-activities>")
    item = project("XI-IATI-EXAMPLE-2")
    assert item.budgets.count() == 4  # every line kept as published
    summary = services.portfolio([item])
    assert summary.total == Decimal("1600.00")  # the latest revision of 2024, and 2025
    assert summary.by["year"]["2024"]["budget"] == Decimal("1100.00")


# -- the export: checked against the IATI Standard ruleset before it is offered ------------------


def test_the_export_names_each_ruleset_failure_per_project_and_field(db, client, world):
    today = dt.date.today()
    good = Project.objects.create(code="GOOD", title="Good", type="policy", countries=["TH"],
                                  planned_start=dt.date(2024, 1, 1))  # fmt: skip
    bad = Project.objects.create(code="BAD", title="Bad", type="policy",
                                 planned_start=dt.date(2025, 6, 1), planned_end=dt.date(2025, 1, 1),
                                 actual_start=today + dt.timedelta(days=30),
                                 countries=["TH", "KH"], country_shares={"TH": "60", "KH": "30"})  # fmt: skip
    Budget.objects.create(project=bad, period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 12, 31),
                          amount=Decimal(10), currency="USD", value_date=dt.date(2024, 1, 1))  # fmt: skip
    nowhere = Project.objects.create(code="NOWHERE", title="No place, no start", type="policy")
    with pytest.raises(ValidationError) as refused:
        iati.export()
    failures = refused.value.messages
    assert failures == [
        "BAD — recipient-country/@percentage: the shares of the countries and regions must add up to 100 (they add up to 90).",
        "BAD — activity-date: the planned end is before the planned start.",
        f"BAD — activity-date: the actual start ({bad.actual_start.isoformat()}) is in the future: give it as planned.",
        "BAD — budget: 2024-01-01 – 2025-12-31: a budget period is at most one year; give one line a year.",
        "NOWHERE — recipient-country: give a benefiting country or region (recipient-region).",
        "NOWHERE — activity-date: give a planned or an actual start.",
    ]
    assert Project.objects.get(pk=good.pk).iati_identifier is None  # nothing published
    assert b"GOOD" in iati.export([good])  # the good one alone passes
    nowhere.regions = [{"code": "998", "vocabulary": "1", "percentage": ""}]
    nowhere.planned_start = dt.date(2024, 1, 1)
    nowhere.save()
    assert b"<recipient-region" in iati.export([nowhere])
    manager = create_user(username="pm", password=None, role="programme_manager", places=[world["TH"]])  # fmt: skip
    client.force_login(manager)
    page = client.get("/programmes/iati/activities.xml")
    assert page.status_code == 400
    assert "BAD — activity-date: the planned end is before the planned start." in page.content.decode()  # fmt: skip


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"the IATI 2.03 schema is not at {SCHEMA} (../shared/standards)")  # fmt: skip
def test_the_demo_portfolio_passes_the_ruleset_and_partners_are_never_exported(world):
    import xmlschema

    build_programmes()
    assert iati.check() == []  # the demo projects, the global one with its region
    for name in FILES:
        read(name)
    data = iati.export()
    xmlschema.XMLSchema(str(SCHEMA)).validate(data.decode("utf-8"))
    text = data.decode("utf-8")
    ours = iati.reporting_org()["ref"]
    assert text.count("<iati-activity ") == iati.ours().count() == text.count(f'<reporting-org ref="{ours}"')  # fmt: skip
    for partner in iati.partners():
        assert partner.iati_identifier not in text


# -- the round trip: export, import elsewhere, export again --------------------------------------


def test_round_trip_export_import_elsewhere_export_again_changes_only_the_update_times(world):
    """What changes, exactly: each activity's last-updated-datetime, as the projects are
    written anew where they are read (here an hour later). Identifiers, reporting
    organisation, sectors, budgets with their type and status, shares, regions, flags, other
    languages, qualitative targets and targets by dimension come back the same."""
    import xmlschema

    build_programmes()
    rich = Project.objects.get(code="MEKONG-CONF")  # five countries
    rich.translations = {"title": {"th": "การประชุมสุขภาพแรงงานข้ามชาติ"}, "description": {"fr": "Ateliers."}}  # fmt: skip
    rich.humanitarian, rich.hierarchy = False, 1
    rich.country_shares = {"KH": "10", "LA": "10", "MM": "20", "TH": "50", "VN": "10"}
    rich.sectors = [{"vocabulary": "1", "code": "12110", "percentage": "60", "name": ""},
                    {"vocabulary": "1", "code": "12220", "percentage": "40", "name": ""}]  # fmt: skip
    rich.save()
    Budget.objects.create(project=rich, period_start=dt.date(2014, 1, 1), period_end=dt.date(2014, 12, 31),
                          amount=Decimal("1000"), currency="USD", value_date=dt.date(2014, 1, 1),
                          type="2", status="2")  # fmt: skip
    result = Result.objects.create(project=rich, type="1", title="Policy commitments")
    qualitative = ResultIndicator.objects.create(result=result, title="Commitment", measure="5")
    ResultPeriod.objects.create(indicator=qualitative, start=dt.date(2014, 3, 1), end=dt.date(2014, 6, 30),
                                target_text="A declaration signed", actual_text="Signed in June")  # fmt: skip
    counted = ResultIndicator.objects.create(result=result, title="Officials trained")
    ResultPeriod.objects.create(indicator=counted, start=dt.date(2014, 3, 1), end=dt.date(2014, 6, 30),
                                target=Decimal(40), breakdown=[
                                    {"kind": "target", "value": "25", "dimensions": [["sex", "female"]]}])  # fmt: skip
    for name in FILES:  # partners' activities on the first side: never in either export
        read(name)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = iati.export(now=now).decode("utf-8")
    Project.objects.all().delete()  # "elsewhere": an empty portfolio
    report = iati.import_activities(first.encode())
    assert report.refused == 0 and report.partners == 0
    assert all(a.unmapped == [] for a in report.activities), [a.unmapped for a in report.activities]
    Project.objects.update(updated_at=F("updated_at") + dt.timedelta(hours=1))  # read later
    second = iati.export(now=now).decode("utf-8")
    updated = re.compile(r'last-updated-datetime="[^"]*"')
    changed = [
        (a, b) for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b
    ]
    assert changed and all(updated.sub("", a) == updated.sub("", b) for a, b in changed)
    assert len(changed) == first.count("<iati-activity ")
    if SCHEMA.is_file():
        xmlschema.XMLSchema(str(SCHEMA)).validate(second)
    back = Project.objects.get(code="MEKONG-CONF")
    assert (back.translations, back.country_shares, back.sectors) == (rich.translations, rich.country_shares, rich.sectors)  # fmt: skip
    assert {(b.type, b.status) for b in back.budgets.all()} == {("2", "2")}
    periods = {
        q.indicator.title: q for q in ResultPeriod.objects.filter(indicator__result__project=back)
    }
    assert (periods["Commitment"].target_text, periods["Commitment"].actual_text) == ("A declaration signed", "Signed in June")  # fmt: skip
    assert periods["Officials trained"].breakdown == [{"kind": "target", "value": "25", "dimensions": [["sex", "female"]]}]  # fmt: skip


def test_activities_read_from_others_before_this_change_leave_our_export(db):
    from importlib import import_module

    from django.apps import apps

    ours = iati.reporting_org()["ref"]
    Project.objects.create(code="OURS", title="Ours", type="policy", countries=["TH"],
                           planned_start=dt.date(2024, 1, 1), iati_identifier=f"{ours}-OURS")  # fmt: skip
    Project.objects.create(code="GB-1-203445-110", title="Theirs", type="policy", countries=["CD"],
                           planned_start=dt.date(2024, 1, 1), iati_identifier="GB-1-203445-110")  # fmt: skip
    import_module("mhis.programmes.migrations.0003_mark_earlier_imported_partners_activities").mark(apps, None)  # fmt: skip
    assert list(iati.ours().values_list("code", flat=True)) == ["OURS"]
    assert b"GB-1-203445-110" not in iati.export()
    read("dfid-cd.xml")  # read again: the publisher is filled in, the same project updated
    assert project("GB-1-203445-110").reporting_org_ref == "GB-GOV-1"
    assert Project.objects.filter(title="Theirs").count() == 0  # its title is DFID's now
