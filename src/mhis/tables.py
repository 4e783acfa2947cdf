"""Tables that read as cards on a phone.

Below a width the style sheet lays a table's rows out as stacked cards, one a row, each cell
under the heading of its column. A style sheet cannot read a column's heading, so every cell
of a table with a head carries it as ``data-label``: :class:`CardLabelsMiddleware` writes it
into each HTML page the application serves, for every table a template has or will have, so
that no template repeats its headings cell by cell.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_HEAD = re.compile(r"<thead\b.*?</thead>", re.S | re.I)
_ROW = re.compile(r"<tr\b.*?</tr>", re.S | re.I)
_HEADING = re.compile(r"<th\b([^>]*)>(.*?)</th>", re.S | re.I)
_CELL_START = re.compile(r"<(td|th)\b([^>]*)>", re.I)
_SPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.I)
_TAG = re.compile(r"<[^>]+>")


def _span(attributes: str) -> int:
    found = _SPAN.search(attributes)
    return max(1, int(found.group(1))) if found else 1


def _headings(head: str) -> list[str]:
    """The text of each column's heading, from the last row of a table's head."""
    rows = _ROW.findall(head)
    if not rows:
        return []
    labels: list[str] = []
    for attributes, content in _HEADING.findall(rows[-1]):
        text = " ".join(html.unescape(_TAG.sub(" ", content)).split())
        labels.extend([text] * _span(attributes))
    return labels


def _label_row(row: str, labels: list[str]) -> str:
    column = 0
    out: list[str] = []
    position = 0
    for cell in _CELL_START.finditer(row):
        tag, attributes = cell.group(1), cell.group(2)
        out.append(row[position : cell.start()])
        start = cell.group(0)
        if tag.lower() == "td" and column < len(labels) and "data-label" not in attributes.lower():
            label = html.escape(labels[column], quote=True)
            start = f'<{tag} data-label="{label}"{attributes}>'
        out.append(start)
        position = cell.end()
        column += _span(attributes)
    out.append(row[position:])
    return "".join(out)


def label_cells(page: str) -> str:
    """`page` with each data cell of a table that has a head labelled by its column."""

    def table(match: re.Match[str]) -> str:
        text = match.group(0)
        if "<table" in text[6:].lower():  # a table inside a table: left as it is
            return text
        head = _HEAD.search(text)
        if head is None:
            return text
        labels = _headings(head.group(0))
        if not labels:
            return text
        body = text[head.end() :]
        body = _ROW.sub(lambda row: _label_row(row.group(0), labels), body)
        return text[: head.end()] + body

    return _TABLE.sub(table, page)


class CardLabelsMiddleware:
    """Label the cells of every table in the HTML pages served (see the module's text)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(response, "streaming", False)
            or not response.get("Content-Type", "").startswith("text/html")
            or b"<thead" not in response.content
        ):
            return response
        charset = response.charset or "utf-8"
        response.content = label_cells(response.content.decode(charset)).encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
