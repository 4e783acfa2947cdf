"""Disclosure control on tables built by hand: the cell-key noise and the publication rules,
independent of any records (mhis.indicators.cellkey, mhis.indicators.disclosure)."""

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mhis.indicators.cellkey import MODULUS, PTABLE, SPREAD, _tilted, noise, person_key, perturb
from mhis.indicators.definitions import parse
from mhis.indicators.disclosure import SENSITIVE, SMALL, legend, protect, text
from mhis.indicators.engine import Cell, Request, Table

COUNT = parse("T_COUNT", {"name": "t", "unit": "count", "source": "encounter", "numerator": {}})
RATE = parse(
    "T_RATE",
    {"name": "t", "unit": "percentage", "source": "encounter", "numerator": {"where": {"paid": True}},
     "denominator": {}},
)  # fmt: skip
LOWEST, HIGHEST = 0, MODULUS - 1  # cell keys that draw the most negative and most positive noise


def _table(indicator, by, cells):
    """cells: key → (numerator, denominator, cell key, denominator's cell key)."""
    request = Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "quarter", "/", by)
    table = Table(indicator, request)
    for key, (n, d, k, dk) in cells.items():
        value = n if d is None else (n * 100 / d if d else None)
        table.cells[("2026-Q1", *key)] = Cell(n, d, value, k, dk)
    return table


def test_the_perturbation_table_is_unbiased_bounded_and_never_negative():
    for count in range(1, SPREAD + 2):
        rows = _tilted(count)
        assert sum(p for _, p in rows) == pytest.approx(1)
        assert sum(e * p for e, p in rows) == pytest.approx(0, abs=1e-9)
        assert all(-count <= e <= SPREAD and p > 0 for e, p in rows)
        if count < SPREAD:  # published above SPREAD, a small count would tell someone is there
            assert max(count + e for e, _ in rows) == SPREAD
    assert noise(0, 12345) == 0, "a cell of no records stays 0"
    assert set(PTABLE) == set(range(1, SPREAD + 1))


def test_noise_follows_the_table_over_random_cell_keys():
    rng = random.Random(7)
    draws = [noise(40, rng.randrange(MODULUS)) for _ in range(20_000)]
    expected = dict(_tilted(40))
    for e, p in expected.items():
        assert draws.count(e) / len(draws) == pytest.approx(p, abs=0.01)
    assert abs(sum(draws) / len(draws)) < 0.03


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, MODULUS - 1))
def test_the_same_records_always_get_the_same_published_count(count, key):
    published = perturb(count, key)
    assert published == perturb(count, key)
    assert published >= 0 and abs(published - count) <= SPREAD


def test_record_keys_are_stable_and_spread(settings):
    keys = {person_key(i) for i in range(2000)}
    assert len(keys) == 2000 and person_key(17) == person_key(17)
    assert min(keys) < MODULUS // 100 and max(keys) > MODULUS - MODULUS // 100
    before = person_key(17)
    settings.MHIS_HASH_KEY = "another-installation"
    assert person_key(17) != before, "keys come from the installation's secret"


def test_small_published_counts_are_withheld_and_zero_is_shown():
    shown = protect(_table(COUNT, ("sex",), {
        (None,): (30, None, HIGHEST, 0),  # 30 + 5
        ("female",): (0, None, 0, 0),  # nobody: 0, never adjusted
        ("male",): (2, None, LOWEST, 0),  # 2 − 2 = 0
        ("other",): (3, None, HIGHEST, 0),  # 3 + 2 = 5: a small count never above SPREAD
        ("unknown",): (6, None, LOWEST, 0),  # 6 − 5 = 1: withheld
    }))  # fmt: skip
    texts = {c.key[1]: text(c, "count") for c in shown}
    assert texts == {None: "35", "female": "0", "male": "0", "other": "5", "unknown": "<5"}
    assert {c.key[1]: c.flag for c in shown}["unknown"] == SMALL


def test_exact_publication_is_the_truth():
    cells = {(None,): (7, None, HIGHEST, 0), ("a",): (3, None, LOWEST, 0), ("b",): (4, None, 1, 0)}
    shown = protect(_table(COUNT, ("x",), cells), exact=True)
    assert [(c.numerator, c.flag) for c in shown] == [(7, ""), (3, ""), (4, "")]
    assert legend("count", exact=True) != legend("count")


def test_a_rate_is_withheld_when_its_numerator_or_denominator_is_small():
    shown = protect(_table(RATE, ("x",), {
        (None,): (20, 40, 1, 1),
        ("a",): (2, 30, HIGHEST, 1),  # 2 + 5 = 7 of 30 ± small
        ("b",): (1, 30, 1 << 31, 1),  # 1 (+0) of 30: withheld
        ("c",): (20, 4, 1 << 31, 1 << 31),  # a denominator of 4: withheld
    }))  # fmt: skip
    by = {c.key[1]: c for c in shown}
    assert by["a"].value == pytest.approx(by["a"].numerator * 100 / by["a"].denominator)
    assert by["b"].flag == SMALL and text(by["b"], "percentage") == "n<5"
    assert by["c"].flag == SMALL and by["c"].numerator is None
    # The numerator of a rate never exceeds its denominator once both are adjusted.
    [cell] = protect(_table(RATE, (), {(): (10, 10, HIGHEST, LOWEST)}))
    assert cell.numerator <= cell.denominator and cell.value <= 100


def test_highest_sensitivity_statuses_need_ten():
    status = parse("T_STATUS", {"name": "t", "unit": "count", "source": "encounter",
                                "numerator": {}})  # fmt: skip
    shown = protect(_table(status, ("migration_status",), {
        (None,): (40, None, 1, 0),
        ("IRR",): (8, None, 1 << 31, 0),  # 8: under 10
        ("REG_LAB",): (8, None, 1 << 31, 0),  # 8: shown
    }))  # fmt: skip
    by = {c.key[1]: c for c in shown}
    assert by["IRR"].flag == SENSITIVE and text(by["IRR"], "count") == "<10"
    assert by["REG_LAB"].flag == "" and by["REG_LAB"].numerator == 8


def test_rounded_rule():
    rounded = parse("T_ROUND", {"name": "t", "unit": "count", "source": "encounter",
                                "numerator": {}, "suppression": "rounded"})  # fmt: skip
    shown = protect(_table(rounded, ("x",), {(None,): (33, None, 1 << 31, 0),
                                               ("a",): (7, None, 1 << 31, 0),
                                               ("b",): (26, None, 1 << 31, 0)}))  # fmt: skip
    assert [text(c, "count", "rounded") for c in shown] == ["35", "<8", "25"]
    assert "Counts are rounded to the nearest 5." in legend("count", "rounded")


def test_threshold_from_settings(settings):
    settings.MHIS_SUPPRESSION_THRESHOLD = 11
    shown = protect(_table(COUNT, ("x",), {(None,): (30, None, 1 << 31, 0),
                                            ("a",): (10, None, 1 << 31, 0)}))  # fmt: skip
    assert [text(c, "count") for c in shown] == ["30", "<11"]


def test_unknown_rule_is_rejected():
    from mhis.indicators.definitions import DefinitionError

    with pytest.raises(DefinitionError, match="suppression"):
        parse("T_BAD", {"name": "t", "unit": "count", "source": "encounter", "numerator": {},
                        "suppression": "none"})  # fmt: skip
