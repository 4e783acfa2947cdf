"""A world map of benefiting countries, drawn on the server as SVG (Vega-Lite through
vl-convert) from Natural Earth outlines kept in the repository (world-atlas 110m)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pycountry
from django.utils.safestring import mark_safe

from mhis.indicators.charts import render

ATLAS = Path(__file__).parent / "data" / "countries-110m.json"


@cache
def _atlas() -> dict:
    return json.loads(ATLAS.read_text(encoding="utf-8"))


def numeric(alpha_2: str) -> str | None:
    country = pycountry.countries.get(alpha_2=alpha_2)
    return country.numeric if country else None


def benefiting(counts: dict[str, int], title: str) -> str:
    """Countries shaded by the number of projects benefiting them ({ISO alpha-2: n})."""
    rows = [
        {"id": n, "projects": count, "country": code}
        for code, count in counts.items()
        if (n := numeric(code))
    ]
    svg = render(
        {
            "width": 640,
            "height": 330,
            "projection": {"type": "equalEarth"},
            # The outlines once, shared by both layers: every country, then those shaded.
            "data": {"values": _atlas(), "format": {"type": "topojson", "feature": "countries"}},
            "layer": [
                {
                    "mark": {
                        "type": "geoshape",
                        "fill": "#e6e9ed",
                        "stroke": "#fff",
                        "strokeWidth": 0.4,
                        # The outlines are the background: the shaded countries carry the
                        # labels a screen reader reads.
                        "aria": False,
                    }
                },
                {
                    "transform": [
                        {
                            "lookup": "id",
                            "from": {
                                "data": {"values": rows},
                                "key": "id",
                                "fields": ["projects", "country"],
                            },
                        },
                        {"filter": "datum.projects > 0"},
                    ],
                    "mark": {"type": "geoshape", "stroke": "#fff", "strokeWidth": 0.4},
                    "encoding": {
                        "color": {
                            "field": "projects",
                            "type": "ordinal",
                            "title": title,
                            "scale": {"scheme": "blues"},
                        },
                        "tooltip": [{"field": "country"}, {"field": "projects"}],
                    },
                },
            ],
        }
    )
    # Outlines to the whole pixel: the page stays light on a slow link.
    return mark_safe(_PATH.sub(_whole_pixels, svg))  # the SVG is the renderer's own


_PATH = re.compile(r' d="([^"]*)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _whole_pixels(match: re.Match) -> str:
    rounded = _NUMBER.sub(lambda n: str(round(float(n.group(0)))), match.group(1))
    return f' d="{rounded}"'


def timeline(activities: list[dict], today) -> str:
    """A workplan as bars from planned start to planned end, coloured by status, with today
    marked ({title, start, end, status} with ISO dates)."""
    return render(
        {
            "width": 560,
            "height": {"step": 20},
            "layer": [
                {
                    "data": {"values": activities},
                    "mark": {"type": "bar", "cornerRadius": 2, "tooltip": True},
                    "encoding": {
                        "y": {
                            "field": "title",
                            "type": "nominal",
                            "sort": None,
                            "title": None,
                            "axis": {"labelLimit": 260},
                        },
                        "x": {"field": "start", "type": "temporal", "title": None},
                        "x2": {"field": "end"},
                        "color": {"field": "status", "type": "nominal", "title": None},
                    },
                },
                {
                    "data": {"values": [{"today": today.isoformat()}]},
                    "mark": {"type": "rule", "color": "#b00020", "strokeDash": [4, 3]},
                    "encoding": {"x": {"field": "today", "type": "temporal"}},
                },
            ],
        }
    )
