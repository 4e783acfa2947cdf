"""Charts as SVG, drawn on the server from Vega-Lite specifications (vl-convert, offline).

Only published values reach a chart: hidden cells are left out, never drawn as zero.
"""

from __future__ import annotations

import vl_convert
from django.utils.safestring import mark_safe

FONT = "DejaVu Sans, Noto Sans, sans-serif"
CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 180},
    "mark": {"color": "#1d5c8f"},
}


def _svg(spec: dict) -> str:
    svg = vl_convert.vegalite_to_svg({"config": CONFIG, **spec})
    # The SVG is built by the renderer from our own data (labels are escaped by it).
    return mark_safe(svg)


def bars(rows: list[dict], axis: str, unit: str) -> str:
    """Horizontal bars of `rows` ({label, value})."""
    return _svg(
        {
            "width": 420,
            "height": {"step": 22},
            "data": {"values": rows},
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {"field": "label", "type": "nominal", "title": axis, "sort": None},
                "x": {"field": "value", "type": "quantitative", "title": unit},
            },
        }
    )


def line(rows: list[dict], axis: str, unit: str) -> str:
    """A line over periods of `rows` ({period, value})."""
    return _svg(
        {
            "width": 420,
            "height": 160,
            "data": {"values": rows},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "period", "type": "ordinal", "title": axis},
                "y": {"field": "value", "type": "quantitative", "title": unit},
            },
        }
    )


def render(spec: dict) -> str:
    """Any Vega-Lite specification as SVG, with the house style."""
    return _svg(spec)
