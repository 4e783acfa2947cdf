"""Computing an indicator: one definition, two engines that must agree to the last digit.

`compute_rows` aggregates extracted rows in Python (the live engine: a place and period read
from the operational database). `DuckEngine` compiles the same definition to SQL over the
batch extract (Arrow tables from Parquet). Both return a `Table`: for each period, the cells
of every combination of the requested disaggregations, totals included (a dimension set to
None is its total), holding the raw numerator, denominator and value. Nothing here
suppresses: that happens on the way out (`mhis.indicators.suppression`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .definitions import VALUE_UNITS, Condition, Indicator, Part
from .periods import KINDS
from .sources import SOURCES, Extract

SCALE = {"percentage": 100.0, "per100k": 100_000.0}
Key = tuple  # (period, *dimension values); None is the total of a dimension


@dataclass(frozen=True)
class Request:
    """What to compute: events on [start, end), counted per `period_type`, under `place`."""

    start: dt.date
    end: dt.date
    period_type: str = "month"
    place: str = "/"  # a place path; "/" is everywhere (the place dimension is then countries)
    by: tuple[str, ...] = ()
    cross: bool = True  # False: each dimension on its own (margins), not their cross-table

    def __post_init__(self):
        if self.period_type not in KINDS:
            raise ValueError(f"period_type: not one of {', '.join(KINDS)}")
        if self.end <= self.start:
            raise ValueError("end: must be after start")

    def groupings(self) -> list[tuple[str, ...]]:
        """Every subset of `by` (the cross-tabulation and all its margins), or with `cross`
        off the total and each dimension alone."""
        if not self.cross:
            return [(), *((d,) for d in self.by)]
        return [
            combo for r in range(len(self.by) + 1) for combo in itertools.combinations(self.by, r)
        ]


@dataclass
class Cell:
    numerator: float = 0
    denominator: float | None = None
    value: float | None = None


@dataclass
class Table:
    indicator: Indicator
    request: Request
    cells: dict[Key, Cell] = field(default_factory=dict)


def _finish(indicator: Indicator, num: dict, den: dict | None, request: Request) -> Table:
    table = Table(indicator, request)
    unit = indicator.unit
    if den is None:
        for key, n in num.items():
            if unit in VALUE_UNITS:
                values = sorted(n)
                q = 0.5 if unit == "median_days" else 0.9
                table.cells[key] = Cell(len(values), None, quantile(values, q) if values else None)
            else:
                table.cells[key] = Cell(n, None, float(n))
        return table
    missing = missing_dimensions(indicator, request)
    for key in set(num) | set(den):
        d = den.get(_broadcast(key, missing), 0)
        n = num.get(key, 0)
        value = n * SCALE[unit] / d if d else None
        table.cells[key] = Cell(n, d, value)
    return table


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (Hyndman–Fan type 7)."""
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return float(values[lo] + (values[hi] - values[lo]) * (pos - lo))


def missing_dimensions(indicator: Indicator, request: Request) -> tuple[int, ...]:
    """Positions in the key of dimensions the denominator's source lacks (its total is used)."""
    if indicator.denominator is None:
        return ()
    columns = SOURCES[indicator.denominator.source].by_name
    return tuple(
        i + 1 for i, dim in enumerate(request.by) if dim not in ("place", "period", *columns)
    )


def _broadcast(key: Key, missing: tuple[int, ...]) -> Key:
    if not missing:
        return key
    return tuple(None if i in missing else v for i, v in enumerate(key))


# -- the live engine: Python over extracted rows ------------------------------------------------


def _predicate(conditions: Iterable[Condition], names: list[str]) -> Callable[[tuple], bool]:
    tests = []
    for c in conditions:
        i = names.index(c.column)
        v = c.value
        match c.op:
            case "eq":
                tests.append(lambda r, i=i, v=v: r[i] == v)
            case "in":
                tests.append(lambda r, i=i, v=v: r[i] in v)
            case "not":
                tests.append(lambda r, i=i, v=v: r[i] != v)
            case "not_in":
                tests.append(lambda r, i=i, v=v: r[i] not in v)
            case "gt":
                tests.append(lambda r, i=i, v=v: r[i] is not None and r[i] > v)
            case "gte":
                tests.append(lambda r, i=i, v=v: r[i] is not None and r[i] >= v)
            case "lt":
                tests.append(lambda r, i=i, v=v: r[i] is not None and r[i] < v)
            case "lte":
                tests.append(lambda r, i=i, v=v: r[i] is not None and r[i] <= v)
            case "null":
                tests.append(lambda r, i=i, v=v: (r[i] is None) is v)
    return lambda row: all(t(row) for t in tests)


def child_place(path: str, depth: int) -> str:
    """The ancestor of `path` one level below a place of `depth` ids (or `path` if shallower)."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[: depth + 1]) + "/"


def place_depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


def _aggregate(indicator: Indicator, part: Part, extract: Extract, request: Request) -> dict:
    names = extract.names
    keep = _predicate(part.where, names)
    i_date, i_site, i_person = names.index("date"), names.index("site"), names.index("person")
    i_period = names.index(request.period_type)
    depth = place_depth(request.place)
    dim_index = [names.index(d) if d in names else None for d in request.by]
    # A dimension this source lacks (antigen, for a denominator of people assessed) is only
    # ever at its total here.
    usable = {j for j, d in enumerate(request.by) if d == "place" or dim_index[j] is not None}
    groupings = []
    for combo in request.groupings():
        g = tuple(j for j, d in enumerate(request.by) if d in combo)
        if set(g) <= usable:
            groupings.append(g)
    mode = "value" if indicator.unit in VALUE_UNITS else indicator.count
    i_value = names.index(indicator.value) if mode == "value" else None
    acc: dict = defaultdict(set if mode == "person" else list if mode == "value" else int)
    for row in extract.rows:
        day, site = row[i_date], row[i_site]
        if not (request.start <= day < request.end and site.startswith(request.place)):
            continue
        if not keep(row):
            continue
        values = [
            child_place(site, depth) if d == "place" else None if dim_index[j] is None
            else row[dim_index[j]]
            for j, d in enumerate(request.by)
        ]  # fmt: skip
        for g in groupings:
            key = (row[i_period], *(values[j] if j in g else None for j in range(len(values))))
            if mode == "person":
                acc[key].add(row[i_person])
            elif mode == "value":
                values_here = acc[key]  # the cell exists even with no values, as in SQL
                if row[i_value] is not None:  # as SQL aggregates do, a missing value is skipped
                    values_here.append(row[i_value])
            else:
                acc[key] += 1
    if mode == "person":
        return {k: len(v) for k, v in acc.items()}
    return dict(acc)


def compute_rows(indicator: Indicator, extracts: dict[str, Extract], request: Request) -> Table:
    """The live engine: aggregate extracted rows in Python."""
    num = _aggregate(indicator, indicator.numerator, extracts[indicator.numerator.source], request)
    den = None
    if indicator.denominator is not None:
        den = _aggregate(
            indicator, indicator.denominator, extracts[indicator.denominator.source], request
        )
    return _finish(indicator, num, den, request)


# -- the batch engine: SQL on DuckDB over Arrow / Parquet ----------------------------------------


def _sql_condition(c: Condition, params: list) -> str:
    col = f'"{c.column}"'
    match c.op:
        case "eq":
            params.append(c.value)
            return f"{col} = ?"
        case "in":
            params.extend(c.value)
            return f"{col} IN ({', '.join('?' * len(c.value))})"
        case "not":
            params.append(c.value)
            return f"{col} IS DISTINCT FROM ?"
        case "not_in":
            params.extend(c.value)
            return f"({col} IS NULL OR {col} NOT IN ({', '.join('?' * len(c.value))}))"
        case "null":
            return f"{col} IS {'' if c.value else 'NOT '}NULL"
    op = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
    params.append(c.value)
    return f"{col} {op} ?"


class DuckEngine:
    """Compute indicators with DuckDB over one table per source (registered Arrow tables)."""

    def __init__(self, connection, tables: dict[str, str] | None = None):
        self.con = connection
        self.tables = tables or {name: name for name in SOURCES}

    def _aggregate(self, indicator: Indicator, part: Part, request: Request) -> dict:
        columns = SOURCES[part.source].by_name
        params: list = [request.start, request.end, request.place]
        where = ['"date" >= ?', '"date" < ?', "starts_with(site, ?)"]
        where += [_sql_condition(c, params) for c in part.where]
        depth = place_depth(request.place)
        exprs = []
        for dim in request.by:
            if dim == "place":
                exprs.append(f"regexp_extract(site, '^/(?:[0-9]+/){{1,{depth + 1}}}') AS d_place")
            elif dim in columns:
                exprs.append(f'"{dim}" AS "d_{dim}"')
        present = [d for d in request.by if d == "place" or d in columns]
        sets = [
            "(" + ", ".join(["p", *(f'"d_{d}"' for d in combo)]) + ")"
            for combo in request.groupings()
            if set(combo) <= set(present)
        ]
        if indicator.unit in VALUE_UNITS:
            q = 0.5 if indicator.unit == "median_days" else 0.9
            measure = f'count("{indicator.value}"), quantile_cont("{indicator.value}", {q})'
        elif indicator.count == "person":
            measure = "count(DISTINCT person)"
        else:
            measure = "count(*)"
        needed = ["person"] + ([f'"{indicator.value}"'] if indicator.unit in VALUE_UNITS else [])
        select = ", ".join([f'"{request.period_type}" AS p', *exprs, *needed])
        grouped = "".join(f'"d_{d}", ' for d in present)
        # Names come from checked definitions; every value is a parameter.
        table = self.tables[part.source]
        conditions, grouping = " AND ".join(where), ", ".join(sets)
        sql = f"SELECT p, {grouped}{measure} FROM (SELECT {select} FROM {table} WHERE {conditions}) GROUP BY GROUPING SETS ({grouping})"  # noqa: S608
        out = {}
        for row in self.con.execute(sql, params).fetchall():
            period, dims, rest = row[0], row[1 : 1 + len(present)], row[1 + len(present) :]
            given = dict(zip(present, dims, strict=True))
            key = (period, *(given.get(d) for d in request.by))
            out[key] = rest if len(rest) > 1 else rest[0]
        return out

    def compute(self, indicator: Indicator, request: Request) -> Table:
        # Numerator and denominator are separate scans: one scan with two filtered distinct
        # counts measured slower on DuckDB (bench/indicators/RESULTS.md).
        num = self._aggregate(indicator, indicator.numerator, request)
        den = None
        if indicator.denominator is not None:
            den = self._aggregate(indicator, indicator.denominator, request)
        if indicator.unit in VALUE_UNITS:
            table = Table(indicator, request)
            for key, (n, value) in num.items():
                table.cells[key] = Cell(n, None, float(value) if value is not None else None)
            return table
        return _finish(indicator, num, den, request)


def same(a: Table, b: Table, places: int = 9) -> list[str]:
    """Differences between two tables of the same indicator (empty when they agree)."""
    diffs = []
    for key in sorted(set(a.cells) | set(b.cells), key=repr):
        x, y = a.cells.get(key), b.cells.get(key)
        if x is None or y is None:
            diffs.append(f"{key}: only in {'second' if x is None else 'first'}")
            continue
        for attr in ("numerator", "denominator", "value"):
            u, v = getattr(x, attr), getattr(y, attr)
            if (u is None) != (v is None) or (
                u is not None and round(float(u), places) != round(float(v), places)
            ):
                diffs.append(f"{key}.{attr}: {u} != {v}")
    return diffs
