"""Small-cell suppression on tables built by hand (the rules, independent of any records)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mhis.indicators.definitions import parse
from mhis.indicators.engine import Cell, Request, Table
from mhis.indicators.suppression import COMPLEMENTARY, SMALL, legend, suppress, text

COUNT = parse("T_COUNT", {"name": "t", "unit": "count", "source": "encounter", "numerator": {}})
RATE = parse(
    "T_RATE",
    {"name": "t", "unit": "percentage", "source": "encounter", "numerator": {"where": {"paid": True}},
     "denominator": {}},
)  # fmt: skip


def _table(indicator, by, cells):
    request = Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "quarter", "/", by)
    table = Table(indicator, request)
    for key, (n, d) in cells.items():
        value = n if d is None else (n * 100 / d if d else None)
        table.cells[("2026-Q1", *key)] = Cell(n, d, value)
    return table


def _flags(shown):
    return {c.key[1:]: c.flag for c in shown}


def test_zero_is_published_and_small_is_hidden():
    shown = suppress(_table(COUNT, ("sex",), {(None,): (3, None), ("female",): (0, None),
                                               ("male",): (3, None)}))  # fmt: skip
    flags = _flags(shown)
    assert flags[("female",)] == ""
    assert flags[("male",)] == SMALL
    # the total (3) is small too, so male is not the only hidden member.
    assert flags[(None,)] == SMALL
    assert [text(c, "count") for c in shown] == ["<5", "0", "<5"]


def test_one_hidden_part_hides_the_smallest_other():
    cells = {(None,): (40, None), ("a",): (20, None), ("b",): (12, None), ("c",): (6, None),
             ("d",): (2, None)}  # fmt: skip
    flags = _flags(suppress(_table(COUNT, ("x",), cells)))
    assert flags == {(None,): "", ("a",): "", ("b",): "", ("c",): COMPLEMENTARY, ("d",): SMALL}


def test_complementary_spreads_across_two_dimensions():
    # sex × status with margins: one small cell forces more along its row and its column,
    # until every row and column (with its total) has 0 or at least 2 hidden members.
    counts = {
        (None, None): 60,
        ("f", None): 30, ("m", None): 30,
        (None, "A"): 32, (None, "B"): 28,
        ("f", "A"): 2, ("f", "B"): 28,
        ("m", "A"): 30, ("m", "B"): 0,
    }  # fmt: skip
    cells = {k: (n, None) for k, n in counts.items()}
    flags = _flags(suppress(_table(COUNT, ("sex", "status"), cells)))
    hidden = {k for k, f in flags.items() if f}
    assert ("f", "A") in hidden
    for j in (0, 1):
        groups = {}
        for key in cells:
            if key[j] is not None:
                groups.setdefault((*key[:j], None, *key[j + 1 :]), []).append(key)
        for total, members in groups.items():
            assert sum(k in hidden for k in [*members, total]) != 1, (total, hidden)


def test_rate_hidden_with_small_numerator_or_denominator():
    cells = {(None,): (10, 30), ("a",): (2, 10), ("b",): (8, 20)}
    shown = suppress(_table(RATE, ("x",), cells))
    flags = _flags(shown)
    assert flags[("a",)] == SMALL
    assert flags[("b",)] == COMPLEMENTARY
    assert [text(c, "percentage") for c in shown] == ["33.3", "—", "—"]


def test_rounded_rule(settings):
    rounded = parse("T_ROUND", {"name": "t", "unit": "count", "source": "encounter",
                                "numerator": {}, "suppression": "rounded"})  # fmt: skip
    shown = suppress(_table(rounded, ("x",), {(None,): (33, None), ("a",): (7, None),
                                               ("b",): (26, None)}))  # fmt: skip
    assert [text(c, "count", "rounded") for c in shown] == ["35", "<8", "*"]
    assert "Counts are rounded to the nearest 5." in legend("count", "rounded")


def test_threshold_from_settings(settings):
    settings.MHIS_SUPPRESSION_THRESHOLD = 11
    shown = suppress(_table(COUNT, ("x",), {(None,): (30, None), ("a",): (10, None),
                                             ("b",): (20, None)}))  # fmt: skip
    assert [text(c, "count") for c in shown] == ["30", "<11", "*"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=6))
def test_no_hidden_cell_can_be_recovered_from_a_total(parts):
    cells = {(None,): (sum(parts), None)}
    cells.update({(f"g{i}",): (n, None) for i, n in enumerate(parts)})
    shown = suppress(_table(COUNT, ("x",), cells))
    hidden = [c for c in shown if c.hidden]
    assert len(hidden) != 1
    for c in shown:
        n = cells[c.key[1:]][0]
        if 0 < n < 5:
            assert c.hidden, "every small count is hidden"
    assert all(c.numerator is None and c.value is None for c in hidden)


def test_unknown_rule_is_rejected():
    from mhis.indicators.definitions import DefinitionError

    with pytest.raises(DefinitionError, match="suppression"):
        parse("T_BAD", {"name": "t", "unit": "count", "source": "encounter", "numerator": {},
                        "suppression": "none"})  # fmt: skip
