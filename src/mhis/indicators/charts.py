"""Charts as SVG, drawn on the server from Vega-Lite specifications (vl-convert, offline).

A chart has one unit on its value axis. A cell withheld by disclosure control, or with no
data, is never drawn as a value: a bar chart leaves its bar out and writes the cell's mark
("<5", "n<5", "no data") in the gap; a line breaks there and the mark stands below it. A
legend names the kinds of cell the chart has.
"""

from __future__ import annotations

from typing import Any

import vl_convert
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

FONT = "DejaVu Sans, Noto Sans, sans-serif"
CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 180},
    "legend": {"labelFontSize": 11, "orient": "bottom", "title": None},
    "mark": {"color": "#1d5c8f"},
}
# What a cell is: shown, withheld by disclosure control, or without data.
SHOWN, WITHHELD, NO_DATA = "shown", "withheld", "no_data"
COLOURS = {SHOWN: "#1d5c8f", WITHHELD: "#a14a00", NO_DATA: "#5f6b76"}


def _svg(spec: dict) -> str:
    svg = vl_convert.vegalite_to_svg({"config": CONFIG, **spec})
    # The SVG is built by the renderer from our own data (labels are escaped by it).
    return mark_safe(svg)


def _labels() -> dict[str, str]:
    return {SHOWN: _("Value"), WITHHELD: _("Withheld (small numbers)"), NO_DATA: _("No data")}


def _colour(rows: list[dict]) -> dict[str, Any]:
    """The colour channel: one legend entry for each kind of cell present (no legend when
    every cell is a value)."""
    labels = _labels()
    present = [s for s in (SHOWN, WITHHELD, NO_DATA) if any(r["status"] == s for r in rows)]
    channel: dict[str, Any] = {
        "field": "kind",
        "type": "nominal",
        "scale": {"domain": [labels[s] for s in present], "range": [COLOURS[s] for s in present]},
    }
    if present == [SHOWN]:
        channel["legend"] = None  # every cell a value: nothing to tell apart
    return channel


def _with_kinds(rows: list[dict]) -> list[dict]:
    """Rows with the legend's name of their kind; a value only where the cell is shown."""
    labels = _labels()
    return [
        {
            **row,
            "value": row["value"] if row["status"] == SHOWN else None,
            "kind": labels[row["status"]],
        }
        for row in rows
    ]


def bars_spec(rows: list[dict], axis: str, unit: str) -> dict:
    """Horizontal bars of `rows` ({label, value, status, mark}), in their order."""
    rows = _with_kinds(rows)
    colour = _colour(rows)
    return {
        "width": 420,
        "height": {"step": 22},
        "data": {"values": rows},
        "encoding": {
            # The rows' order (age bands by age), whichever layer draws a row.
            "y": {
                "field": "label",
                "type": "nominal",
                "title": axis,
                "sort": [r["label"] for r in rows],
            },
        },
        "layer": [
            {
                "transform": [{"filter": f"datum.status === '{SHOWN}'"}],
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {"field": "value", "type": "quantitative", "title": unit},
                    "color": colour,
                },
            },
            {
                # The gap where a bar is not drawn, marked.
                "transform": [{"filter": f"datum.status !== '{SHOWN}'"}],
                "mark": {"type": "text", "align": "left", "dx": 4, "fontStyle": "italic"},
                "encoding": {
                    "x": {"datum": 0, "type": "quantitative"},
                    "text": {"field": "mark"},
                    "color": colour,
                },
            },
        ],
    }


def line_spec(rows: list[dict], axis: str, unit: str) -> dict:
    """A line over periods of `rows` ({period, value, status, mark}), broken where a period
    is withheld or has no data, its mark written below the gap."""
    rows = _with_kinds(rows)
    colour = _colour(rows)
    height = 160
    return {
        "width": 420,
        "height": height,
        "data": {"values": rows},
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "title": axis,
                "sort": [r["period"] for r in rows],
            },
        },
        "layer": [
            {
                "mark": {
                    "type": "line",
                    "point": True,
                    "invalid": "break-paths-filter-domains",
                    "color": COLOURS[SHOWN],
                },
                "encoding": {"y": {"field": "value", "type": "quantitative", "title": unit}},
            },
            {
                "transform": [{"filter": f"datum.status !== '{SHOWN}'"}],
                "mark": {"type": "text", "baseline": "bottom", "fontStyle": "italic"},
                "encoding": {
                    "y": {"value": height - 2},
                    "text": {"field": "mark"},
                    "color": colour,
                },
            },
            {
                # Only for the legend: a point of each kind, none drawn (nothing for a screen
                # reader to read: an empty group it would be told is an image).
                "transform": [{"filter": "false"}],
                "mark": {"type": "point", "filled": True, "opacity": 1, "aria": False},
                "encoding": {"color": colour},
            },
        ],
    }


def bars(rows: list[dict], axis: str, unit: str) -> str:
    return _svg(bars_spec(rows, axis, unit))


def line(rows: list[dict], axis: str, unit: str) -> str:
    return _svg(line_spec(rows, axis, unit))


def render(spec: dict) -> str:
    """Any Vega-Lite specification as SVG, with the house style."""
    return _svg(spec)
