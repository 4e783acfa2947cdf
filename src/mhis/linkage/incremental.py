"""Scoring new records against the trained model and the registry, without retraining.

A run of :func:`mhis.linkage.link` trains the model and keeps it (Splink's JSON,
``LinkRun.model``): for each comparison, its levels in order with their m and u
probabilities, and the prior (``probability_two_random_records_match``). Scoring one more
record needs no Splink: each comparison's level is found in Python (:data:`LEVELS`, the
mirror of the SQL levels of :mod:`mhis.linkage.model`), and the match weight is

    log2(prior odds) + Σ log2(m / u) of the levels found
                     + the term-frequency adjustment of the "same name" level

exactly as Splink adds them up (tests/test_linkage_incremental.py holds the two equal on
every pair Splink scores). Candidates come from the database: people sharing an
identifier's keyed hash, and people sharing a name key (``registry.NameKey``) born within a
year or of unknown birth (:mod:`mhis.linkage.candidates`).

When no run has trained a model yet, the levels of :mod:`mhis.linkage.model` are scored with
their fixed m probabilities and the generic u probabilities of :data:`LEVELS`, without
term-frequency adjustment (:func:`default_model`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jellyfish

from . import Pair
from .features import features

log = logging.getLogger(__name__)

Row = Mapping[str, Any]  # a record's features (mhis.linkage.features.features)


class Edits(NamedTuple):
    """What the levels need beyond the two rows: the edit distance of the model's SQL
    dialect (DuckDB's counts a swap of neighbours as one edit, Spark's as two), and whether a
    word of a name is uncommon in the registry (see :class:`RegistryShares`; without it, the
    rows' own ``name_rare``)."""

    distance: Callable[[str, str], int]
    rare: Callable[[str], bool] | None = None


EDITS = {
    "duckdb": Edits(jellyfish.damerau_levenshtein_distance),
    "spark": Edits(jellyfish.levenshtein_distance),
}


def _any(a, b) -> bool:
    """SQL list_has_any / arrays_overlap."""
    return bool(a) and bool(b) and not set(a).isdisjoint(b)


def _all(a, b) -> bool:
    """SQL list_has_all(a, b): `a` holds every element of `b`."""
    return set(b or ()).issubset(a or ())


def _within(x: Row, y: Row) -> bool:
    """Every word of `x` is a word or initial of `y`, every initial of `x` one of `y`'s, and
    `x` has two words or more."""
    return (
        _all([*y["name_tokens"], *y["name_initials"]], x["name_tokens"])
        and _all(y["name_initials"], x["name_initials"])
        and len(x["name_initials"]) >= 2
    )


def _close_on(a: Row, b: Row, edits: Edits, column: str) -> bool:
    x, y = a.get(column), b.get(column)
    if x is None or y is None:
        return False
    d = edits.distance(x, y)
    return d <= 1 or (d <= 2 and min(len(x), len(y)) >= 8)


def _close(a: Row, b: Row, edits: Edits) -> bool:
    return _close_on(a, b, edits, "name_main") or _close_on(a, b, edits, "name_sorted")


def _initials_agree(a: Row, b: Row) -> bool:
    x, y = a["name_initials"], b["name_initials"]
    return (
        _any(a["name_tokens"], b["name_tokens"])
        and (_all(x, y) or _all(y, x))
        and min(len(x), len(y)) >= 2
    )


def _uncommon_in_common(a: Row, b: Row, edits: Edits) -> bool:
    if edits.rare is None:
        return _any(a.get("name_rare"), b.get("name_rare"))
    return any(edits.rare(w) for w in set(a["name_tokens"]) & set(b["name_tokens"]))


def _both_native(a: Row, b: Row) -> bool:
    return a["origin"] == a["nationality"] and b["origin"] == b["nationality"]


def _same_month(a: Row, b: Row) -> bool:
    return (
        a["birth_year"] == b["birth_year"]
        and a["birth_month"] is not None
        and a["birth_month"] == b["birth_month"]
    )


def _fuzzy(a: Row, b: Row) -> bool:
    return bool(a["birth_fuzzy"] or b["birth_fuzzy"])


def _same(column: str) -> Callable[[Row, Row, Edits], bool]:
    return lambda a, b, e: a[column] is not None and a[column] == b[column]


def _either_null(*columns: str) -> Callable[[Row, Row, Edits], bool]:
    return lambda a, b, e: any(a[c] is None or b[c] is None for c in columns)


class Level(NamedTuple):
    """A level in Python: whether a pair is at it (tried in the model's order, after the
    levels above it failed), and a generic u probability for the default model."""

    test: Callable[[Row, Row, Edits], bool]
    u: float | None = None


NULL = "null"  # the level of a comparison that cannot be made (a value missing)
ELSE = "else"  # every pair no other level took

# The mirror of the SQL levels of mhis.linkage.model, by comparison (its output column) and
# level (its label): a level added there is added here, or the model's test fails. The u
# probabilities are for the default model only (rounded from the demo world); a trained
# model brings its own.
LEVELS: dict[str, dict[str, Level]] = {
    "name": {
        NULL: Level(_either_null("name_main")),
        "same name": Level(_same("name_main"), 1e-3),
        "same words": Level(lambda a, b, e: _any(a["name_forms"], b["name_forms"]), 2e-4),
        "all words of one in the other": Level(
            lambda a, b, e: _within(a, b) or _within(b, a), 5e-4
        ),
        "close spelling": Level(lambda a, b, e: _close(a, b, e), 5e-4),
        "same sound": Level(lambda a, b, e: _any(a["name_sounds"], b["name_sounds"]), 1e-3),
        "a word in common, the initials agree": Level(lambda a, b, e: _initials_agree(a, b), 2e-3),
        "an uncommon word in common": Level(_uncommon_in_common, 2e-3),
        "a word in common": Level(lambda a, b, e: _any(a["name_tokens"], b["name_tokens"]), 0.04),
        ELSE: Level(lambda a, b, e: True, 0.95),
    },
    "birth": {
        NULL: Level(_either_null("birth_year")),
        "same date": Level(_same("birth_date"), 3e-4),
        "same month, one given to the month": Level(
            lambda a, b, e: (
                _same_month(a, b) and (a["birth_date"] is None or b["birth_date"] is None)
            ),
            1e-3,
        ),
        "same month, other days": Level(lambda a, b, e: _same_month(a, b), 1e-3),
        "same month": Level(lambda a, b, e: _same_month(a, b), 1e-3),  # models before the two
        "same year, one vague": Level(
            lambda a, b, e: a["birth_year"] == b["birth_year"] and _fuzzy(a, b), 0.015
        ),
        "a year apart, one vague": Level(
            lambda a, b, e: abs(a["birth_year"] - b["birth_year"]) <= 1 and _fuzzy(a, b), 0.025
        ),
        "same year, other dates": Level(lambda a, b, e: a["birth_year"] == b["birth_year"], 0.01),
        ELSE: Level(lambda a, b, e: True, 0.95),
    },
    "identifiers": {
        NULL: Level(
            lambda a, b, e: (
                not (
                    _any(a["id_kinds"], b["id_kinds"])
                    or _any(a["id_open"], b["id_types"])
                    or _any(a["id_types"], b["id_open"])
                )
            )
        ),
        # The null level of models from before identifiers without an issuer were compared.
        "NOT list_has_any(id_kinds_l, id_kinds_r)": Level(
            lambda a, b, e: not _any(a["id_kinds"], b["id_kinds"])
        ),
        "an identifier in common": Level(lambda a, b, e: _any(a["id_keys"], b["id_keys"]), 1e-6),
        "an identifier one typing error apart": Level(
            lambda a, b, e: _any(a["id_near"], b["id_near"]), 0.01
        ),
        ELSE: Level(lambda a, b, e: True, 0.99),
    },
    "origin": {
        NULL: Level(_either_null("origin")),
        "same, not the nationality": Level(
            lambda a, b, e: a["origin"] == b["origin"] and not _both_native(a, b), 0.05
        ),
        "same, the nationality": Level(lambda a, b, e: a["origin"] == b["origin"], 0.5),
        "Exact match on origin": Level(_same("origin"), 0.15),  # models before the two
        ELSE: Level(lambda a, b, e: True, 0.85),
    },
    "arrival": {
        NULL: Level(_either_null("arrival_month")),
        "same month": Level(_same("arrival_month"), 0.01),
        "same year": Level(
            lambda a, b, e: a["arrival_month"] // 12 == b["arrival_month"] // 12, 0.08
        ),
        "within a year": Level(
            lambda a, b, e: abs(a["arrival_month"] - b["arrival_month"]) <= 12, 0.08
        ),
        ELSE: Level(lambda a, b, e: True, 0.83),
    },
}

# Comparisons of one value, same or not (model._exact), with how often two people agree.
EXACT_U = {"sex": 0.5, "nationality": 0.15, "origin": 0.15, "destination": 0.3, "sector": 0.3}


def _levels_of(comparison: str) -> dict[str, Level]:
    if comparison in LEVELS:
        return LEVELS[comparison]
    u = EXACT_U.get(comparison, 0.2)
    return {
        NULL: Level(_either_null(comparison)),
        f"Exact match on {comparison}": Level(_same(comparison), u),
        ELSE: Level(lambda a, b, e: True, 1 - u),
    }


# -- the weights, as Splink computes them --------------------------------------------------

NOT_OBSERVED = "level not observed in training dataset"  # Splink's text: taken as 1e-6
CLAMP = 1e-300  # Splink clamps m and u to this before taking their ratio


def _splink_defaults(levels: int) -> tuple[list[float], list[float]]:
    """The m and u Splink gives a level left without them, by its comparison vector value
    (0 for the last level, `levels` − 1 for the first below the null level)."""
    m = [0.05 / (levels - 1)] * (levels - 1) + [0.95] if levels > 1 else [0.95]
    if levels == 2:
        weights = [-5.0]
    else:
        step = 8 / (levels - 2) if levels > 2 else 0
        weights = [-5 + i * step for i in range(levels - 1)]
    weights.append(10.0)
    return m, [mi / 2**w for mi, w in zip(m, weights, strict=True)]


def _probability_value(value: Any) -> float | None:
    if value == NOT_OBSERVED:
        return 1e-6
    return None if value is None else float(value)


@dataclass(frozen=True)
class _Scored:
    label: str
    test: Callable[[Row, Row, Edits], bool]
    weight: float
    tf: tuple[str, float, float, float] | None  # column, log2(u exact), weight, least u


@dataclass(frozen=True)
class _Comparison:
    name: str
    null: Callable[[Row, Row, Edits], bool] | None
    levels: tuple[_Scored, ...]


class Scorer:
    """A trained model (Splink's JSON) ready to score pairs of feature rows in Python."""

    def __init__(self, model: Mapping[str, Any], *, default_u: bool = False):
        prior = float(model.get("probability_two_random_records_match") or 1e-4)
        self.prior = math.log2(prior / (1 - prior))
        self.edits = EDITS.get(model.get("sql_dialect") or "duckdb", EDITS["duckdb"])
        self.comparisons: list[_Comparison] = []
        self.unknown: list[str] = []  # levels with no mirror: their comparisons are left out
        for comparison in model.get("comparisons", ()):
            built = self._comparison(comparison, default_u)
            if built is not None:
                self.comparisons.append(built)

    def _comparison(self, comparison: Mapping[str, Any], default_u: bool) -> _Comparison | None:
        name = comparison["output_column_name"]
        mirror = _levels_of(name)
        levels = comparison["comparison_levels"]
        counted = [level for level in levels if not level.get("is_null_level")]
        default_m, default_us = _splink_defaults(len(counted))
        null, scored = None, []
        for level in levels:
            if level.get("is_null_level"):  # by its condition if it is an older one, else NULL
                null = mirror.get(level.get("label_for_charts") or "", mirror[NULL]).test
                continue
            key = (
                ELSE
                if level["sql_condition"].strip().upper() == "ELSE"
                else level.get("label_for_charts") or level["sql_condition"]
            )
            if key not in mirror:
                log.warning("No Python level for %r of %r: the comparison is left out", key, name)
                self.unknown.append(f"{name}: {key}")
                return None
            vector = len(counted) - 1 - len(scored)  # Splink counts down from the first level
            m = _probability_value(level.get("m_probability"))
            u = _probability_value(level.get("u_probability"))
            if u is None and default_u:
                u = mirror[key].u
            m = default_m[vector] if m is None else m
            u = default_us[vector] if u is None else u
            weight = math.log2(max(m, CLAMP) / max(u, CLAMP))
            tf = None
            # The default model's generic u stands for an average name: no adjustment.
            if (
                level.get("tf_adjustment_column")
                and level.get("tf_adjustment_weight", 1.0)
                and not default_u
            ):
                # The exact match on the column is this level (model._name's "same name").
                tf = (
                    level["tf_adjustment_column"],
                    math.log2(u),
                    float(level.get("tf_adjustment_weight", 1.0)),
                    float(level.get("tf_minimum_u_value", 0.0)),
                )
            scored.append(_Scored(key, mirror[key].test, weight, tf))
        return _Comparison(name, null, tuple(scored))

    def evidence(
        self,
        a: Row,
        b: Row,
        tf: Callable[[str, Any], float | None] | None = None,
        rare: Callable[[str], bool] | None = None,
    ) -> dict[str, float]:
        """Each comparison's match weight (bits), its term-frequency adjustment included
        when `tf` gives the frequency of a value (column, value → share of records). `rare`
        tells whether a word of a name is uncommon (else the rows' ``name_rare`` do)."""
        context = self.edits if rare is None else self.edits._replace(rare=rare)
        out: dict[str, float] = {}
        for comparison in self.comparisons:
            if comparison.null is not None and comparison.null(a, b, context):
                out[comparison.name] = 0.0
                continue
            for level in comparison.levels:
                if level.test(a, b, context):
                    weight = level.weight
                    if level.tf is not None and tf is not None:
                        column, log2_u, adjustment, least = level.tf
                        shares = [s for s in (tf(column, a[column]), tf(column, b[column])) if s]
                        if shares:
                            weight += adjustment * (log2_u - math.log2(max(*shares, least)))
                    out[comparison.name] = weight
                    break
        return out

    def score(
        self,
        a: Row,
        b: Row,
        tf: Callable[[str, Any], float | None] | None = None,
        rare: Callable[[str], bool] | None = None,
    ) -> tuple[float, float, dict[str, float]]:
        """The match weight, probability and evidence of the pair."""
        evidence = self.evidence(a, b, tf, rare)
        weight = self.prior + sum(evidence.values())
        return weight, probability(weight), evidence


def probability(weight: float) -> float:
    """The probability of a match weight (log2 of the odds), as Splink gives it."""
    if weight >= 0:
        return 1 / (1 + 2.0**-weight)
    odds = 2.0**weight
    return odds / (1 + odds)


def default_model() -> dict[str, Any]:
    """The model before any run trained one: the comparisons of mhis.linkage.model with the
    m probabilities fixed there (Splink's defaults where none is), the generic u
    probabilities of :data:`LEVELS` and :data:`EXACT_U`, and a prior of 1 in 1,000 (a
    registry not yet linked is small)."""
    from . import model

    settings = model.settings().create_settings_dict("duckdb")
    settings["probability_two_random_records_match"] = DEFAULT_PRIOR
    return settings


# -- the trained model, and the registry ---------------------------------------------------

DEFAULT_PRIOR = 1e-3

_SCORERS: dict[Any, Scorer] = {}


@dataclass(frozen=True)
class Trained:
    """The scorer of the latest finished run (or the default), and how many records that
    run read (the share of a name is counted against it)."""

    scorer: Scorer
    records: int
    run_id: int | None


def trained() -> Trained:
    """The model of the latest finished run over the whole registry, or the default."""
    from .models import LinkRun

    latest = (
        # A run of new records scores with the model of a run over the whole registry.
        LinkRun.objects.filter(status=LinkRun.Status.DONE, scope=LinkRun.Scope.ALL)
        .exclude(model={})
        .order_by("-started_at", "-pk")
        .values_list("pk", "records", "finished_at")
        .first()
    )
    if latest is None:
        if None not in _SCORERS:
            _SCORERS[None] = Scorer(default_model(), default_u=True)
        return Trained(_SCORERS[None], 0, None)
    run_id, records, finished = latest
    key = (run_id, finished)  # a run's id alone may come again (SQLite, a run deleted)
    if key not in _SCORERS:
        stored = LinkRun.objects.filter(pk=run_id).values_list("model", flat=True).get()
        for older in [k for k in _SCORERS if k is not None]:
            del _SCORERS[older]  # one trained model kept per process: the latest
        try:
            _SCORERS[key] = Scorer(stored)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.exception("The model of link run %s cannot be read: the default is used", run_id)
            _SCORERS[key] = Scorer(default_model(), default_u=True)
    return Trained(_SCORERS[key], records, run_id)


class RegistryShares:
    """The share of the registry's records holding a name (the term frequency the "same
    name" level is adjusted by), estimated from the name keys: the people with the joined
    name as one of their keys, out of the records the model was trained on. Keys also hold
    the joined tails of longer names, so a share is at worst overestimated, and a common
    name weighs at worst a little less than in a run. `extra`: records not in the registry
    yet (a registration being checked) counted among the holders and the records."""

    def __init__(self, records: int, extra: int = 0):
        self.records, self.extra = records, extra
        self._counts: dict[str, int] = {}
        self._rare: dict[str, bool] = {}

    def rare(self, word: str) -> bool:
        """Whether few people hold this word of a name (as a run counts its records' words:
        at most `model.RARE_SHARE` of them, or `model.RARE_MIN`)."""
        from mhis.registry.models import NameKey

        from .model import RARE_MIN, RARE_SHARE

        most = max(RARE_MIN, int(RARE_SHARE * (max(self.records, 1) + self.extra)))
        key = word[:64]
        if key not in self._rare:
            held = NameKey.objects.filter(key=key)[: most + 1].count() + self.extra
            self._rare[key] = held <= most
        return self._rare[key]

    def prime(self, words: Iterable[Any]) -> None:
        """Count the holders of many words at once (a batch of records'), so that `rare` and
        the share of a name answer them without a query each; the same answers."""
        from django.db.models import Count

        from mhis.registry.models import NameKey

        from .model import RARE_MIN, RARE_SHARE

        most = max(RARE_MIN, int(RARE_SHARE * (max(self.records, 1) + self.extra)))
        keys = sorted({str(w)[:64] for w in words if w} - set(self._counts))
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            counted = dict(
                NameKey.objects.filter(key__in=chunk)
                .order_by()
                .values("key")
                .annotate(n=Count("pk"))
                .values_list("key", "n")
            )
            for key in chunk:
                self._counts[key] = counted.get(key, 0)
                self._rare[key] = self._counts[key] + self.extra <= most

    def __call__(self, column: str, value: Any) -> float | None:
        if column != "name_main" or not value:
            return None
        from mhis.registry.models import NameKey

        key = str(value)[:64]
        if key not in self._counts:
            self._counts[key] = NameKey.objects.filter(key=key).count()
        total = max(self.records, 1) + self.extra
        return min(1.0, max(self._counts[key] + self.extra, 1) / total)


def score_against(
    row: Row,
    others: Iterable[Row],
    *,
    tf: Callable[[str, Any], float | None] | None = None,
    threshold: float = 0.0,
    scorer: Scorer | None = None,
) -> list[Pair]:
    """`row` scored against each of `others` (feature rows), the pairs at `threshold` or
    above, strongest first."""
    scorer = scorer or trained().scorer
    pairs = []
    for other in others:
        if other["unique_id"] == row["unique_id"]:
            continue
        rare = getattr(tf, "rare", None)
        weight, p, evidence = scorer.score(row, other, tf, rare)
        if p >= threshold:
            pairs.append(Pair(row["unique_id"], other["unique_id"], p, weight, evidence))
    pairs.sort(key=lambda pair: -pair.weight)
    return pairs


def score_new(person_ids: Iterable[int], *, threshold: float = 0.5) -> list[Pair]:
    """Each of these people (already registered) scored against the registry with the
    trained model, without retraining: the pairs at `threshold` or above, each once (two
    new people found together are one pair), the left record's id the lower."""
    from .candidates import candidates_of
    from .records import registry_records

    model = trained()
    tf = RegistryShares(model.records)
    new = [features(r) for r in registry_records(person_ids=sorted(set(person_ids)))]
    wanted = {row["unique_id"]: candidates_of(row) for row in new}
    ids = sorted({pk for found in wanted.values() for pk in found})
    rows = {}
    for start in range(0, len(ids), 5_000):
        for record in registry_records(person_ids=ids[start : start + 5_000]):
            rows[record["person"]] = features(record)
    found: dict[tuple[str, str], Pair] = {}
    for row in new:
        others = [rows[pk] for pk in wanted[row["unique_id"]] if pk in rows]
        for pair in score_against(row, others, tf=tf, threshold=threshold, scorer=model.scorer):
            left, right = sorted((pair.left, pair.right))
            found.setdefault(
                (left, right), Pair(left, right, pair.probability, pair.weight, pair.evidence)
            )
    return sorted(found.values(), key=lambda pair: (-pair.weight, pair.left, pair.right))
