"""Exports of protected results: DHIS2 dataValueSets JSON, ADX XML, CSV and XLSX.

DHIS2 and ADX cannot carry "<5": a withheld value is left out, and the total it belongs to
says how many values were withheld (a DHIS2 ``comment``, an ADX ``annotation``).
Only the full cross-tabulation of a data element's categories and its total are sent; the
receiving system adds up the rest.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mhis import downloads
from mhis.places.models import Place, PlaceKind

from . import periods as P
from .definitions import STATUS_COLUMNS, DefinitionError
from .disclosure import protect, text
from .services import (
    STATUS_MAX_LEVEL,
    Published,
    catalogue,
    check_disaggregation,
    check_place,
    complete,
    get,
    table,
    visible_indicators,
)

ADX_NS = "urn:ihe:qrph:adx:2015"
DEFAULT_MAPPING = Path(__file__).with_name("mapping.toml")


@dataclass
class Mapping:
    data_set: str
    categories: dict[str, dict]  # dimension → {"code": …, "options": {value: code}}
    indicators: dict[str, dict] = field(default_factory=dict)  # code → {"data_element", "by"}

    def option(self, dim: str, value: str) -> str:
        return self.categories[dim].get("options", {}).get(value, value)


def load_mapping(path: Path | None = None) -> Mapping:
    """Read and check a mapping file; DefinitionError names the file and field at fault."""
    path = Path(path or getattr(settings, "MHIS_EXPORT_MAPPING", "") or DEFAULT_MAPPING)
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(name, "file", str(exc)) from None
    data_set = raw.get("data_set")
    if not isinstance(data_set, str) or not data_set:
        raise DefinitionError(name, "data_set", "expected the data set code")
    categories = raw.get("categories", {})
    for dim, spec in categories.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("code"), str):
            raise DefinitionError(name, f"categories.{dim}.code", "expected a category code")
    known = catalogue()
    indicators = raw.get("indicators", {})
    for code, spec in indicators.items():
        if code not in known:
            raise DefinitionError(name, f"indicators.{code}", "no indicator has this code")
        if not isinstance(spec.get("data_element"), str):
            raise DefinitionError(name, f"indicators.{code}.data_element", "expected a code")
        for dim in spec.get("by", []):
            if dim not in known[code].disaggregations or dim in ("place", "period"):
                raise DefinitionError(
                    name, f"indicators.{code}.by", f"{dim!r} is not a disaggregation of {code}"
                )
            if dim not in categories:
                raise DefinitionError(name, f"indicators.{code}.by", f"no category for {dim!r}")
    return Mapping(data_set, categories, indicators)


@dataclass
class Value:
    data_element: str
    org_unit: str
    period: P.Period
    categories: dict[str, str]  # category code → option code (empty: the total)
    value: str
    note: str = ""


def _number(value: float, unit: str) -> str:
    if unit == "count":
        return str(int(value))
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def values(
    mapping: Mapping,
    place: Place,
    period_keys: list[str],
    *,
    children: bool = False,
    refused: list[str] | None = None,
) -> tuple[list[Value], int]:
    """The publishable values of every mapped indicator; also the number withheld.

    An export leaves for another system, so it is always protected (never exact), every
    category is sent (0 included), and a breakdown by migration status, or a count whose
    population depends on it, goes only for places at admin level 1 or above (as from the
    indicator's page); an indicator refused for that is named in `refused`."""
    periods = {p.key: p for p in (P.parse(k) for k in period_keys)}
    out, withheld = [], 0
    codes = {p.path: p.code for p in Place.objects.filter(path__startswith=place.path)}
    deepest = place.level + bool(children)
    for code, spec in mapping.indicators.items():
        indicator = get(code)
        dims = tuple(spec.get("by", ()))
        by = (*dims, "place") if children else dims
        if (STATUS_COLUMNS & set(dims) or indicator.counts_by_status) and (
            place.kind == PlaceKind.SITE or deepest > STATUS_MAX_LEVEL
        ):
            if refused is not None:
                refused.append(code)
            continue
        raw = table(indicator, list(periods), place.path, by)
        complete(raw, place, list(periods))
        shown = protect(raw)
        groups: dict[tuple, dict] = {}
        for cell in shown:
            period, rest = cell.key[0], cell.key[1:]
            where = rest[-1] if children else place.path
            cats = rest[: len(dims)]
            if where is None or (any(c is None for c in cats) and any(c is not None for c in cats)):
                continue  # partial margins: the receiving system sums them itself
            group = groups.setdefault((period, where), {"total": None, "parts": [], "hidden": 0})
            if cell.hidden:
                group["hidden"] += 1
                withheld += 1
                continue
            if cell.value is None:
                continue
            categories = {
                mapping.categories[d]["code"]: mapping.option(d, v)
                for d, v in zip(dims, cats, strict=True)
                if v is not None
            }
            value = Value(
                spec["data_element"],
                codes.get(where, where),
                periods[period],
                categories,
                _number(cell.value, indicator.unit),
            )
            if categories:
                group["parts"].append(value)
            else:
                group["total"] = value
        for group in groups.values():
            if group["total"] and group["hidden"]:
                group["total"].note = ngettext(
                    "%(n)s disaggregated value withheld (small numbers).",
                    "%(n)s disaggregated values withheld (small numbers).",
                    group["hidden"],
                ) % {"n": group["hidden"]}
            out += ([group["total"]] if group["total"] else []) + group["parts"]
    return out, withheld


def _checked(user, code: str, place: Place, mapping: Mapping) -> Mapping:
    """The mapping of one indicator, once the user may send it for `place`: the place in their
    scope, an indicator they may see, and its category combination (the mapping's `by`)
    through the firewall. PermissionDenied or ValidationError (on "format") otherwise."""
    check_place(user, place)
    indicator = get(code)
    if indicator not in visible_indicators(user):
        raise PermissionDenied(_("Your role cannot see this indicator."))
    if code not in mapping.indicators:
        raise ValidationError(
            {"format": _("This indicator has no DHIS2 or ADX code in the export mapping.")}
        )
    spec = mapping.indicators[code]
    by = tuple(spec.get("by", ()))
    check_disaggregation(user, indicator, place, by)
    if (STATUS_COLUMNS & set(by) or indicator.counts_by_status) and (
        place.kind == PlaceKind.SITE or place.level > STATUS_MAX_LEVEL
    ):
        # An export is protected whoever asks: as for any protected table, a breakdown by
        # migration status, or a count whose population depends on it, leaves for countries
        # and first-level areas only.
        raise ValidationError(
            {
                "format": _(
                    "This indicator is sent by migration status, which leaves MHIS for "
                    "countries and first-level areas only: choose a wider place."
                )
            }
        )
    return Mapping(mapping.data_set, mapping.categories, {code: spec})


def exportable(user, code: str, place: Place, mapping: Mapping | None = None) -> bool:
    """Whether `user` may download `code` for `place` as DHIS2 or ADX (`for_indicator`)."""
    try:
        _checked(user, code, place, mapping or load_mapping())
    except (PermissionDenied, ValidationError, DefinitionError):
        return False
    return True


def for_indicator(
    user, code: str, place: Place, period_keys: list[str], mapping: Mapping | None = None
) -> tuple[Mapping, list[Value], int]:
    """One indicator's values for DHIS2 or ADX as the dashboard offers them to `user`: its
    mapping (that indicator alone), the values and the number withheld. Protected as every
    export is, whatever the role (a withheld value is left out; its total says how many),
    and only where the user may see the indicator and its breakdown (`_checked`)."""
    one = _checked(user, code, place, mapping or load_mapping())
    rows, withheld = values(one, place, period_keys)
    return one, rows, withheld


def _coc(value: Value) -> str:
    return "_".join(value.categories.values())


def dhis2(mapping: Mapping, rows: list[Value]) -> dict:
    """A DHIS2 dataValueSet (Web API import format, ID scheme: code)."""
    org_units = {v.org_unit for v in rows}
    period_set = {v.period.dhis2 for v in rows}
    document: dict = {"dataSet": mapping.data_set, "completeDate": timezone.localdate().isoformat()}
    if len(period_set) == 1:
        document["period"] = period_set.pop()
    if len(org_units) == 1:
        document["orgUnit"] = org_units.pop()
    data = []
    for v in rows:
        item = {"dataElement": v.data_element}
        if "period" not in document:
            item["period"] = v.period.dhis2
        if "orgUnit" not in document:
            item["orgUnit"] = v.org_unit
        if v.categories:
            item["categoryOptionCombo"] = _coc(v)
        item["value"] = v.value
        if v.note:
            item["comment"] = v.note
        data.append(item)
    document["dataValues"] = data
    return document


def adx(mapping: Mapping, rows: list[Value]) -> bytes:
    """An ADX data message (IHE QRPH ADX, namespace urn:ihe:qrph:adx:2015)."""
    if not rows:
        raise ValueError(_("Nothing to export: every value is empty or withheld."))
    ET.register_namespace("", ADX_NS)
    root = ET.Element(
        f"{{{ADX_NS}}}adx", {"exported": timezone.now().replace(microsecond=0).isoformat()}
    )
    groups: dict[tuple, ET.Element] = {}
    for v in rows:
        key = (v.org_unit, v.period.adx)
        group = groups.get(key)
        if group is None:
            group = ET.SubElement(
                root,
                f"{{{ADX_NS}}}group",
                {"orgUnit": v.org_unit, "period": v.period.adx, "dataSet": mapping.data_set},
            )
            groups[key] = group
        element = ET.SubElement(
            group,
            f"{{{ADX_NS}}}dataValue",
            {"dataElement": v.data_element, "value": v.value, **v.categories},
        )
        if v.note:
            ET.SubElement(element, f"{{{ADX_NS}}}annotation").text = v.note
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- what a dashboard shows ----------------------------------------------------------------------


def shown_rows(result: Published, labels) -> list[list[str]]:
    """Header and rows of a published table, as shown (for CSV and XLSX)."""
    indicator = result.indicator
    header = [_("Period"), *(labels.dimension(d) for d in result.by)]
    if indicator.denominator is not None:
        header += [_("Numerator"), _("Denominator")]
    header += [_("Value")]
    rows = [header]
    for cell in result.cells:
        row = [
            cell.key[0],
            *(labels.value(d, v) for d, v in zip(result.by, cell.key[1:], strict=True)),
        ]
        if indicator.denominator is not None:
            row += [_count(cell.numerator), _count(cell.denominator)]
        row.append(text(cell, indicator.unit, indicator.suppression))
        rows.append(row)
    return rows


def _count(n) -> str:
    return "" if n is None else str(n)


def to_csv(rows: list[list[str]]) -> str:
    return downloads.to_csv(rows)


def to_xlsx(rows: list[list[str]], title: str) -> bytes:
    return downloads.to_xlsx(rows, title)
