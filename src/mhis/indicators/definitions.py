"""Indicator definitions as data: TOML files, loaded and checked when the system starts.

A file holds one or more indicators, each a table named by its code::

    [CXR_COVERAGE]
    name = "Chest X-ray coverage"
    unit = "percentage"                 # count | percentage | per100k | median_days | p90_days
    source = "assessment"               # see mhis.indicators.sources
    count = "person"                    # person (distinct people) | row (events)
    where = {}                          # the population, applied to every part on this source
    numerator = { where = { xray_read = true } }
    denominator = {}
    disaggregations = ["sex", "age_group", "nationality", "migration_status", "place", "period"]
    frameworks = { gcm = ["1", "15"], sdg = ["17.18"], programme = ["health_assessment"] }
    suppression = "default"

A numerator on the same source as its denominator is counted within it (its rows meet the
denominator's conditions too). A condition is ``column = value``, ``column = [values]`` or
``column = { not = …, gte = …, lte = …, gt = …, lt = …, null = true|false }``. Any mistake
raises `DefinitionError` naming the file, the indicator and the field.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mhis.registry.codes import MigrationStatus

from .sources import BOOL, COMMON, DATE, FLOAT, INT, SOURCES, TEXT, Column, Source

COMMON_NAMES = frozenset(c.name for c in COMMON)
PACK_DIR = Path(__file__).with_name("pack")
UNITS = ("count", "percentage", "per100k", "median_days", "p90_days")
RATE_UNITS = ("percentage", "per100k")
VALUE_UNITS = ("median_days", "p90_days")
COUNTS = ("person", "row")
# Columns that are, or imply, a person's migration status.
STATUS_COLUMNS = frozenset({"migration_status"})
BASE_DIMENSIONS = ("sex", "age_group", "nationality", "migration_status", "place", "period")
FRAMEWORKS = ("gcm", "sdg", "programme")
OPERATORS = ("not", "gt", "gte", "lt", "lte", "null")
SUPPRESSION_RULES = ("default", "strict", "rounded")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
_SDG = re.compile(r"^\d{1,2}\.[0-9a-z]{1,2}(\.\d{1,2})?$")
_KEYS = {
    "name",
    "description",
    "unit",
    "source",
    "count",
    "value",
    "where",
    "numerator",
    "denominator",
    "disaggregations",
    "frameworks",
    "suppression",
}


class DefinitionError(ValueError):
    """A definition that cannot be used; the message names the file, indicator and field."""

    def __init__(self, where: str, field: str, message: str):
        self.where, self.field = where, field
        super().__init__(f"{where}: {field}: {message}")


@dataclass(frozen=True)
class Condition:
    column: str
    op: str  # eq | in | not | not_in | gt | gte | lt | lte | null
    value: Any


@dataclass(frozen=True)
class Part:
    source: str
    where: tuple[Condition, ...]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    description: str
    unit: str
    count: str
    value: str | None
    numerator: Part
    denominator: Part | None
    disaggregations: tuple[str, ...]
    frameworks: dict[str, tuple[str, ...]]
    suppression: str
    file: str = field(default="", compare=False)

    @property
    def parts(self) -> tuple[Part, ...]:
        return (self.numerator, self.denominator) if self.denominator else (self.numerator,)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({p.source for p in self.parts}))

    @property
    def counts_by_status(self) -> bool:
        """Whether the population counted depends on migration status (as "migrants", everyone
        but the host community): set beside another indicator, it tells status."""
        return any(c.column in STATUS_COLUMNS for p in self.parts for c in p.where)

    @property
    def statuses(self) -> frozenset[str] | None:
        """The migration statuses the numerator's population admits (None: every one)."""
        admitted = None
        for c in self.numerator.where:
            if c.column not in STATUS_COLUMNS:
                continue
            values = frozenset(c.value if isinstance(c.value, list | tuple) else [c.value])
            match c.op:
                case "eq" | "in":
                    these = values
                case "not" | "not_in":
                    these = frozenset(MigrationStatus.values) - values
                case _:
                    these = frozenset(MigrationStatus.values)
            admitted = these if admitted is None else admitted & these
        return admitted


def _check_value(where: str, fld: str, column: Column, value: Any) -> Any:
    expected = {
        BOOL: (bool,),
        INT: (int,),
        FLOAT: (int, float),
        TEXT: (str,),
        DATE: (str,),
    }[column.type]
    if (isinstance(value, bool) and column.type != BOOL) or not isinstance(value, expected):
        raise DefinitionError(where, fld, f"expected a {column.type} value, got {value!r}")
    if column.type == DATE:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise DefinitionError(where, fld, f"not a date (YYYY-MM-DD): {value!r}") from None
    if column.choices is not None and value not in column.choices:
        raise DefinitionError(
            where, fld, f"{value!r} is not one of {', '.join(repr(c) for c in column.choices)}"
        )
    return value


def _conditions(where: str, fld: str, raw: Any, source: Source) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise DefinitionError(where, fld, "expected a table of conditions")
    columns = source.by_name
    out = []
    for name, spec in raw.items():
        path = f"{fld}.{name}"
        column = columns.get(name)
        if column is None:
            raise DefinitionError(
                where,
                path,
                f"unknown column of source {source.name!r} (columns: {', '.join(sorted(columns))})",
            )
        if isinstance(spec, list):
            if not spec:
                raise DefinitionError(where, path, "an empty list matches nothing")
            out.append(
                Condition(name, "in", tuple(_check_value(where, path, column, v) for v in spec))
            )
        elif isinstance(spec, dict):
            for op, value in spec.items():
                if op not in OPERATORS:
                    raise DefinitionError(
                        where, f"{path}.{op}", f"unknown operator (use {', '.join(OPERATORS)})"
                    )
                if op == "null":
                    if not isinstance(value, bool):
                        raise DefinitionError(where, f"{path}.null", "expected true or false")
                    out.append(Condition(name, "null", value))
                elif op == "not" and isinstance(value, list):
                    checked = tuple(_check_value(where, f"{path}.not", column, v) for v in value)
                    out.append(Condition(name, "not_in", checked))
                else:
                    if op != "not" and column.type not in (INT, FLOAT, DATE):
                        raise DefinitionError(
                            where, f"{path}.{op}", f"{op} compares numbers or dates only"
                        )
                    out.append(
                        Condition(name, op, _check_value(where, f"{path}.{op}", column, value))
                    )
        else:
            out.append(Condition(name, "eq", _check_value(where, path, column, spec)))
    return tuple(out)


def _part(where: str, fld: str, raw: Any, default_source: str | None, population) -> Part:
    if not isinstance(raw, dict):
        raise DefinitionError(where, fld, "expected a table (use {} for no conditions)")
    unknown = set(raw) - {"source", "where"}
    if unknown:
        raise DefinitionError(where, f"{fld}.{sorted(unknown)[0]}", "unknown field")
    name = raw.get("source", default_source)
    if name not in SOURCES:
        raise DefinitionError(
            where, f"{fld}.source", f"unknown source {name!r} (sources: {', '.join(SOURCES)})"
        )
    own = _conditions(where, f"{fld}.where", raw.get("where"), SOURCES[name])
    # The population applies wholly on its own source, and by its common columns elsewhere.
    shared = (
        population
        if name == default_source
        else tuple(c for c in population if c.column in COMMON_NAMES)
    )
    return Part(name, shared + own)


def _strings(where: str, fld: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        raise DefinitionError(where, fld, "expected a list of strings")
    return tuple(raw)


def parse(code: str, raw: Any, file: str = "<definition>") -> Indicator:
    """Check one indicator's table and return it; raise DefinitionError naming the field."""
    where = f"{file}: [{code}]"
    if not _CODE.match(code):
        raise DefinitionError(where, "code", "use 2–40 capitals, digits and underscores")
    if not isinstance(raw, dict):
        raise DefinitionError(where, "code", "expected a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise DefinitionError(where, unknown[0], "unknown field")
    for required in ("name", "unit", "source", "numerator"):
        if required not in raw:
            raise DefinitionError(where, required, "this field is required")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip():
        raise DefinitionError(where, "name", "expected a non-empty string")
    unit = raw["unit"]
    if unit not in UNITS:
        raise DefinitionError(where, "unit", f"{unit!r} is not one of {', '.join(UNITS)}")
    source = raw["source"]
    if source not in SOURCES:
        raise DefinitionError(
            where, "source", f"unknown source {source!r} (sources: {', '.join(SOURCES)})"
        )
    count = raw.get("count", "person")
    if count not in COUNTS:
        raise DefinitionError(where, "count", f"{count!r} is not one of {', '.join(COUNTS)}")
    population = _conditions(where, "where", raw.get("where"), SOURCES[source])
    numerator = _part(where, "numerator", raw["numerator"], source, population)
    denominator = None
    if unit in RATE_UNITS:
        if "denominator" not in raw:
            raise DefinitionError(where, "denominator", f"a {unit} needs a denominator")
        denominator = _part(where, "denominator", raw["denominator"], source, population)
        if numerator.source == denominator.source:
            # Counted within the denominator: its rows meet the denominator's conditions too.
            extra = tuple(c for c in numerator.where if c not in denominator.where)
            numerator = Part(numerator.source, denominator.where + extra)
    elif "denominator" in raw:
        raise DefinitionError(where, "denominator", f"a {unit} has no denominator")
    value = raw.get("value")
    if unit in VALUE_UNITS:
        column = SOURCES[numerator.source].by_name.get(value) if isinstance(value, str) else None
        if column is None or column.type not in (INT, FLOAT):
            raise DefinitionError(where, "value", f"a {unit} needs a numeric column to summarise")
    elif value is not None:
        raise DefinitionError(where, "value", f"a {unit} takes no value column")
    dims = _strings(where, "disaggregations", raw.get("disaggregations", list(BASE_DIMENSIONS)))
    allowed = set(BASE_DIMENSIONS) | {
        c.name for c in SOURCES[numerator.source].all_columns if c.dimension
    }
    for dim in dims:
        if dim not in allowed:
            raise DefinitionError(
                where, "disaggregations", f"{dim!r} is not a disaggregation of this source"
            )
    frameworks_raw = raw.get("frameworks", {})
    if not isinstance(frameworks_raw, dict):
        raise DefinitionError(where, "frameworks", "expected a table")
    frameworks = {}
    for key, tags in frameworks_raw.items():
        if key not in FRAMEWORKS:
            raise DefinitionError(where, f"frameworks.{key}", "unknown framework")
        frameworks[key] = _strings(where, f"frameworks.{key}", tags)
    for objective in frameworks.get("gcm", ()):
        if not objective.isdigit() or not 1 <= int(objective) <= 23:
            raise DefinitionError(
                where, "frameworks.gcm", f"GCM objectives are 1–23: {objective!r}"
            )
    for target in frameworks.get("sdg", ()):
        if not _SDG.match(target):
            raise DefinitionError(where, "frameworks.sdg", f"not an SDG target: {target!r}")
    suppression = raw.get("suppression", "default")
    if suppression not in SUPPRESSION_RULES:
        raise DefinitionError(
            where, "suppression", f"{suppression!r} is not one of {', '.join(SUPPRESSION_RULES)}"
        )
    return Indicator(
        code=code,
        name=name.strip(),
        description=str(raw.get("description", "")).strip(),
        unit=unit,
        count=count,
        value=value,
        numerator=numerator,
        denominator=denominator,
        disaggregations=dims,
        frameworks=frameworks,
        suppression=suppression,
        file=file,
    )


def load_file(path: Path) -> list[Indicator]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(str(path.name), "file", str(exc)) from None
    return [parse(code, raw, path.name) for code, raw in data.items()]


def load(dirs: list[Path] | None = None) -> dict[str, Indicator]:
    """Every definition in the standard pack and in `dirs`; codes must be unique."""
    found: dict[str, Indicator] = {}
    for directory in [PACK_DIR, *(dirs or [])]:
        for path in sorted(Path(directory).glob("*.toml")):
            for indicator in load_file(path):
                if indicator.code in found:
                    raise DefinitionError(
                        f"{path.name}: [{indicator.code}]",
                        "code",
                        f"already defined in {found[indicator.code].file}",
                    )
                found[indicator.code] = indicator
    return found
