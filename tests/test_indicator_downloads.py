"""DHIS2 and ADX downloads on an indicator's page, beside CSV and XLSX: protected like every
export (no withheld cell leaves, no count from 1 to 4), offered and served only to a role and
for a place that may see the indicator broken down as the mapping sends it."""

import json
import xml.etree.ElementTree as ET

import pytest

from mhis.access.services import create_user
from mhis.indicators import exports, services
from mhis.indicators.disclosure import protect

from .indicator_world import build

PAGE = "/indicators/ENCOUNTERS/"
QUARTER = {"place": "TH", "period": "2026-Q1", "every": "quarter"}


@pytest.fixture
def known(world):
    return build(world)


@pytest.fixture
def analyst(world):
    return create_user(username="th_analyst", password=None, role="analyst", places=[world["TH"]])


def _withheld(world) -> set[tuple[str, ...]]:
    """The categories (as the mapping codes them) of ENCOUNTERS's withheld cells in Thailand."""
    mapping = exports.load_mapping()
    dims = tuple(mapping.indicators["ENCOUNTERS"]["by"])
    raw = services.table(services.get("ENCOUNTERS"), ["2026-Q1"], world["TH"].path, dims)
    services.complete(raw, world["TH"], ["2026-Q1"])
    hidden = set()
    for cell in protect(raw):
        if cell.hidden and all(v is not None for v in cell.key[1:]):
            hidden.add(tuple(mapping.option(d, v) for d, v in zip(dims, cell.key[1:], strict=True)))
    return hidden


def test_the_page_offers_dhis2_and_adx_and_neither_carries_a_withheld_cell(
    known, world, analyst, client
):
    withheld = _withheld(world)
    assert withheld  # the world has small cells: the test can fail
    client.force_login(analyst)
    page = client.get(PAGE, QUARTER).content.decode()
    assert "format=dhis2" in page and "format=adx" in page and "format=csv" in page

    dhis2 = client.get(PAGE, QUARTER | {"format": "dhis2"})
    assert dhis2.status_code == 200 and dhis2["Content-Type"] == "application/json"
    assert 'filename="ENCOUNTERS_TH_2026-Q1.json"' in dhis2["Content-Disposition"]
    document = json.loads(dhis2.content)
    assert document["orgUnit"] == "TH" and document["period"] == "2026Q1"
    assert {v["dataElement"] for v in document["dataValues"]} == {"MHIS_ENCOUNTERS"}
    sent = {tuple(v["categoryOptionCombo"].split("_", 1)) for v in document["dataValues"]
            if "value" in v}  # fmt: skip
    assert sent and not sent & withheld
    for value in document["dataValues"]:
        if "value" in value:
            assert int(value["value"]) == 0 or int(value["value"]) >= 5, value
    # Each withheld cell goes as a comment without a value; no total beside the parts.
    notes = {tuple(v["categoryOptionCombo"].split("_", 1)) for v in document["dataValues"]
             if "value" not in v}  # fmt: skip
    assert notes == withheld
    assert all("categoryOptionCombo" in v for v in document["dataValues"])

    adx = client.get(PAGE, QUARTER | {"format": "adx"})
    assert adx.status_code == 200 and adx["Content-Type"] == "application/adx+xml"
    root = ET.fromstring(adx.content)
    values = list(root.iter(f"{{{exports.ADX_NS}}}dataValue"))
    parts = {(v.get("SEX"), v.get("MIG_STATUS")) for v in values if v.get("SEX")}
    assert parts == sent  # the same values, none withheld
    for value in values:
        assert int(value.get("value")) == 0 or int(value.get("value")) >= 5


def test_a_role_or_place_not_allowed_is_refused(known, world, people, client):
    # The viewer may not break down by migration status, as ENCOUNTERS is sent.
    viewer = create_user(username="th_viewer", password=None, role="viewer", places=[world["TH"]])
    client.force_login(viewer)
    page = client.get(PAGE, QUARTER)
    assert page.status_code == 200 and "format=dhis2" not in page.content.decode()
    assert client.get(PAGE, QUARTER | {"format": "dhis2"}).status_code == 403
    assert client.get(PAGE, QUARTER | {"format": "adx"}).status_code == 403
    # An analyst of Honduras does not download Thailand.
    client.force_login(people["hn_analyst"])
    assert client.get(PAGE, QUARTER | {"format": "adx"}).status_code == 403
    client.logout()
    assert client.get(PAGE, QUARTER | {"format": "dhis2"}).status_code == 302  # to log in


def test_below_the_first_level_status_is_not_sent_even_to_a_role_that_sees_exact_counts(
    known, world, people, client
):
    client.force_login(people["clinician"])  # exact counts on the page, Mae Sot only
    district = {"place": "TH-63-MSOT", "period": "2026-Q1", "every": "quarter"}
    page = client.get(PAGE, district).content.decode()
    assert "format=csv" in page and "format=dhis2" not in page
    refused = client.get(PAGE, district | {"format": "dhis2"}, follow=True)
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    assert "countries and first-level areas only" in refused.content.decode()


def test_an_indicator_without_a_code_is_not_offered(
    known, world, analyst, client, settings, tmp_path
):
    own = tmp_path / "mapping.toml"
    own.write_text(
        'data_set = "NATIONAL"\n[categories.sex]\ncode = "SEX"\n'
        '[indicators.ENCOUNTERS]\ndata_element = "ENC"\nby = ["sex"]\n',
        encoding="utf-8",
    )
    settings.MHIS_EXPORT_MAPPING = str(own)  # a national instance's codes: ENCOUNTERS only
    client.force_login(analyst)
    assert "format=dhis2" in client.get(PAGE, QUARTER).content.decode()
    page = client.get("/indicators/PEOPLE_SEEN/", QUARTER)
    assert page.status_code == 200 and "format=dhis2" not in page.content.decode()
    refused = client.get("/indicators/PEOPLE_SEEN/", QUARTER | {"format": "adx"})
    assert refused["Content-Type"].startswith("text/html")
    assert "no DHIS2 or ADX code" in refused.content.decode()
    sent = json.loads(client.get(PAGE, QUARTER | {"format": "dhis2"}).content)
    assert sent["dataSet"] == "NATIONAL"
    assert {v["dataElement"] for v in sent["dataValues"]} == {"ENC"}
