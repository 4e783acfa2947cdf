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

from .cellkey import MODULUS
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
    # Cell keys (mhis.indicators.cellkey): the sum of the record keys counted, mod 2**32.
    key: int = 0
    den_key: int = 0


@dataclass
class Table:
    indicator: Indicator
    request: Request
    cells: dict[Key, Cell] = field(default_factory=dict)


def _finish(
    indicator: Indicator,
    num: dict,
    den: dict | None,
    request: Request,
    keys: dict | None = None,
    den_keys: dict | None = None,
) -> Table:
    table = Table(indicator, request)
    unit = indicator.unit
    keys, den_keys = keys or {}, den_keys or {}
    if den is None:
        for key, n in num.items():
            k = keys.get(key, 0) % MODULUS
            if unit in VALUE_UNITS:
                values = sorted(n)
                q = 0.5 if unit == "median_days" else 0.9
                table.cells[key] = Cell(
                    len(values), None, quantile(values, q) if values else None, key=k
                )
            else:
                table.cells[key] = Cell(n, None, float(n), key=k)
        return table
    missing = missing_dimensions(indicator, request)
    for key in set(num) | set(den):
        at = broadcast(key, missing)
        d = den.get(at, 0)
        n = num.get(key, 0)
        value = n * SCALE[unit] / d if d else None
        table.cells[key] = Cell(
            n, d, value, key=keys.get(key, 0) % MODULUS, den_key=den_keys.get(at, 0) % MODULUS
        )
    return table


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (Hyndman–Fan type 7)."""
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return float(values[lo] + (values[hi] - values[lo]) * (pos - lo))


def _from_counts(counts: list[tuple], q: float) -> tuple[int, float | None, int]:
    """(number of values, q-quantile, cell key) from (value, count, key sum) triples, None
    values included (and left out)."""
    key = sum(k for v, _n, k in counts if v is not None) % MODULUS
    counts = sorted((v, n) for v, n, _k in counts if v is not None)
    total = sum(n for _, n in counts)
    if not total:
        return 0, None, 0
    pos = (total - 1) * q
    lo = math.floor(pos)

    def nth(i):
        seen = 0
        for v, n in counts:
            seen += n
            if i < seen:
                return v
        return counts[-1][0]

    low, high = nth(lo), nth(min(lo + 1, total - 1))
    return total, float(low + (high - low) * (pos - lo)), key


def missing_dimensions(indicator: Indicator, request: Request) -> tuple[int, ...]:
    """Positions in the key of dimensions the denominator's source lacks (its total is used)."""
    if indicator.denominator is None:
        return ()
    columns = SOURCES[indicator.denominator.source].by_name
    return tuple(
        i + 1 for i, dim in enumerate(request.by) if dim not in ("place", "period", *columns)
    )


def broadcast(key: Key, missing: tuple[int, ...]) -> Key:
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
    i_key = names.index("key")
    acc: dict = defaultdict(set if mode == "person" else list if mode == "value" else int)
    keys: dict = defaultdict(int)  # the cell keys of counted rows and values
    person_keys: dict[int, int] = {}
    for row in extract.rows:
        day, site = row[i_date], row[i_site]
        if not (request.start <= day < request.end and site.startswith(request.place)):
            continue
        if not keep(row):
            continue
        values = [
            child_place(site, depth)
            if d == "place"
            else None
            if dim_index[j] is None
            else row[dim_index[j]]
            for j, d in enumerate(request.by)
        ]
        for g in groupings:
            if any(values[j] is None for j in g):
                continue  # a missing value is not a category; the total still counts the row
            key = (row[i_period], *(values[j] if j in g else None for j in range(len(values))))
            if mode == "person":
                acc[key].add(row[i_person])
                person_keys[row[i_person]] = row[i_key]
            elif mode == "value":
                values_here = acc[key]  # the cell exists even with no values, as in SQL
                if row[i_value] is not None:  # as SQL aggregates do, a missing value is skipped
                    values_here.append(row[i_value])
                    keys[key] += row[i_key]
            else:
                acc[key] += 1
                keys[key] += row[i_key]
    if mode == "person":
        return {k: len(v) for k, v in acc.items()}, {
            k: sum(person_keys[p] for p in v) for k, v in acc.items()
        }
    return dict(acc), dict(keys)


def compute_rows(indicator: Indicator, extracts: dict[str, Extract], request: Request) -> Table:
    """The live engine: aggregate extracted rows in Python."""
    num, keys = _aggregate(
        indicator, indicator.numerator, extracts[indicator.numerator.source], request
    )
    den, den_keys = None, None
    if indicator.denominator is not None:
        den, den_keys = _aggregate(
            indicator, indicator.denominator, extracts[indicator.denominator.source], request
        )
    return _finish(indicator, num, den, request, keys, den_keys)


# -- the batch engine: SQL on DuckDB over Arrow / Parquet ----------------------------------------


CODE = "#code"  # suffix of a dimension's code column (1, 2, … in the order of its values)
_MEASURE_BITS = 62  # person measures counted together (bits of one BIGINT)


class _Params:
    """Named query parameters: every value of a definition is bound, never spliced."""

    def __init__(self):
        self.values: dict[str, object] = {}

    def __call__(self, value) -> str:
        name = f"v{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def _sql_condition(c: Condition, bind: _Params) -> str:
    col = f'"{c.column}"'
    match c.op:
        case "eq":
            return f"{col} = {bind(c.value)}"
        case "in":
            return f"{col} IN ({', '.join(bind(v) for v in c.value)})"
        case "not":
            return f"{col} IS DISTINCT FROM {bind(c.value)}"
        case "not_in":
            return f"({col} IS NULL OR {col} NOT IN ({', '.join(bind(v) for v in c.value)}))"
        case "null":
            return f"{col} IS {'' if c.value else 'NOT '}NULL"
    op = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
    return f"{col} {op} {bind(c.value)}"


def _sql_where(conditions: Iterable[Condition], bind: _Params) -> str:
    return " AND ".join(f"({_sql_condition(c, bind)})" for c in conditions) or "TRUE"


@dataclass
class _Use:
    """One numerator or denominator of one job, as a measure of a shared scan."""

    job: int
    role: str  # "num" | "den"
    mode: str  # "person" | "row" | "value"
    part: Part
    request: Request
    sets: list[tuple[str, ...]]  # grouping sets this use needs (dimensions its source has)
    value: str | None = None
    q: float = 0.5
    measure: int = 0  # index of the shared measure (identical uses share one)


class DuckEngine:
    """Compute indicators with DuckDB over one table per source (registered Arrow tables).

    `compute_many` plans a batch: the jobs are grouped by source and scope (dates, place,
    period type), identical numerators and denominators become one measure, and each group
    is answered by a few scans whatever the number of indicators on it. Distinct people are
    counted the way their data allows (see `_people`).
    """

    def __init__(self, tables: dict, threads: int | None = None):
        """An engine over Arrow tables, one per source (a missing source is empty)."""
        import duckdb

        self.con = duckdb.connect(config={"preserve_insertion_order": False})
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.arrow = dict(tables)
        self.codes: dict[str, dict[str, list]] = {name: {} for name in SOURCES}
        self._child_lists: dict[tuple[str, str], str] = {}
        for name, table in self.arrow.items():
            self.con.register(name, table)

    def _coded(self, source: str, columns: Iterable[str]) -> None:
        """Give text columns of a source a code column (their values numbered in order of
        appearance, 0 for a missing value) the first time a query needs them, so that
        grouping never hashes strings."""
        import pyarrow as pa
        import pyarrow.compute as pc

        todo = [c for c in columns if c not in self.codes[source]]
        if not todo:
            return
        table = self.arrow[source]
        for column in todo:
            encoded = pc.dictionary_encode(table.column(column).combine_chunks())
            code = pc.fill_null(pc.add(encoded.indices.cast(pa.int32()), 1), 0)
            table = table.append_column(column + CODE, code)
            self.codes[source][column] = encoded.dictionary.to_pylist()
        self.arrow[source] = table
        self.con.unregister(source)
        self.con.register(source, table)

    def compute(self, indicator: Indicator, request: Request) -> Table:
        return self.compute_many([(indicator, request)])[0]

    def compute_many(self, jobs: Iterable[tuple[Indicator, Request]]) -> list[Table]:
        jobs = list(jobs)
        groups: dict[tuple, list[_Use]] = defaultdict(list)
        for i, (indicator, request) in enumerate(jobs):
            roles = [("num", indicator.numerator)]
            if indicator.denominator is not None:
                roles.append(("den", indicator.denominator))
            for role, part in roles:
                columns = SOURCES[part.source].by_name
                present = {d for d in request.by if d == "place" or d in columns}
                use = _Use(
                    i,
                    role,
                    indicator.count,
                    part,
                    request,
                    [s for s in request.groupings() if set(s) <= present],
                )
                if indicator.unit in VALUE_UNITS:
                    use.mode, use.value = "value", indicator.value
                    use.q = 0.5 if indicator.unit == "median_days" else 0.9
                scope = (
                    part.source,
                    request.start,
                    request.end,
                    request.period_type,
                    request.place,
                )
                groups[scope].append(use)
        found: list[dict[str, dict]] = [{"num": {}, "den": {}} for _ in jobs]
        for scope, uses in groups.items():
            for mode, runner in (("person", self._people), ("row", self._rows)):
                chosen = [u for u in uses if (u.mode == "person") == (mode == "person")]
                if chosen:
                    for use, cells in runner(scope, chosen):
                        found[use.job][use.role] = cells
        tables = []
        for (indicator, request), got in zip(jobs, found, strict=True):
            if indicator.unit in VALUE_UNITS:
                table = Table(indicator, request)
                for key, (n, value, k) in got["num"].items():
                    table.cells[key] = Cell(
                        n, None, float(value) if value is not None else None, key=k
                    )
                tables.append(table)
            else:
                num = {key: n for key, (n, _k) in got["num"].items()}
                keys = {key: k for key, (_n, k) in got["num"].items()}
                den = den_keys = None
                if indicator.denominator is not None:
                    den = {key: n for key, (n, _k) in got["den"].items()}
                    den_keys = {key: k for key, (_n, k) in got["den"].items()}
                tables.append(_finish(indicator, num, den, request, keys, den_keys))
        return tables

    # -- planning helpers

    @staticmethod
    def _measures(uses: list[_Use]) -> list[_Use]:
        """Give identical uses one shared measure; return the distinct ones."""
        seen: dict[tuple, int] = {}
        distinct = []
        for use in uses:
            key = (use.mode, repr(use.part.where), use.value, use.q)
            if key not in seen:
                seen[key] = len(distinct)
                distinct.append(use)
            use.measure = seen[key]
        return distinct

    def _scan(self, scope: tuple, dims: list[str], columns: set[str], bind: _Params) -> str:
        """The rows of a source in scope: period `p`, dimensions `d0…`, person, `columns`."""
        source, start, end, period_type, place = scope
        wanted = [c.removesuffix(CODE) for c in columns if c.endswith(CODE)]
        self._coded(source, [period_type, "site", *(d for d in dims if d != "place"), *wanted])
        exprs = [self._code(scope, d) for d in dims]
        select = ", ".join(
            [
                f'"{period_type}{CODE}" AS p',
                *(f"{e} AS d{i}" for i, e in enumerate(exprs)),
                "person",
                *(f'"{c}"' for c in sorted(columns - {"person"})),
            ]
        )
        where = f'"date" >= {bind(start)} AND "date" < {bind(end)}'
        if place != "/":
            where += f' AND {self._children(source, place)}["site{CODE}"] IS NOT NULL'
        return f"SELECT {select} FROM {source} WHERE {where}"  # noqa: S608

    def _code(self, scope: tuple, dim: str) -> str:
        """A dimension as an integer: its code, or for the place the id of the child place
        the row falls under (0 for a row at the place itself)."""
        if dim != "place":
            return f'"{dim}{CODE}"'
        return f'{self._children(scope[0], scope[4])}["site{CODE}"]'

    def _children(self, source: str, place: str) -> str:
        """A list literal: for each site code, the id of the child of `place` the site is
        under (0: the place itself; NULL: not under it)."""
        if (source, place) not in self._child_lists:
            depth = place_depth(place)
            ids = []
            for site in self.codes[source].get("site", []):
                if not site.startswith(place):
                    ids.append("NULL")
                else:
                    parts = site.strip("/").split("/")
                    ids.append(parts[depth] if len(parts) > depth else "0")
            self._child_lists[(source, place)] = f"([{', '.join(ids)}]::BIGINT[])"
        return self._child_lists[(source, place)]

    def _value(self, scope: tuple, dim: str, code: int):
        """The value a code stands for (None for a missing value)."""
        if dim == "place":
            return f"{scope[4]}{code}/" if code else scope[4]
        return self.codes[scope[0]][dim][code - 1] if code else None

    @staticmethod
    def _layout(uses: list[_Use]) -> tuple[list[str], list[tuple[str, ...]]]:
        dims: list[str] = []
        sets: list[tuple[str, ...]] = []
        for use in uses:
            for s in use.sets:
                dims += [d for d in s if d not in dims]
                if set(s) not in [set(t) for t in sets]:
                    sets.append(s)
        return dims, sets

    @staticmethod
    def _grouping_id(dims: list[str], s: tuple[str, ...]) -> int:
        """DuckDB's GROUPING(d0, d1, …) for the set `s`: a bit set for each dimension left out."""
        n = len(dims)
        return sum(1 << (n - 1 - i) for i, d in enumerate(dims) if d not in s)

    @staticmethod
    def _key(use: _Use, period, given: dict) -> Key | None:
        if any(v is None for v in given.values()):
            return None  # a missing value is not a category; the total still counts the row
        return (period, *(given.get(d) for d in use.request.by))

    # -- counting rows and values: one scan per source and scope

    def _rows(self, scope: tuple, uses: list[_Use]):
        """Rows, and values' quantiles, per cell: one grouping-sets scan for the counts and
        one per value column for the values. Values are counted per distinct value (a
        histogram: days take few values) and the quantiles read from the counts, as the
        Python engine reads them from the sorted values."""
        counted = [u for u in uses if u.mode != "value"]
        if counted:
            yield from self._grouped(scope, counted, None)
        for column in sorted({u.value for u in uses if u.mode == "value"}):
            yield from self._grouped(scope, [u for u in uses if u.value == column], column)

    def _grouped(self, scope: tuple, uses: list[_Use], value: str | None):
        distinct = self._measures(uses)
        dims, sets = self._layout(uses)
        bind = _Params()
        columns = {c.column for u in distinct for c in u.part.where} | ({value} if value else set())
        measures = [
            f"count(*) FILTER (WHERE {_sql_where(u.part.where, bind)}) AS n{m}"
            for m, u in enumerate(distinct)
        ]
        measures += [
            f'sum("key") FILTER (WHERE {_sql_where(u.part.where, bind)}) AS k{m}'
            for m, u in enumerate(distinct)
        ]
        columns.add("key")
        scan = self._scan(scope, dims, columns, bind)
        ds = [f"d{i}" for i in range(len(dims))]
        extra = f', "{value}"' if value else ""
        grouping = ", ".join(
            "(" + ", ".join(["p", *(f"d{dims.index(d)}" for d in s)]) + extra + ")" for s in sets
        )
        gid = f"GROUPING({', '.join(ds)})" if ds else "0"
        sql = (
            f"SELECT p, {''.join(d + ', ' for d in ds)}{gid} AS g{extra}, {', '.join(measures)} "  # noqa: S608
            f"FROM ({scan}) GROUP BY GROUPING SETS ({grouping})"
        )
        rows = self.con.execute(sql, bind.values).fetchall()
        first = 2 + len(dims) + bool(value)  # the first count
        for use in uses:
            cells: dict = {}
            wanted = {self._grouping_id(dims, s): s for s in use.sets}
            n_at = first + use.measure
            k_at = first + len(distinct) + use.measure
            for row in rows:
                s = wanted.get(row[1 + len(dims)])
                if s is None or not row[n_at]:
                    continue
                given = {d: self._value(scope, d, row[1 + dims.index(d)]) for d in s}
                key = self._key(use, self._value(scope, scope[3], row[0]), given)
                if key is None:
                    continue
                if value is None:
                    cells[key] = (row[n_at], int(row[k_at]) % MODULUS)
                else:
                    cells.setdefault(key, []).append((row[first - 1], row[n_at], int(row[k_at])))
            if value is not None:
                cells = {key: _from_counts(counts, use.q) for key, counts in cells.items()}
            yield use, cells

    # -- counting people

    def _people(self, scope: tuple, uses: list[_Use]):
        """Distinct people per cell, for every person measure of a source in one query.

        Each row carries its measures as bits and its dimensions packed into one integer
        (their codes, `DuckEngine.over`). One pass reduces the rows to one per period and
        person: the bits any of the person's rows had, and the least and greatest packed
        value. Where the two are equal (nearly everyone: sex, nationality and age group
        rarely change within a month, and most people keep to one site) the person is that
        one row and every cell is a plain count over these rows. The others (two sites in a
        month, a status that changed) are counted exactly from their own rows, person by
        person; the two parts are different people, so they add.
        """
        distinct = self._measures(uses)
        if len(distinct) > _MEASURE_BITS:
            # Split into batches that fit the bits of one integer; identical uses stay together.
            keep = {id(u) for u in distinct[:_MEASURE_BITS]}
            first = [u for u in uses if id(distinct[u.measure]) in keep]
            rest = [u for u in uses if id(distinct[u.measure]) not in keep]
            yield from self._people(scope, first)
            yield from self._people(scope, rest)
            return
        source = scope[0]
        dims, _ = self._layout(uses)
        self._coded(source, ["site", *(d for d in dims if d != "place")])
        k = len(dims)
        needed: dict[tuple[str, ...], int] = {}  # grouping set → bits of the measures asked
        for use in uses:
            for s in use.sets:
                t = tuple(d for d in dims if d in s)
                needed[t] = needed.get(t, 0) | (1 << use.measure)
        sets = list(needed)
        bind = _Params()
        columns = {c.column for u in distinct for c in u.part.where}
        bits = " + ".join(
            f"(CASE WHEN {_sql_where(u.part.where, bind)} THEN {1 << m} ELSE 0 END)"
            for m, u in enumerate(distinct)
        )
        # Packed dimensions: code_i × stride_i, the place (child id, unbounded) on top.
        parts, strides, stride = [], [], 1
        for i, d in enumerate(dims):
            if d != "place":
                size = len(self.codes[source][d]) + 1
                parts.append(f"{self._code(scope, d)}::BIGINT * {stride}")
                strides.append((i, stride, size))
                stride *= size
        if "place" in dims:  # unbounded ids: on top
            parts.append(f"{self._code(scope, 'place')} * {stride}")
            strides.append((dims.index("place"), stride, None))
        packed = " + ".join(parts) or "0"
        unpack = {i: f"k // {st}" + (f" % {n}" if n else "") for i, st, n in strides}
        dcols = "".join(f"d{i}, " for i in range(k))
        decoded = "".join(f"({unpack[i].replace('k', 'lo', 1)}) AS d{i}, " for i in range(k))
        decoded_r = "".join(f"({unpack[i]}) AS d{i}, " for i in range(k))
        ms = range(len(distinct))
        sums = ", ".join(
            [
                *(f"sum((fm >> {m}) & 1) AS m{m}" for m in ms),
                *(f"sum(((fm >> {m}) & 1) * pk) AS q{m}" for m in ms),
            ]
        )
        gid = f"GROUPING({', '.join(f'd{i}' for i in range(k))})" if k else "0"
        which = " ".join(f"WHEN {self._grouping_id(dims, t)} THEN {i}" for i, t in enumerate(sets))

        def grouping(extra=""):
            return ", ".join(
                "(" + ", ".join(["p", *(f"d{dims.index(d)}" for d in t)]) + extra + ")"
                for t in sets
            )

        coded = {d + CODE for d in dims if d != "place"}
        scan = self._scan(scope, [], columns | coded | {"site" + CODE, "key"}, bind)
        sql = (
            f"WITH r AS NOT MATERIALIZED (SELECT p, person, k, bits, pk FROM (SELECT p, person, ({packed}) AS k, "  # noqa: S608
            f'({bits})::BIGINT AS bits, "key" AS pk FROM ({scan})) WHERE bits <> 0), '
            f"pre AS MATERIALIZED (SELECT p, person, min(k) AS lo, max(k) AS hi, bit_or(bits) AS fm, "
            f"any_value(pk) AS pk FROM r GROUP BY p, person), "
            f"parts AS ("
            f"SELECT CASE {gid} {which} END AS sid, p, {dcols}{sums} "
            f"FROM (SELECT p, {decoded}fm, pk FROM pre WHERE lo = hi) GROUP BY GROUPING SETS ({grouping()}) "
            f"UNION ALL SELECT sid, p, {dcols}{sums} FROM ("
            f"SELECT CASE {gid} {which} END AS sid, p, {dcols}bit_or(bits) AS fm, any_value(pk) AS pk FROM ("
            f"SELECT p, person, {decoded_r}bits, pk FROM r JOIN (SELECT p, person FROM pre WHERE lo <> hi) "
            f"USING (p, person)) GROUP BY GROUPING SETS ({grouping(', person')})"
            f") GROUP BY sid, p, {dcols}fm) "
            f"SELECT sid, p, {dcols}{', '.join([*(f'sum(m{m})' for m in ms), *(f'sum(q{m})' for m in ms)])} "
            f"FROM parts GROUP BY sid, p, {dcols.rstrip(', ') or 'p'}"
        )
        counts: dict[tuple, tuple] = {}  # (measure, set, period, values) → (people, key)
        n_measures = len(distinct)
        for row in self.con.execute(sql, bind.values).fetchall():
            t = sets[row[0]]
            values = [self._value(scope, x, row[2 + dims.index(x)]) for x in t]
            for m in ms:
                if row[2 + k + m] and needed[t] >> m & 1:
                    period = self._value(scope, scope[3], row[1])
                    key = int(row[2 + k + n_measures + m]) % MODULUS
                    counts[(m, t, period, tuple(values))] = (row[2 + k + m], key)
        for use in uses:
            cells = {}
            wanted = {tuple(d for d in dims if d in s) for s in use.sets}
            for (m, t, period, values), people in counts.items():
                if m == use.measure and t in wanted:
                    key = self._key(use, period, dict(zip(t, values, strict=True)))
                    if key is not None:
                        cells[key] = people
            yield use, cells


def same(a: Table, b: Table, places: int = 9) -> list[str]:
    """Differences between two tables of the same indicator (empty when they agree)."""
    diffs = []
    for key in sorted(set(a.cells) | set(b.cells), key=repr):
        x, y = a.cells.get(key), b.cells.get(key)
        if x is None or y is None:
            diffs.append(f"{key}: only in {'second' if x is None else 'first'}")
            continue
        for attr in ("numerator", "denominator", "value", "key", "den_key"):
            u, v = getattr(x, attr), getattr(y, attr)
            if (u is None) != (v is None) or (
                u is not None and round(float(u), places) != round(float(v), places)
            ):
                diffs.append(f"{key}.{attr}: {u} != {v}")
    return diffs
