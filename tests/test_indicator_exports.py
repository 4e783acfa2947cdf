"""DHIS2 and ADX exports, dashboards, downloads and the indicators API: valid against the ADX
schema, shaped as DHIS2 reads them, never carrying a small number, and protected for every role
that does not see the people counted."""

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import call_command
from pydantic import BaseModel, ConfigDict, Field

from mhis.access.services import create_user
from mhis.indicators import exports, services
from mhis.indicators.cellkey import SPREAD
from mhis.indicators.definitions import DefinitionError
from mhis.indicators.services import get
from mhis.registry.codes import MigrationStatus, Sex

from .indicator_world import build

SHARED = Path(__file__).resolve().parents[2] / "shared"
ADX_SCHEMA = SHARED / "standards" / "adx" / "IHE2015" / "schema" / "adx_loose.xsd"
DHIS2_PERIOD = r"^\d{4}(W[1-9]\d?|\d{2}|Q[1-4]|\d{4})?$"


class DataValue(BaseModel):
    """One value of a DHIS2 dataValueSet (../shared/domain/README.md, "DHIS2 dataValueSets")."""

    model_config = ConfigDict(extra="forbid")
    dataElement: str = Field(min_length=1)
    period: str | None = Field(default=None, pattern=DHIS2_PERIOD)
    orgUnit: str | None = None
    categoryOptionCombo: str | None = None
    attributeOptionCombo: str | None = None
    value: str | None = None  # none: withheld, the comment says why (DHIS2 keeps it)
    comment: str | None = None


class DataValueSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idScheme: str = Field(pattern="^(UID|CODE)$")
    dataSetIdScheme: str = Field(pattern="^(UID|CODE)$")
    dataElementIdScheme: str = Field(pattern="^(UID|CODE)$")
    orgUnitIdScheme: str = Field(pattern="^(UID|CODE)$")
    categoryOptionComboIdScheme: str = Field(pattern="^(UID|CODE)$")
    dataSet: str
    completeDate: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    period: str | None = Field(default=None, pattern=DHIS2_PERIOD)
    orgUnit: str | None = None
    attributeOptionCombo: str | None = None
    dataValues: list[DataValue]


@pytest.fixture
def known(world):
    return build(world)


def _values(world, **kwargs):
    mapping = exports.load_mapping()
    return mapping, *exports.values(mapping, world["TH"], ["2026-Q1"], **kwargs)


def _true(world, code, by, place="TH", period="2026-Q1"):
    """The raw (exact) cells of an indicator, for checking what an export made of them."""
    indicator = services.get(code)
    return services.table(indicator, [period], world[place].path, by).cells


def _count_values(document):
    """The values of data elements that are counts (not rates, medians or percentiles)."""
    counts = {spec["data_element"] for code, spec in exports.load_mapping().indicators.items()
              if services.get(code).unit == "count"}  # fmt: skip
    return [v for v in document["dataValues"] if v["dataElement"] in counts]


def test_dhis2_matches_the_documented_structure(known, world):
    mapping, rows, withheld = _values(world)
    document = exports.dhis2(mapping, rows)
    DataValueSet.model_validate(document)
    assert document["period"] == "2026Q1" and document["orgUnit"] == "TH"
    assert document["idScheme"] == "CODE" and document["dataElementIdScheme"] == "CODE"
    values = {(v["dataElement"], v.get("categoryOptionCombo")): v for v in document["dataValues"]}
    assert all(isinstance(v["value"], str) for v in document["dataValues"] if "value" in v)
    # Every count leaves adjusted (within the table's spread of the truth) and never as 1–4.
    true = _true(world, "ENCOUNTERS", ("sex", "migration_status"))
    female_regular = values[("MHIS_ENCOUNTERS", "F_REG_LAB")]
    assert (
        abs(int(female_regular["value"]) - true[("2026-Q1", "female", "REG_LAB")].numerator)
        <= SPREAD
    )
    for v in _count_values(document):
        if "value" in v:
            assert int(v["value"]) == 0 or int(v["value"]) >= 5, v
    # No total beside the parts: the bundled mapping gives none a place, so DHIS2 adds them up.
    assert ("MHIS_ENCOUNTERS", None) not in values
    # Every category is accounted for: sent (0 included) or withheld, its comment saying so.
    parts = [k for k in values if k[0] == "MHIS_ENCOUNTERS"]
    assert len(parts) == len(Sex.values) * len(MigrationStatus.values)
    comments = [v for v in document["dataValues"] if "value" not in v]
    assert comments and all(v["comment"].startswith("Withheld") for v in comments)
    assert withheld == len(comments)


def test_dhis2_weekly_periods_and_children(known, world):
    mapping = exports.load_mapping()
    refused: list[str] = []
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-W03", "2026-W04"],
                                     children=True, refused=refused)  # fmt: skip
    document = exports.dhis2(mapping, rows)
    DataValueSet.model_validate(document)
    periods = {v.get("period", document.get("period")) for v in document["dataValues"]}
    assert periods <= {"2026W3", "2026W4"}
    org_units = {v.get("orgUnit", document.get("orgUnit")) for v in document["dataValues"]}
    assert org_units <= {"TH-63", "TH-85"} and "TH-63" in org_units
    assert refused == []  # Thailand's first-level areas may be broken down by status


def test_no_export_breaks_migration_status_down_below_the_first_level(known, world):
    mapping = exports.load_mapping()
    refused: list[str] = []
    rows, _withheld = exports.values(mapping, world["TAK"], ["2026-Q1"], children=True,
                                     refused=refused)  # fmt: skip
    # Broken down by status, or counting a population that status defines (migrants only).
    by_status = {code for code, spec in mapping.indicators.items()
                 if "migration_status" in spec.get("by", ()) or get(code).counts_by_status}  # fmt: skip
    status_elements = {mapping.indicators[code]["data_element"] for code in by_status}
    assert set(refused) == by_status
    assert status_elements and not status_elements & {v.data_element for v in rows}
    assert any(v.data_element == "MHIS_PEOPLE_SEEN" for v in rows)  # the others still go


@pytest.mark.skipif(
    not ADX_SCHEMA.exists(), reason="../shared/standards/adx is not beside the project"
)
def test_adx_is_valid_against_the_schema(known, world):
    import xmlschema

    mapping, rows, _withheld = _values(world, children=True)
    body = exports.adx(mapping, rows)
    xmlschema.XMLSchema(str(ADX_SCHEMA)).validate(body.decode())
    root = ET.fromstring(body)
    ns = {"adx": exports.ADX_NS}
    group = root.find("adx:group[@orgUnit='TH-63']", ns)
    assert group.get("period") == "2026-01-01/P3M"
    [coverage] = group.findall("adx:dataValue[@dataElement='MHIS_CXR_COVERAGE']", ns)
    assert 0 <= float(coverage.get("value")) <= 100
    true = _true(world, "ENCOUNTERS", (), place="TAK")[("2026-Q1",)].numerator  # 13
    for value in group.findall("adx:dataValue[@dataElement='MHIS_ENCOUNTERS']", ns):
        assert value.get("SEX") and value.get("MIG_STATUS")  # never a total beside its parts
    assert true > 0


def test_adx_structure_without_the_schema(known, world):
    mapping, rows, _withheld = _values(world)
    root = ET.fromstring(exports.adx(mapping, rows))
    assert root.tag == f"{{{exports.ADX_NS}}}adx"
    assert re.match(r"^\d{4}-\d{2}-\d{2}T", root.get("exported"))
    for value in root.iter(f"{{{exports.ADX_NS}}}dataValue"):
        float(value.get("value"))  # a decimal, never "<5"


def test_adx_refuses_an_empty_export(world):
    with pytest.raises(ValueError, match="Nothing to export"):
        exports.adx(exports.load_mapping(), [])


def test_mapping_errors_name_the_field(db, tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('data_set = "X"\n[indicators.ENCOUNTERZ]\ndata_element = "E"\n')
    with pytest.raises(DefinitionError, match=r"m.toml: line 2: indicators.ENCOUNTERZ"):
        exports.load_mapping(bad)
    bad.write_text(
        'data_set = "X"\n[indicators.ENCOUNTERS]\ndata_element = "E"\nby = ["antigen"]\n'
    )
    with pytest.raises(DefinitionError, match=r"indicators.ENCOUNTERS.by"):
        exports.load_mapping(bad)


def test_export_command(known, world, tmp_path, capsys):
    out = tmp_path / "values.json"
    call_command("indicators", "export", "--format", "dhis2", "--place", "TH",
                 "--period", "2026-Q1", "--out", str(out))  # fmt: skip
    DataValueSet.model_validate(json.loads(out.read_text()))
    assert "withheld" in capsys.readouterr().err


def test_compute_command_prints_protected_counts(known, world, capsys):
    call_command("indicators", "compute", "ENCOUNTERS", "--place", "TH", "--period", "2026-Q1",
                 "--by", "migration_status")  # fmt: skip
    out = capsys.readouterr().out
    printed = dict(re.findall(r"2026-Q1 (\w+)\s+(\S+)", out))
    assert set(MigrationStatus.values) <= set(printed)  # every status, none left out
    assert printed["IRR"] in ("<10", "0")  # four irregular migrants: under ten (or adjusted to 0)
    assert printed["REG_LAB"] == "<5" or abs(int(printed["REG_LAB"]) - 9) <= SPREAD


def _analyst(world):
    return create_user(username="th_analyst", password=None, role="analyst", places=[world["TH"]])


def test_csv_of_what_is_shown_has_no_small_numbers(known, world, people):
    from mhis.indicators.views import Labels

    result = services.published(_analyst(world), "ENCOUNTERS", ["2026-Q1"], world["TH"],
                                ("migration_status",))  # fmt: skip
    text = exports.to_csv(exports.shown_rows(result, Labels(world["TH"])))
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 1 + len(MigrationStatus.values)  # header, total, each
    for row in rows[1:]:
        value = row[-1]
        assert value.startswith("<") or int(value) == 0 or int(value) >= 5, row


def test_dashboard_pages(known, world, people, client):
    client.force_login(_analyst(world))
    page = client.get("/indicators/", {"place": "TH", "period": "2026-Q1"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Chest X-ray coverage" in body and "small random adjustment" in body
    one = client.get("/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1",
                                                "by": "migration_status"})  # fmt: skip
    html = one.content.decode()
    assert one.status_code == 200
    assert "<svg" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    ).replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert "Irregular migrant" in html and "Stateless person" in html  # no one, shown all the same
    assert len(one.content) < 200_000
    drill = client.get("/indicators/PEOPLE_SEEN/", {"place": "TH", "period": "2026-Q1"})
    assert "?place=TH-63&amp;period=2026-Q1" in drill.content.decode()
    csv_file = client.get("/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1",
                                                     "by": "migration_status", "format": "csv"})  # fmt: skip
    assert csv_file["Content-Type"].startswith("text/csv")
    assert "Stateless person" in csv_file.content.decode()
    xlsx = client.get(
        "/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1", "format": "xlsx"}
    )
    assert xlsx.content[:2] == b"PK"
    # Below the first level, the status breakdown is not offered and not served.
    district = client.get("/indicators/ENCOUNTERS/", {"place": "TH-63-MSOT", "period": "2026-Q1",
                                                     "by": "migration_status"})  # fmt: skip
    assert district.status_code == 200 and "Irregular migrant" not in district.content.decode()


def test_choosing_another_kind_of_period_shows_one_within_the_period_shown(
    known, world, people, client
):
    client.force_login(people["admin"])
    month = client.get("/indicators/", {"place": "TH", "period": "2026-Q1", "every": "month"})
    assert "Indicators for Thailand, 2026-03" in month.content.decode()
    year = client.get("/indicators/", {"place": "TH", "period": "2026-02", "every": "year"})
    assert "Indicators for Thailand, 2026<" in year.content.decode()
    same = client.get("/indicators/", {"place": "TH", "period": "2026-Q1", "every": "quarter"})
    assert "Indicators for Thailand, 2026-Q1" in same.content.decode()


def test_dashboard_refuses_a_place_outside_scope(known, world, people, client):
    client.force_login(people["hn_analyst"])
    assert client.get("/indicators/", {"place": "TH"}).status_code == 403
    assert client.get("/indicators/", {"place": "HN"}).status_code == 200
    client.logout()
    assert client.get("/indicators/").status_code == 302


def test_api_returns_protected_cells(known, world, people, api):
    client = api(_analyst(world))
    listing = client.get("/api/indicators")
    assert listing.status_code == 200 and len(listing.json()) >= 20
    result = client.get("/api/indicators/ENCOUNTERS", place="TH", period="2026-Q1",
                        by="migration_status")  # fmt: skip
    assert result.status_code == 200, result.content
    assert result.json()["exact"] is False
    cells = {c["dimensions"]["migration_status"]: c for c in result.json()["cells"]}
    assert set(cells) == {None, *MigrationStatus.values}
    assert cells["REG_LAB"]["hidden"] or abs(cells["REG_LAB"]["value"] - 9) <= SPREAD
    # Four irregular migrants: withheld as under ten, unless adjusted to 0.
    irr = cells["IRR"]
    assert (irr["numerator"], irr["value"], irr["hidden"]) in (
        (None, None, "sensitive"),
        (0, 0, ""),
    )
    assert cells["STL"]["value"] == 0 and cells["STL"]["hidden"] == ""  # nobody: shown as 0
    bad = client.get("/api/indicators/ENCOUNTERS", place="TH", period="2026-13")
    assert bad.status_code == 422 and "periods" in bad.content.decode()
    deep = client.get("/api/indicators/ENCOUNTERS", place="TH-63", period="2026-Q1",
                      by=["migration_status", "place"])  # fmt: skip
    assert deep.status_code == 422 and deep.json()["detail"][0]["loc"][-1] == "by"
    outside = api(people["hn_analyst"]).get(
        "/api/indicators/ENCOUNTERS", place="TH", period="2026-Q1"
    )
    assert outside.status_code == 403
    # A role that reads people without their status never breaks anything down by it.
    admin = api(people["admin"])
    refused = admin.get("/api/indicators/ENCOUNTERS", place="TH", period="2026-Q1",
                        by="migration_status")  # fmt: skip
    assert refused.status_code == 403
    assert "SHP_ENROLMENT_MIGRANTS" not in {i["code"] for i in admin.get("/api/indicators").json()}


def test_batch_command_computes_the_pack_from_the_extract(known, world, tmp_path, capsys):
    from mhis.indicators import sources as S
    from mhis.indicators.engine import Request, compute_rows

    call_command("indicators", "extract", "--out", str(tmp_path))
    capsys.readouterr()
    call_command("indicators", "batch", "--extract", str(tmp_path), "--period", "2026-Q1",
                 "--every", "month", "--by", "sex,place")  # fmt: skip
    printed = int(re.search(r"([\d,]+) cells", capsys.readouterr().out).group(1).replace(",", ""))
    extracts = {name: S.extract(name) for name in S.SOURCES}
    expected = 0
    for indicator in services.catalogue().values():
        own = tuple(d for d in ("sex", "place") if d in indicator.disaggregations)
        request = Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "month", "/", own, cross=False)
        expected += len(compute_rows(indicator, extracts, request).cells)
    assert printed == expected > 100
