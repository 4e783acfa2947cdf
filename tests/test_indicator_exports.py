"""DHIS2 and ADX exports: valid against the ADX schema, shaped as DHIS2 reads them, and never
carrying a small number."""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import call_command
from pydantic import BaseModel, ConfigDict, Field

from mhis.indicators import exports, services
from mhis.indicators.definitions import DefinitionError

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
    value: str
    comment: str | None = None


class DataValueSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataSet: str
    completeDate: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
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


def test_dhis2_matches_the_documented_structure(known, world):
    mapping, rows, withheld = _values(world)
    document = exports.dhis2(mapping, rows)
    DataValueSet.model_validate(document)
    assert document["period"] == "2026Q1" and document["orgUnit"] == "TH"
    values = {(v["dataElement"], v.get("categoryOptionCombo")): v for v in document["dataValues"]}
    assert values[("MHIS_ENCOUNTERS", None)]["value"] == "15"
    assert values[("MHIS_ENCOUNTERS", "F_REG_LAB")]["value"] == "9"
    # Women 25–49 (8) would give away the four men of that age: withheld too.
    assert ("MHIS_PEOPLE_SEEN", "F_Y25T49") not in values
    assert values[("MHIS_OOP_SHARE", None)]["value"] == "77.78"
    assert all(isinstance(v["value"], str) for v in document["dataValues"])
    # IRR (4) and HOST (2) encounters are withheld, and the total says so.
    assert ("MHIS_ENCOUNTERS", "M_IRR") not in values
    assert "withheld" in values[("MHIS_ENCOUNTERS", None)]["comment"]
    assert withheld > 0
    for v in document["dataValues"]:
        assert not v["value"].startswith("<")
        assert (
            float(v["value"]) == 0
            or float(v["value"]) >= 5
            or "RATE" in v["dataElement"]
            or (v["dataElement"].endswith(("_SHARE", "_COVERAGE", "_MEDIAN", "_P90")))
        ), v


def test_dhis2_weekly_periods_and_children(known, world):
    mapping = exports.load_mapping()
    rows, _withheld = exports.values(mapping, world["TH"], ["2026-W03", "2026-W04"], children=True)
    document = exports.dhis2(mapping, rows)
    DataValueSet.model_validate(document)
    periods = {v.get("period", document.get("period")) for v in document["dataValues"]}
    assert periods == {"2026W3"}  # week 4 (the four men at the bridge) is all withheld
    assert {v.get("orgUnit", document.get("orgUnit")) for v in document["dataValues"]} == {"TH-63"}


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
    assert coverage.get("value") == "91.67"
    # Tak's 13 encounters would give away Ranong's 2 (Thailand shows 15): both withheld.
    assert group.findall("adx:dataValue[@dataElement='MHIS_ENCOUNTERS']", ns) == []


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


def test_mapping_errors_name_the_field(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('data_set = "X"\n[indicators.ENCOUNTERZ]\ndata_element = "E"\n')
    with pytest.raises(DefinitionError, match=r"m.toml: indicators.ENCOUNTERZ"):
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


def test_compute_command_prints_suppressed(known, world, capsys):
    call_command("indicators", "compute", "ENCOUNTERS", "--place", "TH", "--period", "2026-Q1",
                 "--by", "migration_status")  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"2026-Q1 IRR\s+<5", out)
    assert re.search(r"2026-Q1 REG_LAB\s+9", out)


def test_csv_of_what_is_shown_has_no_small_numbers(known, world, people):
    from mhis.indicators.views import Labels

    result = services.published(people["admin"], "ENCOUNTERS", ["2026-Q1"], world["TH"],
                                ("migration_status",))  # fmt: skip
    text = exports.to_csv(exports.shown_rows(result, Labels(world["TH"])))
    assert "<5" in text
    assert ",4\r\n" not in text and ",2\r\n" not in text


def test_dashboard_pages(known, world, people, client):
    client.force_login(people["admin"])
    page = client.get("/indicators/", {"place": "TH", "period": "2026-Q1"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Chest X-ray coverage" in body and "91.7" in body
    assert "&lt;5" in body  # three referrals
    one = client.get("/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1",
                                                "by": "migration_status"})  # fmt: skip
    html = one.content.decode()
    assert one.status_code == 200
    assert "<svg" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    ).replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert "Irregular migrant" in html and "&lt;5" in html
    assert len(one.content) < 200_000
    drill = client.get("/indicators/PEOPLE_SEEN/", {"place": "TH", "period": "2026-Q1"})
    assert "?place=TH-63&amp;period=2026-Q1" in drill.content.decode()
    csv_file = client.get("/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1",
                                                     "by": "migration_status", "format": "csv"})  # fmt: skip
    assert csv_file["Content-Type"].startswith("text/csv")
    assert "<5" in csv_file.content.decode()
    xlsx = client.get(
        "/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1", "format": "xlsx"}
    )
    assert xlsx.content[:2] == b"PK"


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


def test_api_returns_suppressed_cells(known, world, people, api):
    client = api(people["admin"])
    listing = client.get("/api/indicators")
    assert listing.status_code == 200 and len(listing.json()) >= 20
    result = client.get("/api/indicators/ENCOUNTERS", place="TH", period="2026-Q1",
                        by="migration_status")  # fmt: skip
    assert result.status_code == 200, result.content
    cells = {c["dimensions"]["migration_status"]: c for c in result.json()["cells"]}
    assert cells["REG_LAB"]["value"] == 9
    assert cells["IRR"] == {"period": "2026-Q1", "dimensions": {"migration_status": "IRR"},
                            "numerator": None, "denominator": None, "value": None,
                            "hidden": "small"}  # fmt: skip
    bad = client.get("/api/indicators/ENCOUNTERS", place="TH", period="2026-13")
    assert bad.status_code == 422 and "periods" in bad.content.decode()
    outside = api(people["hn_analyst"]).get(
        "/api/indicators/ENCOUNTERS", place="TH", period="2026-Q1"
    )
    assert outside.status_code == 403


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
