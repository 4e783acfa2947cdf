"""How indicator pages read: withheld and no-data cells marked apart, in tables and charts;
age bands by age; a withheld cell never drawn as a bar of 0."""

import re

import pytest

from mhis.access.services import create_user
from mhis.indicators import charts, services
from mhis.indicators.disclosure import Shown, legend, text
from mhis.indicators.sources import AGE_GROUPS

from .indicator_world import build

pytestmark = pytest.mark.django_db

BAR = re.compile(r'aria-roledescription="bar"')


@pytest.fixture
def analyst(world):
    build(world)
    return create_user(username="th_analyst", password=None, role="analyst", places=[world["TH"]])


def _rows():
    return [
        {"label": "0–4 years", "value": 3.0, "status": charts.WITHHELD, "mark": "<5"},
        {"label": "5–14 years", "value": 12.0, "status": charts.SHOWN, "mark": "12"},
        {"label": "15–24 years", "value": None, "status": charts.NO_DATA, "mark": "no data"},
        {"label": "25–49 years", "value": 40.0, "status": charts.SHOWN, "mark": "40"},
    ]


def test_a_withheld_or_empty_cell_is_a_marked_gap_never_a_bar():
    spec = charts.bars_spec(_rows(), "Age group", "number")
    by_label = {r["label"]: r for r in spec["data"]["values"]}
    # A withheld cell carries no value at all, even if one was handed over.
    assert by_label["0–4 years"]["value"] is None and by_label["15–24 years"]["value"] is None
    bars, marks = spec["layer"]
    assert bars["mark"]["type"] == "bar" and bars["transform"] == [
        {"filter": "datum.status === 'shown'"}
    ]
    assert marks["mark"]["type"] == "text" and marks["encoding"]["text"] == {"field": "mark"}
    # The rows keep their order (age bands by age) whichever layer draws them.
    assert spec["encoding"]["y"]["sort"] == [r["label"] for r in _rows()]
    # A legend names each kind of cell, in its own colour.
    assert bars["encoding"]["color"]["scale"]["domain"] == [
        "Value",
        "Withheld (small numbers)",
        "No data",
    ]
    svg = charts.bars(_rows(), "Age group", "number")
    assert len(BAR.findall(svg)) == 2  # the two shown cells only
    assert "&lt;5" in svg and "no data" in svg and "Withheld (small numbers)" in svg


def test_a_trend_breaks_at_a_withheld_period_and_marks_it():
    rows = [
        {"period": "2026-01", "value": 8.0, "status": charts.SHOWN, "mark": "8"},
        {"period": "2026-02", "value": 2.0, "status": charts.WITHHELD, "mark": "<5"},
        {"period": "2026-03", "value": 9.0, "status": charts.SHOWN, "mark": "9"},
    ]
    spec = charts.line_spec(rows, "Month", "number")
    assert [r["value"] for r in spec["data"]["values"]] == [8.0, None, 9.0]
    line = spec["layer"][0]["mark"]
    assert line["invalid"] == "break-paths-filter-domains"  # not joined across, not 0
    svg = charts.line(rows, "Month", "number")
    path = re.search(r'aria-roledescription="line mark"[^>]*d="([^"]*)"', svg)
    assert path and path.group(1).count("M") == 2  # two pieces: before and after the gap
    assert "&lt;5" in svg


def test_withheld_rates_and_counts_have_marks_unlike_no_data():
    key = ("2026-Q1",)
    withheld = Shown(key, None, None, None, "small")
    assert text(withheld, "count") == "<5"
    assert text(withheld, "percentage") == "n<5"
    assert text(withheld, "median_days") == "n<5"
    notes = legend("percentage")
    assert any(n.startswith("n<5:") for n in notes) and any(n.startswith("no data:") for n in notes)


def test_age_bands_come_in_age_order(analyst, world):
    result = services.published(analyst, "ENCOUNTERS", ["2026-Q1"], world["TH"], ("age_group",))
    assert [c.key[1] for c in result.cells] == [None, *AGE_GROUPS]


def test_the_page_orders_age_bands_and_charts_withheld_cells_as_gaps(
    analyst, world, client, monkeypatch
):
    drawn = {}
    original = charts.bars

    def spy(rows, axis, unit):
        drawn["rows"] = rows
        return original(rows, axis, unit)

    monkeypatch.setattr(charts, "bars", spy)
    client.force_login(analyst)
    page = client.get(
        "/indicators/ENCOUNTERS/", {"place": "TH", "period": "2026-Q1", "by": "age_group"}
    )
    labels = [row["label"] for row in page.context["table"]]
    assert labels[:4] == ["All", "0–4 years", "5–14 years", "15–24 years"]
    assert labels[-2:] == ["65 years and over", "Unknown"]
    rows = drawn["rows"]
    assert [r["label"] for r in rows] == labels[1:]
    withheld = [r for r in rows if r["status"] == charts.WITHHELD]
    assert withheld and all(r["mark"].startswith("<") for r in withheld)
    html = page.content.decode()
    shown = [r for r in rows if r["status"] == charts.SHOWN and r["value"]]
    svg = html[html.index("<svg") : html.index("</svg>")]
    # Bars only for shown cells with a value: none for a withheld one.
    assert len(BAR.findall(svg)) == len([r for r in rows if r["status"] == charts.SHOWN])
    assert shown and "&lt;5" in svg
    assert 'class="num withheld"' in html


def test_the_overview_tells_a_count_of_nothing_from_a_rate_with_no_data(analyst, world, client):
    client.force_login(analyst)
    page = client.get("/indicators/", {"place": "TH", "period": "2026-Q1"})
    rows = {str(r["name"]): r for r in page.context["rows"]}
    # Nothing was recorded in 2025-Q4: no one was registered (0), no rate could be computed.
    assert rows["People registered"]["before"] == {"text": "0", "status": charts.SHOWN}
    assert rows["Chest X-ray coverage"]["before"] == {"text": "no data", "status": charts.NO_DATA}


def test_an_alert_chart_counts_whole_cases():
    from types import SimpleNamespace

    from mhis.surveillance.views import _chart

    series = [{"week": f"2026-W{w:02d}", "cases": c} for w, c in enumerate([0, 1, 0, 1], 1)]
    svg = _chart(SimpleNamespace(threshold=0.0), series)
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    numbers = [t for t in labels if re.fullmatch(r"[\d.,]+", t)]
    assert numbers and all("." not in t for t in numbers), numbers


def test_a_chart_of_values_only_has_no_legend_to_read():
    rows = [r for r in _rows() if r["status"] == charts.SHOWN]
    bars = charts.bars_spec(rows, "Age group", "number")["layer"][0]
    assert bars["encoding"]["color"]["legend"] is None
    assert (
        "legend"
        not in charts.bars_spec(_rows(), "Age group", "number")["layer"][0]["encoding"]["color"]
    )
