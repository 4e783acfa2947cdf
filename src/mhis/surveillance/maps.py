"""Places on a map drawn on the server as SVG: circles at the places' longitude and latitude,
sized by a count, each named (no map tiles, nothing fetched from the internet, no script).
The SVG carries a description for screen readers; the pages give the same numbers in a
table beside it."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mhis.indicators.charts import render as render_chart

# Places are named on the map up to this many; more names would be drawn one over the other
# and weigh the page down on a slow link (the table beside the map names every place).
NAMED_UP_TO = 30


def _legend(points: list[dict], field: str) -> list[int]:
    """The counts the legend shows: the smallest, the largest and up to two between, each
    once (a single count is shown once, not as a range of made-up steps)."""
    counts = sorted({int(p[field]) for p in points})
    if len(counts) <= 4:
        return counts
    step = (len(counts) - 1) / 3
    return sorted({counts[round(i * step)] for i in range(4)})


def points_map(points: list[dict], field: str, title: str, description: str) -> str:
    """`points` ({"site", "latitude", "longitude", field}) as SVG, or "" when none has
    coordinates. `title` names the sized count (the legend), `description` says what the map
    shows (read out by screen readers)."""
    if not points:
        return ""
    svg = render_chart(
        {
            "width": 360,
            "height": 260,
            "description": description,
            "data": {"values": points},
            "layer": [
                {
                    # No spoken label per circle: the image is read out by its description.
                    "mark": {"type": "circle", "opacity": 0.7, "color": "#b3261e", "aria": False},
                    "encoding": {
                        "x": {
                            "field": "longitude",
                            "type": "quantitative",
                            "title": _("Longitude"),
                            "scale": {"zero": False, "padding": 30},
                        },
                        "y": {
                            "field": "latitude",
                            "type": "quantitative",
                            "title": _("Latitude"),
                            "scale": {"zero": False, "padding": 30},
                        },
                        "size": {
                            "field": field,
                            "type": "quantitative",
                            "title": title,
                            "scale": {"range": [60, 900], "zero": True},
                            "legend": {"values": _legend(points, field), "format": "d"},
                        },
                        "tooltip": [{"field": "site"}, {"field": field}],
                    },
                },
                *(
                    [
                        {
                            "mark": {"type": "text", "dy": -14, "fontSize": 11, "aria": False},
                            "encoding": {
                                "x": {"field": "longitude", "type": "quantitative"},
                                "y": {"field": "latitude", "type": "quantitative"},
                                "text": {"field": "site"},
                            },
                        }
                    ]
                    if len(points) <= NAMED_UP_TO
                    else []
                ),
            ],
        }
    )
    # Named for screen readers: an image with a title and a description (the counts are in
    # the table beside it).
    head, sep, rest = str(svg).partition(">")
    named = (
        f'{head} role="img" aria-label="{escape(title)}"{sep}'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{rest}"
    )
    return mark_safe(named)  # the renderer's own SVG (labels escaped by it), ours escaped
