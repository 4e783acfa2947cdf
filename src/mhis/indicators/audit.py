"""Auditing what was published as an attacker would: every cell an insider could obtain, over
the linked tables, and how much each withheld or adjusted count is pinned down by them.

This is the attack of τ-ARGUS and of R's sdcTable (`attack()`), by linear programming over all
the published equations (ADR 0014). Each published cell says something of a true count:

- an exact cell: the count itself;
- a cell with the cell-key adjustment (`spread` either way): the count within that spread;
- a withheld cell ("<5", "<10"): its published value was 1–4 (or 1–9), so the count lies within
  that range widened by the spread.

Cells are *the same unknown* wherever the same records are counted: the same measure (source,
what is counted, conditions), period, place and categories, in any indicator, table or route.
Between them hold the relations a table's structure implies: a total and its parts along every
breakdown, a place and its children, a quarter and its months, a year and its quarters; a
numerator and its denominator; events and the people they belong to. A relation is taken as an
equality where it holds exactly in the records (the strongest attacker), else as the inequality
that always holds. For each target cell (a true count from 1 to the threshold − 1), the smallest
and largest values it can take consistent with all of it are found by `scipy.optimize.linprog`.

A cell is *pinned* when no two whole numbers fit in that interval: a combination of published
cells gives its true value exactly.

Solving a linear programme per cell is out of reach for tens of thousands of linked cells, so
the audit first looks for a *witness*: another world, consistent with everything published,
in which the cell holds one more or one fewer — a person with one record added, removed, or
moved to another category, period or place. Such a world changes every published cell that
would count that record, so every relation above still holds; it is consistent when each of
those cells stays within what its publication allows. A witnessed cell is not pinned. Only the
cells left without a witness go to the linear programme (exact cells, whose value is known,
taken out of it as constants).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .definitions import RATE_UNITS, VALUE_UNITS, Indicator, Part
from .disclosure import SENSITIVE, SENSITIVE_THRESHOLD, SMALL, Shown, rule
from .engine import Table, missing_dimensions
from .periods import parse as parse_period

EPSILON = 1e-6


@dataclass(frozen=True)
class Measure:
    """What a cell counts: rows or distinct people (or values) of a source meeting conditions."""

    source: str
    mode: str  # "person" | "row" | "value:<column>"
    where: str  # the conditions, in a canonical written form

    @classmethod
    def of(cls, indicator: Indicator, part: Part, *, denominator: bool = False) -> Measure:
        mode = indicator.count
        if indicator.unit in VALUE_UNITS and not denominator:
            mode = f"value:{indicator.value}"
        where = ";".join(sorted(repr(c) for c in part.where))
        return cls(part.source, mode, where)

    @property
    def conditions(self) -> frozenset[str]:
        return frozenset(c for c in self.where.split(";") if c)


@dataclass(frozen=True)
class Coord:
    """One unknown: a measure's count for a period, a place and fixed categories."""

    measure: Measure
    period: str
    place: str
    dims: tuple[tuple[str, str], ...]  # (dimension, value), sorted; the place is `place`


@dataclass
class Observation:
    lo: float
    hi: float
    true: int


@dataclass
class Finding:
    coord: Coord
    true: int
    lo: float
    hi: float
    how: str = "linear programme"

    @property
    def undecided(self) -> bool:
        """Neither a witness nor a linear programme small enough to solve."""
        return math.isnan(self.lo)

    @property
    def pinned(self) -> bool:
        """No two whole numbers fit: the published cells give the true count exactly."""
        if self.undecided:
            return False
        return math.floor(self.hi + EPSILON) - math.ceil(self.lo - EPSILON) < 1


@dataclass
class Attack:
    """The cells one insider obtained, and what they pin down."""

    spread: int  # the published adjustment's bound (0: exact tables)
    cells: dict[Coord, Observation] = field(default_factory=dict)
    parts: dict[Measure, tuple[Part, str | None]] = field(default_factory=dict)

    # -- what was published

    def observe(self, raw: Table, shown: Iterable[Shown], *, exact: bool = False) -> None:
        """Record a published table: `shown` as published, `raw` the true table it came from."""
        indicator, request = raw.indicator, raw.request
        spread = 0 if exact else self.spread
        r = rule(indicator.suppression)
        missing = missing_dimensions(indicator, request)
        for cell in shown:
            true = raw.cells.get(cell.key)
            parts = [("num", indicator.numerator, cell.numerator, true.numerator if true else 0)]
            if indicator.unit in RATE_UNITS:
                parts.append(
                    (
                        "den",
                        indicator.denominator,
                        cell.denominator,
                        true.denominator if true else 0,
                    )
                )
            for role, part, value, true_value in parts:
                measure = Measure.of(indicator, part, denominator=role == "den")
                value_column = indicator.value if measure.mode.startswith("value:") else None
                self.parts.setdefault(measure, (part, value_column))
                key = cell.key
                if role == "den" and missing:
                    key = tuple(None if i in missing else v for i, v in enumerate(key))
                coord = self._coord(measure, key, request)
                if cell.hidden and indicator.unit in RATE_UNITS:
                    continue  # its numerator or its denominator was small: which, unsaid
                if cell.hidden and cell.flag in (SMALL, SENSITIVE):
                    top = SENSITIVE_THRESHOLD if cell.flag == SENSITIVE else r.threshold
                    # a count withheld was 1 or more; a median's n may be 0 (nothing to show)
                    low = 0 if indicator.unit in VALUE_UNITS else 1
                    lo, hi = low - spread, top - 1 + spread
                elif cell.hidden:
                    lo, hi = 0, math.inf  # withheld for another reason: nothing said
                elif value is None:
                    continue  # a rate with no denominator: nothing said of its parts
                else:
                    lo, hi = value - spread - r.round_to / 2, value + spread + r.round_to / 2
                    if measure.mode.startswith("value:"):
                        lo = max(lo, r.threshold)  # a median is shown only of enough values
                self._add(coord, max(0.0, lo), hi, int(true_value or 0))

    def _coord(self, measure: Measure, key: tuple, request) -> Coord:
        period, values = key[0], key[1:]
        place, dims = request.place, []
        for dim, value in zip(request.by, values, strict=True):
            if value is None:
                continue
            if dim == "place":
                place = value
            else:
                dims.append((dim, str(value)))
        return Coord(measure, period, place, tuple(sorted(dims)))

    def _add(self, coord: Coord, lo: float, hi: float, true: int) -> None:
        seen = self.cells.get(coord)
        if seen is None:
            self.cells[coord] = Observation(lo, hi, true)
        else:
            seen.lo, seen.hi = max(seen.lo, lo), min(seen.hi, hi)

    # -- the relations between cells

    def relations(self) -> list[tuple[dict[Coord, float], str]]:
        """(coefficients, "eq" | "le") meaning Σ coefficient·cell = 0 or <= 0."""
        out: list[tuple[dict[Coord, float], str]] = []
        groups: dict[tuple, list[Coord]] = defaultdict(list)
        for coord in self.cells:
            groups[(coord.measure, coord.period, coord.place)].append(coord)
        by_dims = {c: set(c.dims) for c in self.cells}
        # Along every breakdown: the parts of a cell one category deeper.
        for members in groups.values():
            index: dict[frozenset, Coord] = {frozenset(by_dims[c]): c for c in members}
            children: dict[tuple[Coord, str], list[Coord]] = defaultdict(list)
            for coord in members:
                for dim, value in coord.dims:
                    parent = index.get(frozenset(by_dims[coord] - {(dim, value)}))
                    if parent is not None:
                        children[(parent, dim)].append(coord)
            for (parent, _dim), parts in children.items():
                out += self._family(parent, parts)
        # Places: a place and its children (a drill-down, or each child asked on its own).
        by_place: dict[tuple, dict[str, Coord]] = defaultdict(dict)
        for coord in self.cells:
            by_place[(coord.measure, coord.period, coord.dims)][coord.place] = coord
        for places in by_place.values():
            kids: dict[str, list[Coord]] = defaultdict(list)
            for path, coord in places.items():
                parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
                if parent in places and parent != path:
                    kids[parent].append(coord)
            for parent, parts in kids.items():
                out += self._family(places[parent], parts)
        # Periods: a quarter and its months, a year and its quarters (weeks nest in neither).
        by_period: dict[tuple, dict[str, Coord]] = defaultdict(dict)
        for coord in self.cells:
            by_period[(coord.measure, coord.place, coord.dims)][coord.period] = coord
        for periods in by_period.values():
            for key, coord in periods.items():
                period = parse_period(key)
                if period.type not in ("quarter", "year"):
                    continue
                inner = "month" if period.type == "quarter" else "quarter"
                parts = [c for k, c in periods.items() if _within(k, period, inner)]
                if parts:
                    out += self._family(coord, parts)
        # Measures: a count within another's conditions; events and their people.
        by_cell: dict[tuple, list[Coord]] = defaultdict(list)
        for coord in self.cells:
            by_cell[(coord.measure.source, coord.period, coord.place, coord.dims)].append(coord)
        for coords in by_cell.values():
            for a in coords:
                for b in coords:
                    if a is not b and _counted_within(a.measure, b.measure):
                        out.append(({a: 1.0, b: -1.0}, "le"))
        return out

    def _family(self, total: Coord, parts: list[Coord]) -> list:
        """A total and its parts: each part at most the total; their sum equal to it where the
        records say so, else at least it (a person in two parts) or at most it (rows without
        the category)."""
        out = [({part: 1.0, total: -1.0}, "le") for part in parts]
        whole = sum(self.cells[p].true for p in parts)
        coefficients = dict.fromkeys(parts, 1.0)
        coefficients[total] = -1.0
        if whole == self.cells[total].true:
            out.append((coefficients, "eq"))
        elif whole > self.cells[total].true:
            out.append(({c: -v for c, v in coefficients.items()}, "le"))
        else:
            out.append((coefficients, "le"))
        return out

    # -- the attack

    def targets(self, threshold: int) -> list[Coord]:
        """The cells whose true count must not be given away: from 1 to `threshold` − 1."""
        return [c for c, o in self.cells.items() if 0 < o.true < threshold]

    def run(
        self,
        extracts: dict,
        targets: Iterable[Coord] | None = None,
        threshold: int = 5,
        *,
        largest: int = 20_000,
    ) -> list[Finding]:
        """A finding for each target: a witness, or else its interval by linear programming
        (over its connected cells, up to `largest` unknowns; beyond, it stays undecided)."""
        wanted = list(targets) if targets is not None else self.targets(threshold)
        found = Witnesses(self, extracts).search(wanted)
        findings = [
            Finding(c, self.cells[c].true, found[c][0], found[c][1], found[c][2])
            for c in wanted
            if c in found
        ]
        rest = [c for c in wanted if c not in found]
        if rest:
            findings += self._programme(rest, largest)
        return findings

    def _programme(self, wanted: list[Coord], largest: int) -> list[Finding]:
        """Intervals by linear programming; cells known exactly are constants."""
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import coo_matrix

        fixed = {c: o.lo for c, o in self.cells.items() if o.hi - o.lo < EPSILON}
        relations = []
        for coefficients, kind in self.relations():
            free = {c: v for c, v in coefficients.items() if c not in fixed}
            if free:
                constant = sum(v * fixed[c] for c, v in coefficients.items() if c in fixed)
                relations.append((free, kind, -constant))
        component = _components({c: None for c in self.cells if c not in fixed}, relations)
        members: dict[int, list[Coord]] = defaultdict(list)
        for coord in component:
            members[component[coord]].append(coord)
        in_component: dict[int, list] = defaultdict(list)
        for relation in relations:
            in_component[component[next(iter(relation[0]))]].append(relation)
        findings = []
        for coord in wanted:
            if coord in fixed:
                findings.append(Finding(coord, self.cells[coord].true, fixed[coord], fixed[coord]))
                continue
            label = component[coord]
            coords = members[label]
            if len(coords) > largest:
                findings.append(
                    Finding(
                        coord,
                        self.cells[coord].true,
                        math.nan,
                        math.nan,
                        "undecided: too many linked cells",
                    )
                )
                continue
            at = {c: i for i, c in enumerate(coords)}
            blocks = {"eq": ([], [], [], []), "le": ([], [], [], [])}
            for coefficients, kind, bound in in_component[label]:
                r, c, v, b = blocks[kind]
                for cell, weight in coefficients.items():
                    r.append(len(b))
                    c.append(at[cell])
                    v.append(weight)
                b.append(bound)

            size = len(coords)

            def matrix(kind, blocks=blocks, size=size):
                r, c, v, b = blocks[kind]
                if not b:
                    return None, None
                return coo_matrix((v, (r, c)), shape=(len(b), size)).tocsr(), np.array(b)

            a_eq, b_eq = matrix("eq")
            a_ub, b_ub = matrix("le")
            bounds = [
                (self.cells[c].lo, None if math.isinf(self.cells[c].hi) else self.cells[c].hi)
                for c in coords
            ]
            ends = []
            for sign in (1.0, -1.0):
                objective = np.zeros(len(coords))
                objective[at[coord]] = sign
                result = linprog(
                    objective,
                    A_ub=a_ub,
                    b_ub=b_ub,
                    A_eq=a_eq,
                    b_eq=b_eq,
                    bounds=bounds,
                    method="highs",
                )
                if result.status == 3:  # unbounded
                    ends.append(math.inf if sign < 0 else 0.0)
                    continue
                if result.status != 0:
                    raise RuntimeError(
                        f"audit: the published cells admit no world ({result.message})"
                    )
                ends.append(sign * result.fun)
            findings.append(Finding(coord, self.cells[coord].true, ends[0], ends[1]))
        return findings


class Witnesses:
    """The search for worlds, consistent with everything published, in which a target holds
    one more or one fewer (see the module's documentation)."""

    def __init__(self, attack: Attack, extracts: dict):
        from .engine import _predicate

        self.attack = attack
        self.extracts = extracts
        # (measure, period, place) → {frozenset of (dim, value)} → cell, and the dimension sets
        self.index: dict[tuple, dict[frozenset, Coord]] = defaultdict(dict)
        self.names: dict[tuple, set[tuple[str, ...]]] = defaultdict(set)
        for coord in attack.cells:
            key = (coord.measure, coord.period, coord.place)
            self.index[key][frozenset(coord.dims)] = coord
            self.names[key].add(tuple(d for d, _v in coord.dims))
        self.measures: dict[str, list] = defaultdict(list)
        for measure, (part, value) in attack.parts.items():
            names = extracts[measure.source].names
            test = _predicate(part.where, names)
            if value is not None:
                i = names.index(value)
                self.measures[measure.source].append(
                    (measure, lambda row, test=test, i=i: test(row) and row[i] is not None)
                )
            else:
                self.measures[measure.source].append((measure, test))

    def cells(self, source: str, row: tuple) -> set[Coord]:
        """Every published cell that would count `row` (as a person's only record)."""
        names = self.extracts[source].names
        attrs = dict(zip(names, row, strict=True))
        periods = [attrs[k] for k in ("week", "month", "quarter", "year")]
        parts = attrs["site"].strip("/").split("/")
        places = ["/", *("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts)))]
        out = set()
        for measure, test in self.measures[source]:
            if not test(row):
                continue
            for period in periods:
                for place in places:
                    key = (measure, period, place)
                    entry = self.index.get(key)
                    if entry is None:
                        continue
                    for dims in self.names[key]:
                        coord = entry.get(frozenset((d, str(attrs[d])) for d in dims))
                        if coord is not None:
                            out.add(coord)
        return out

    def _fits(self, up: set[Coord], down: set[Coord]) -> bool:
        return self.fits({**dict.fromkeys(up - down, 1), **dict.fromkeys(down - up, -1)})

    def fits(self, changes: dict[Coord, int]) -> bool:
        """Whether every published cell stays within what its publication allows when the
        true counts change by `changes`."""
        cells = self.attack.cells
        for coord, change in changes.items():
            o = cells[coord]
            if not o.lo - EPSILON <= o.true + change <= o.hi + EPSILON:
                return False
        return True

    def delta(self, source: str, before: list[tuple], after: list[tuple]) -> dict[Coord, int]:
        """How the published cells' true counts change when one person's rows of `source` are
        `after` instead of `before`: events one for one, the person once wherever counted."""

        def counts(rows):
            out: dict[Coord, int] = defaultdict(int)
            people: set[Coord] = set()
            for row in rows:
                for coord in self.cells(source, row):
                    if coord.measure.mode == "person":
                        people.add(coord)
                    else:
                        out[coord] += 1
            for coord in people:
                out[coord] += 1
            return out

        was, now = counts(before), counts(after)
        changes = {c: now.get(c, 0) - was.get(c, 0) for c in set(was) | set(now)}
        return {c: v for c, v in changes.items() if v}

    def check(self) -> list[str]:
        """Where the index of published cells disagrees with the records (empty when every
        cell's true count is what its rows give): the witnesses rest on it."""
        counted: dict[Coord, int] = defaultdict(int)
        for source, people in self._people().items():
            for rows in people.values():
                for coord, n in self.delta(source, [], rows).items():
                    counted[coord] += n
        return [
            f"{coord}: counted {counted.get(coord, 0)}, published from {o.true}"
            for coord, o in self.attack.cells.items()
            if counted.get(coord, 0) != o.true
        ]

    def _people(self) -> dict[str, dict[int, list[tuple]]]:
        """Each counted source's rows by person (read once)."""
        if not hasattr(self, "_by_person"):
            self._by_person = {}
            for source, extract in self.extracts.items():
                if source in self.measures:
                    i_person = extract.names.index("person")
                    people: dict[int, list[tuple]] = defaultdict(list)
                    for row in extract.rows:
                        people[row[i_person]].append(row)
                    self._by_person[source] = people
        return self._by_person

    def search(self, targets: list[Coord], rows_per_target: int = 4) -> dict:
        """target → (lo, hi, how) for every target with a witness."""
        wanted = set(targets)
        rows: dict[Coord, list] = defaultdict(list)
        singles: dict[str, set] = {}
        for source, people in self._people().items():
            singles[source] = {p for p, person_rows in people.items() if len(person_rows) == 1}
            for row in self.extracts[source].rows:
                for coord in self.cells(source, row) & wanted:
                    if len(rows[coord]) < rows_per_target:
                        rows[coord].append((source, row))
        found = {}
        for target in targets:
            true = self.attack.cells[target].true
            for source, row in rows[target]:
                how = self._witness(target, source, row, singles[source])
                if how is not None:
                    sign, text = how
                    found[target] = (true - (sign < 0), true + (sign > 0), text)
                    break
        return found

    def _witness(self, target: Coord, source: str, row: tuple, singles: set):
        names = self.extracts[source].names
        here = self.cells(source, row)
        if self._fits(here, set()):
            return 1, "a person like one counted added"
        single = row[names.index("person")] in singles
        if single and self._fits(set(), here):
            return -1, "a person counted removed"
        if not single:
            return None
        for moved in self._moves(target, source, row):
            there = self.cells(source, moved)
            if target in there:
                continue
            if self._fits(there, here):
                return -1, "a person counted moved out"
        return None

    def _moves(self, target: Coord, source: str, row: tuple):
        """The row with one thing changed that the target fixes: a category, the day, the
        site."""
        from .periods import keys_of
        from .sources import SOURCES

        names = self.extracts[source].names
        columns = SOURCES[source].by_name
        for dim, value in target.dims:
            for other in columns[dim].choices or ():
                if other != value:
                    changed = list(row)
                    changed[names.index(dim)] = other
                    yield tuple(changed)
        i_date = names.index("date")
        for days in (7, -7, 35, -35, 98, -98):
            day = row[i_date] + dt.timedelta(days=days)
            changed = list(row)
            changed[i_date] = day
            for key, value in zip(("week", "month", "quarter", "year"), keys_of(day), strict=True):
                changed[names.index(key)] = value
            yield tuple(changed)
        i_site = names.index("site")
        for site in self._sites(source):
            if site != row[i_site]:
                changed = list(row)
                changed[i_site] = site
                yield tuple(changed)

    def _sites(self, source: str) -> list[str]:
        i = self.extracts[source].names.index("site")
        return sorted({row[i] for row in self.extracts[source].rows})


def _within(key: str, period, inner: str) -> bool:
    try:
        part = parse_period(key)
    except ValueError:
        return False
    return part.type == inner and period.start <= part.start and part.end <= period.end


def _counted_within(a: Measure, b: Measure) -> bool:
    """Whether every record `a` counts is counted by `b` too (so a ≤ b)."""
    if a.mode == b.mode:
        return a.conditions > b.conditions
    if a.mode == "person" and b.mode == "row":
        return a.conditions >= b.conditions  # people at most their events
    if a.mode.startswith("value:") and b.mode == "row":
        return a.conditions >= b.conditions  # values at most the rows that may hold them
    return False


def _components(cells: dict, relations: list) -> dict[Coord, int]:
    parent = {c: c for c in cells}

    def find(c):
        while parent[c] is not c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for relation in relations:
        coords = list(relation[0])
        root = find(coords[0])
        for other in coords[1:]:
            parent[find(other)] = root
    labels: dict[Coord, int] = {}
    numbers: dict[Coord, int] = {}
    for c in cells:
        labels[c] = numbers.setdefault(find(c), len(numbers))
    return labels
