"""Exports of protected results: DHIS2 dataValueSets JSON, ADX XML, CSV and XLSX.

DHIS2 and ADX cannot carry "<5": a withheld value is left out — in DHIS2 JSON as a data value
with a comment and no value, which DHIS2 keeps on that cell; in ADX simply left out. Only the
full cross-tabulation of a data element's categories is sent, and a total only where the
mapping says the data set has one (ADR 0020). The mapping (`mapping.toml`, or one saved on the
mapping page) names the instance's data set, data elements, category option combos, org units
and attribute option combo, by UID or by code, and the payload declares which.
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import downloads
from mhis.places.models import Place, PlaceKind

from . import periods as P
from .definitions import RATE_UNITS, STATUS_COLUMNS, VALUE_UNITS, DefinitionError
from .disclosure import protect, text, threshold_of
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

# DHIS2 identifiers: a UID is 11 letters and digits, a letter first; a code is free text of
# at most 50 characters. ADX writes each category's code as an XML attribute name (an NCName)
# and each option's code as its value (an xs:token: no leading, trailing or double spaces).
UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
# and no character XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF), even escaped.
TOKEN = re.compile(r"^[^\s\x00-\x1f\ufffe\uffff]+( [^\s\x00-\x1f\ufffe\uffff]+)*$")
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SCHEMES = ("uid", "code")
# What each identifier identifies, and the import parameter that names its scheme.
SCHEME_PARAMETERS = {
    "data_set": "dataSetIdScheme",
    "data_element": "dataElementIdScheme",
    "org_unit": "orgUnitIdScheme",
    "category_option_combo": "categoryOptionComboIdScheme",
}
# ADX attributes of a dataValue that a category code may not take.
_ADX_RESERVED = {"dataElement", "value", "categoryOptionCombo", "attributeOptionCombo"}


class MappingError(DefinitionError):
    """A mapping that cannot be used: every problem, each with its line where it has one."""

    def __init__(self, where: str, problems: list[tuple[int | None, str, str]]):
        self.problems = problems
        _line, field_name, message = problems[0]
        super().__init__(where, field_name, message)
        self.args = ("\n".join(_problem(where, *p) for p in problems),)


def _problem(where: str, line: int | None, field_name: str, message: str) -> str:
    at = f"line {line}: " if line else ""
    return f"{where}: {at}{field_name}: {message}"


@dataclass
class Mapping:
    data_set: str
    categories: dict[str, dict]  # dimension → {"code": …, "options": {value: code}}
    indicators: dict[str, dict] = field(default_factory=dict)  # code → {"data_element", "by", …}
    id_schemes: dict[str, str] = field(default_factory=dict)  # kind → "uid" | "code"
    org_units: dict[str, str] = field(default_factory=dict)  # place code → org unit
    attribute_option_combo: str = ""

    def option(self, dim: str, value: str) -> str:
        return self.categories[dim].get("options", {}).get(value, value)

    def scheme(self, kind: str) -> str:
        return self.id_schemes.get(kind, self.id_schemes.get("default", "code"))

    def org_unit(self, place_code: str) -> str | None:
        """The org unit of a place: as mapped, else (identified by code) the place's code."""
        if place_code in self.org_units:
            return self.org_units[place_code]
        return place_code if self.scheme("org_unit") == "code" else None

    def combo(self, code: str, dims: tuple[str, ...], values: tuple) -> str | None:
        """The DHIS2 category option combo of one combination of an indicator's categories:
        as mapped (``combos``), else (identified by code) the option codes joined by "_"."""
        key = ",".join(str(v) for v in values)
        combos = self.indicators[code].get("combos", {})
        if key in combos:
            return combos[key]
        if self.scheme("category_option_combo") != "code":
            return None
        return "_".join(self.option(d, v) for d, v in zip(dims, values, strict=True))

    def schemes(self) -> dict[str, str]:
        """The id schemes as DHIS2's import parameters name them (upper case, as in payloads)."""
        out = {"idScheme": self.scheme("default").upper()}
        for kind, parameter in SCHEME_PARAMETERS.items():
            out[parameter] = self.scheme(kind).upper()
        return out


def mapping_text(path: Path | None = None) -> tuple[str, str]:
    """The mapping in force and its name: the file given, else the one last saved on the
    mapping page, else MHIS_EXPORT_MAPPING, else the bundled one."""
    if path is None:
        from .models import ExportMapping

        saved = ExportMapping.objects.order_by("-saved_at", "-pk").first()
        if saved is not None:
            return saved.text, _("the saved mapping")
    path = Path(path or getattr(settings, "MHIS_EXPORT_MAPPING", "") or DEFAULT_MAPPING)
    try:
        return path.read_text(encoding="utf-8"), path.name
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(path.name, "file", str(exc)) from None


def load_mapping(path: Path | None = None) -> Mapping:
    """Read and check a mapping; MappingError names each problem with its line and field."""
    text, name = mapping_text(path)
    mapping, problems = check_mapping(text, name)
    if problems or mapping is None:
        raise MappingError(name, problems)
    return mapping


def _lines(text: str):
    """Where each table and key begins, to say on which line a problem lies."""
    tables: dict[str, int] = {}
    keys: dict[tuple[str, str], int] = {}
    current = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if m:
            current = m.group(1).replace('"', "").replace(" ", "")
            tables.setdefault(current, number)
            continue
        m = re.match(r'^"?([^"=]+?)"?\s*=', line)
        if m:
            keys.setdefault((current, m.group(1).strip()), number)

    def at(path: str) -> int | None:
        table, _dot, key = path.rpartition(".")
        return keys.get((table, key)) or tables.get(path) or tables.get(table)

    return at


def check_mapping(text: str, name: str = "mapping") -> tuple[Mapping | None, list]:
    """The mapping a text describes, and every problem found, as (line, field, message)."""
    problems: list[tuple[int | None, str, str]] = []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        return None, [(line, "file", _("not valid TOML: %(error)s") % {"error": exc})]
    at = _lines(text)

    def bad(path: str, message: str) -> None:
        problems.append((at(path), path, message))

    def table(path: str, value) -> dict:
        """`value` if it is a table, else {} (and the problem said)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            bad(path, _("expected a table"))
            return {}
        return value

    schemes: dict[str, str] = {"default": str(raw.get("id_scheme", "code")).lower()}
    if schemes["default"] not in SCHEMES:
        bad("id_scheme", _("expected uid or code"))
        schemes["default"] = "code"
    for kind, scheme in table("id_schemes", raw.get("id_schemes")).items():
        if kind not in SCHEME_PARAMETERS:
            bad(f"id_schemes.{kind}", _("expected one of %(kinds)s") % {
                "kinds": ", ".join(SCHEME_PARAMETERS)})  # fmt: skip
        elif str(scheme).lower() not in SCHEMES:
            bad(f"id_schemes.{kind}", _("expected uid or code"))
        else:
            schemes[kind] = str(scheme).lower()

    def scheme(kind: str) -> str:
        return schemes.get(kind, schemes["default"])

    def identifier(path: str, value, kind: str) -> bool:
        if not isinstance(value, str) or not value.strip():
            bad(path, _("expected an identifier"))
            return False
        if scheme(kind) == "uid" and not UID.match(value):
            bad(path, _("%(value)r is not a DHIS2 UID (11 letters and digits, a letter first)")
                % {"value": value})  # fmt: skip
            return False
        if scheme(kind) == "code" and (len(value) > 50 or value != value.strip()):
            bad(path, _("%(value)r is not a DHIS2 code (at most 50 characters, no spaces "
                        "around)") % {"value": value})  # fmt: skip
            return False
        return True

    data_set = raw.get("data_set")
    identifier("data_set", data_set, "data_set")
    aoc = raw.get("attribute_option_combo", "")
    if aoc:
        identifier("attribute_option_combo", aoc, "category_option_combo")
    org_units = table("org_units", raw.get("org_units"))
    known_places = set(
        Place.objects.filter(code__in=list(org_units)).values_list("code", flat=True)
    )
    for place, unit in org_units.items():
        if place not in known_places:
            bad(f"org_units.{place}", _("no place has this code"))
        identifier(f"org_units.{place}", unit, "org_unit")
    categories = table("categories", raw.get("categories"))
    for dim, spec in categories.items():
        code = spec.get("code") if isinstance(spec, dict) else None
        if not isinstance(code, str) or not NCNAME.match(code) or code in _ADX_RESERVED:
            bad(f"categories.{dim}.code", _("%(value)r cannot name an ADX category: letters, "
                "digits and _ . - only, a letter or _ first") % {"value": code})  # fmt: skip
            continue
        options = table(f"categories.{dim}.options", spec.get("options"))
        for value, option in options.items():
            if not isinstance(option, str) or not TOKEN.match(option):
                bad(f"categories.{dim}.options.{value}", _("%(value)r is not a valid option "
                    "code (no spaces around, no double spaces)") % {"value": option})  # fmt: skip
    known = catalogue()
    indicators = table("indicators", raw.get("indicators"))
    for code, spec in indicators.items():
        where = f"indicators.{code}"
        if code not in known:
            bad(where, _("no indicator has this code"))
            continue
        if not isinstance(spec, dict):
            bad(where, _("expected a table"))
            continue
        identifier(f"{where}.data_element", spec.get("data_element"), "data_element")
        by = spec.get("by", [])
        if not isinstance(by, list) or not all(isinstance(d, str) for d in by):
            bad(f"{where}.by", _('expected a list of disaggregations, as ["sex", "age_group"]'))
            by = []
        for dim in by:
            if dim not in known[code].disaggregations or dim in ("place", "period"):
                bad(f"{where}.by", _("%(dim)r is not a disaggregation of %(code)s") % {
                    "dim": dim, "code": code})  # fmt: skip
            elif dim not in categories:
                bad(f"{where}.by", _("no category for %(dim)r") % {"dim": dim})
        for key, combo in table(f"{where}.combos", spec.get("combos")).items():
            if len(str(key).split(",")) != len(by):
                bad(f"{where}.combos.{key}", _("expected one value per category of by, "
                    "separated by commas"))  # fmt: skip
            identifier(f"{where}.combos.{key}", combo, "category_option_combo")
        if "total_data_element" in spec:
            identifier(f"{where}.total_data_element", spec["total_data_element"], "data_element")
        if "total_combo" in spec:
            identifier(f"{where}.total_combo", spec["total_combo"], "category_option_combo")
        unknown = set(spec) - {"data_element", "by", "combos", "total_data_element", "total_combo"}
        for key in sorted(unknown):
            bad(f"{where}.{key}", _("not a field of an indicator's mapping"))
    unknown = set(raw) - {"data_set", "id_scheme", "id_schemes", "attribute_option_combo",
                          "org_units", "categories", "indicators"}  # fmt: skip
    for key in sorted(unknown):
        bad(key, _("not a field of the mapping"))
    if problems:
        return None, sorted(problems, key=lambda p: (p[0] or 0, p[1]))
    return Mapping(data_set, categories, indicators, schemes, dict(org_units), aoc), []


@dataclass
class Value:
    data_element: str
    org_unit: str
    period: P.Period
    categories: dict[str, str]  # ADX: category code → option code (none: not disaggregated)
    value: str  # "": withheld, only its comment is sent
    note: str = ""
    combo: str = ""  # the DHIS2 category option combo ("": the default one)
    total: bool = False

    @property
    def withheld(self) -> bool:
        return self.value == ""


def _number(value: float, unit: str) -> str:
    if unit == "count":
        return str(int(value))
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def _withheld_note(cell, indicator) -> str:
    """The comment DHIS2 keeps on a value left out (what the page shows as "<5")."""
    n = threshold_of(cell, indicator.suppression)
    if indicator.unit in RATE_UNITS or indicator.unit in VALUE_UNITS:
        return _("Withheld: it rests on fewer than %(n)s people.") % {"n": n}
    return _("Withheld to protect the people counted: fewer than %(n)s.") % {"n": n}


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
    indicator's page); an indicator refused for that is named in `refused`.

    A withheld value goes as a comment without a value (DHIS2 keeps it on that cell). A total
    goes only where the mapping gives it a place (`total_data_element` or `total_combo`; else
    DHIS2 adds up the parts), and never beside a withheld part, which it would give away.
    MappingError names each place without an org unit and each combination without a
    category option combo."""
    periods = {p.key: p for p in (P.parse(k) for k in period_keys)}
    out, withheld = [], 0
    problems: list[tuple[int | None, str, str]] = []
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
        groups: dict[tuple, dict] = {}
        for cell in protect(raw):
            period, rest = cell.key[0], cell.key[1:]
            where = rest[-1] if children else place.path
            cats = rest[: len(dims)]
            if where is None or (any(c is None for c in cats) and any(c is not None for c in cats)):
                continue  # partial margins: the receiving system sums them itself
            group = groups.setdefault((period, where), {"total": None, "parts": []})
            if all(c is None for c in cats):
                group["total"] = cell
            else:
                group["parts"].append((cats, cell))
        for (period, where), group in groups.items():
            place_code = codes.get(where, where)
            org_unit = mapping.org_unit(place_code)
            if org_unit is None:
                problems.append((None, f"org_units.{place_code}", _("this place has no org unit")))
                continue
            for cats, cell in group["parts"]:
                combo = mapping.combo(code, dims, cats)
                if combo is None:
                    key = ",".join(str(c) for c in cats)
                    problems.append((None, f"indicators.{code}.combos.{key}",
                                     _("this combination has no category option combo")))  # fmt: skip
                    continue
                categories = {
                    mapping.categories[d]["code"]: mapping.option(d, v)
                    for d, v in zip(dims, cats, strict=True)
                }
                value = Value(spec["data_element"], org_unit, periods[period], categories, "",
                              combo=combo)  # fmt: skip
                if cell.hidden:
                    value.note = _withheld_note(cell, indicator)
                    withheld += 1
                elif cell.value is None:
                    continue
                else:
                    value.value = _number(cell.value, indicator.unit)
                out.append(value)
            cell = group["total"]
            if cell is None:
                continue
            element, combo = spec["data_element"], ""
            if dims:
                if "total_data_element" not in spec and "total_combo" not in spec:
                    continue  # the data set has no total: DHIS2 adds up the parts
                element = spec.get("total_data_element", element)
                combo = spec.get("total_combo", "")
            total = Value(element, org_unit, periods[period], {}, "", combo=combo, total=True)
            if dims and any(part.hidden for _cats, part in group["parts"]):
                total.note = _("Not sent: with the parts sent, it would give away the withheld "
                               "ones.")  # fmt: skip
            elif cell.hidden:
                total.note = _withheld_note(cell, indicator)
                withheld += 1
            elif cell.value is None:
                continue
            else:
                total.value = _number(cell.value, indicator.unit)
            out.append(total)
    if problems:
        unique = list(dict.fromkeys(problems))
        raise MappingError(_("the mapping"), unique)
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
    return replace(mapping, indicators={code: spec})


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


def for_push(
    user, place: Place, period_keys: list[str], *, children: bool = False
) -> tuple[Mapping, list[Value], int, list[str]]:
    """What `user` sends to DHIS2 from the mapping page: every mapped indicator they may send
    for `place` (as `for_indicator` checks one; with `children`, broken down by place too),
    protected as every export is. Also the number withheld and the indicators left out."""
    mapping = load_mapping()
    check_place(user, place)
    kept, refused = {}, []
    for code, spec in mapping.indicators.items():
        try:
            _checked(user, code, place, mapping)
            if children:
                by = (*spec.get("by", ()), "place")
                check_disaggregation(user, get(code), place, by)
        except (PermissionDenied, ValidationError):
            refused.append(code)
            continue
        kept[code] = spec
    allowed = replace(mapping, indicators=kept)
    rows, withheld = values(allowed, place, period_keys, children=children, refused=refused)
    return allowed, rows, withheld, refused


def dhis2(mapping: Mapping, rows: list[Value]) -> dict:
    """A DHIS2 dataValueSet (Web API import format) that names its id schemes, so DHIS2 reads
    each identifier as the mapping writes it (schemes in a payload outrank the request's)."""
    org_units = {v.org_unit for v in rows}
    period_set = {v.period.dhis2 for v in rows}
    document: dict = {**mapping.schemes(), "dataSet": mapping.data_set}
    if len(period_set) == 1 and len(org_units) == 1:
        document["completeDate"] = timezone.localdate().isoformat()
    if len(period_set) == 1:
        document["period"] = period_set.pop()
    if len(org_units) == 1:
        document["orgUnit"] = org_units.pop()
    if mapping.attribute_option_combo:
        document["attributeOptionCombo"] = mapping.attribute_option_combo
    data = []
    for v in rows:
        item = {"dataElement": v.data_element}
        if "period" not in document:
            item["period"] = v.period.dhis2
        if "orgUnit" not in document:
            item["orgUnit"] = v.org_unit
        if v.combo:
            item["categoryOptionCombo"] = v.combo
        if not v.withheld:
            item["value"] = v.value
        if v.note:
            item["comment"] = v.note
        data.append(item)
    document["dataValues"] = data
    return document


def adx(mapping: Mapping, rows: list[Value]) -> bytes:
    """An ADX data message (IHE QRPH ADX, namespace urn:ihe:qrph:adx:2015).

    ADX names data elements, org units and data sets by code (DHIS2's default for ADX) and
    each category by an attribute; it has no comment DHIS2 keeps, so a withheld value is
    simply left out. A total goes as its own data element, or with the category option combo
    the mapping gives it (DHIS2 reads that attribute in preference to categories)."""
    if any(mapping.scheme(kind) != "code" for kind in SCHEME_PARAMETERS):
        raise ValueError(
            _(
                "ADX identifies data by code, and this mapping uses DHIS2 UIDs: download the "
                "DHIS2 JSON instead, or map codes."
            )
        )
    sent = [v for v in rows if not v.withheld]
    if not sent:
        raise ValueError(_("Nothing to export: every value is empty or withheld."))
    for v in sent:
        names = (mapping.data_set, mapping.attribute_option_combo, v.data_element, v.org_unit,
                 v.combo)  # fmt: skip
        for name in names:
            if NOT_XML.search(name):
                raise ValueError(
                    _("%(code)r cannot be written in ADX: it holds a control character.")
                    % {"code": name}
                )
        for category, option in v.categories.items():
            if not NCNAME.match(category) or category in _ADX_RESERVED:
                raise ValueError(
                    _("%(category)r cannot name a category in ADX: letters, digits and _ . - "
                      "only, a letter or _ first.") % {"category": category}
                )  # fmt: skip
            if not TOKEN.match(option):
                raise ValueError(
                    _("%(option)r cannot be written as an option of %(category)s in ADX: map it "
                      "to a code without spaces around.") % {"option": option, "category": category}
                )  # fmt: skip
    ET.register_namespace("", ADX_NS)
    root = ET.Element(
        f"{{{ADX_NS}}}adx", {"exported": timezone.now().replace(microsecond=0).isoformat()}
    )
    groups: dict[tuple, ET.Element] = {}
    for v in sent:
        key = (v.org_unit, v.period.adx)
        group = groups.get(key)
        if group is None:
            attributes = {
                "orgUnit": v.org_unit,
                "period": v.period.adx,
                "dataSet": mapping.data_set,
            }
            if mapping.attribute_option_combo:
                attributes["attributeOptionCombo"] = mapping.attribute_option_combo
            group = ET.SubElement(root, f"{{{ADX_NS}}}group", attributes)
            groups[key] = group
        extra = {"categoryOptionCombo": v.combo} if v.total and v.combo else v.categories
        ET.SubElement(
            group,
            f"{{{ADX_NS}}}dataValue",
            {"dataElement": v.data_element, "value": v.value, **extra},
        )
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
