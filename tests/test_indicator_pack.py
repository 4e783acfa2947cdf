"""Every indicator of the standard pack, to the exact number, on a world of known records.

The world (tests/indicator_world.py), first quarter of 2026, place Thailand:
- 12 people assessed (W1–W8, M1–M4); W8's X-ray is not read, so 11 X-rays were read.
- Presumptive TB: W1, W2 (X-ray suggestive) and M1 (symptoms): 3 of 11.
- Three specimens with every result: W1 and W2 (M1 has two): 2 of 3.
- Bacteriologically confirmed: W1 (culture) and M1 (Xpert): 2 of 12; clinical only: W2.
- Culture positive: W1 alone, with negative smears and a DST result.
- Rifampicin result: W1 (DST susceptible), M1 (Xpert RR detected): 1 of 2 resistant.
- Days to results: W1 11 Feb → 25 Mar = 42, W2 11 Feb → 15 Mar = 32: median 37, p90 41.
- Days to clearance: W1 48, W2 38, eight more 10: median 10 (women n=7, men n=3).
- RHS-15: W3 positive, W4 negative.
- Registered: 14 (8 women, 6 men). Encounters: 15 rows (W1 twice) by 14 people; by status
  REG_LAB 9, IRR 4, HOST 2. Outreach: the four men seen by the mobile clinic and the two
  at the Ranong health corner: 6.
- Referrals: 3 sent, 2 across the border, 2 attended, closed after 14 and 30 days.
- Doses: MR × 7, Td × 1; people vaccinated at an assessment: W1–W6, 6 of 12 assessed.
- Insured on the day of their visit: W1–W6 of 12 migrants seen (M1's cover starts later);
  6 of 8 migrant women.
- Payments: 9 encounters paid, 7 of them by the patient.
"""

import pytest

from mhis.indicators import services
from mhis.indicators.suppression import COMPLEMENTARY, SMALL, suppress, text

from .indicator_world import build

Q1 = ["2026-Q1"]

# code → (numerator, denominator, value, published text) of the total for Thailand, 2026-Q1.
TOTALS = {
    "ASSESSMENTS": (12, None, 12.0, "12"),
    "CXR_COVERAGE": (11, 12, 11 / 12 * 100, "91.7"),
    "PRESUMPTIVE_TB_RATE": (3, 11, 3 / 11 * 100, "—"),
    "SPUTUM_COMPLETENESS": (2, 3, 2 / 3 * 100, "—"),
    "TB_YIELD_BACT": (2, 12, 2 / 12 * 100_000, "—"),
    "TB_YIELD_CLINICAL": (1, 12, 1 / 12 * 100_000, "—"),
    "CULTURE_ONLY_SHARE": (1, 1, 100.0, "—"),
    "DST_COVERAGE": (1, 1, 100.0, "—"),
    "RR_SHARE": (1, 2, 50.0, "—"),
    "TIME_TO_RESULTS_MEDIAN": (2, None, 37.0, "—"),
    "TIME_TO_RESULTS_P90": (2, None, 41.0, "—"),
    "TIME_TO_CLEARANCE_MEDIAN": (10, None, 10.0, "10.0"),
    "RHS15_POSITIVITY": (1, 2, 50.0, "—"),
    "PEOPLE_REGISTERED": (14, None, 14.0, "14"),
    "ENCOUNTERS": (15, None, 15.0, "15"),
    "PEOPLE_SEEN": (14, None, 14.0, "14"),
    "OUTREACH_REACHED": (6, None, 6.0, "6"),
    "REFERRALS_SENT": (3, None, 3.0, "<5"),
    "CROSS_BORDER_REFERRALS": (2, None, 2.0, "<5"),
    "REFERRAL_COMPLETION": (2, 3, 2 / 3 * 100, "—"),
    "REFERRAL_CLOSURE_MEDIAN": (2, None, 22.0, "—"),
    "VACCINE_DOSES": (8, None, 8.0, "8"),
    "VACCINATION_COVERAGE": (6, 12, 50.0, "50.0"),
    "SHP_ENROLMENT_MIGRANTS": (6, 12, 50.0, "50.0"),
    "SHP_ENROLMENT_MIGRANT_WOMEN": (6, 8, 75.0, "75.0"),
    "OOP_SHARE": (7, 9, 7 / 9 * 100, "77.8"),
}


@pytest.fixture
def known(world):
    return build(world)


def test_the_pack_is_covered_here():
    assert set(TOTALS) == set(services.catalogue()), "every indicator of the pack is checked"
    assert len(TOTALS) >= 20


@pytest.mark.parametrize("code", sorted(TOTALS))
def test_total_of_each_indicator(known, world, code):
    indicator = services.get(code)
    raw = services.table(indicator, Q1, world["TH"].path)
    cell = raw.cells[("2026-Q1",)]
    numerator, denominator, value, shown = TOTALS[code]
    assert cell.numerator == numerator
    assert cell.denominator == denominator
    assert cell.value == pytest.approx(value, abs=1e-9)
    [published] = suppress(raw)
    assert text(published, indicator.unit, indicator.suppression) == shown
    assert (published.value is None) == (shown in ("—", "<5"))


def _by(world, code, dim):
    indicator = services.get(code)
    raw = services.table(indicator, Q1, world["TH"].path, (dim,))
    return {
        c.key[1]: (c, text(c, indicator.unit, indicator.suppression)) for c in suppress(raw)
    }, raw


def test_small_count_hides_its_complement(known, world):
    cells, raw = _by(world, "ASSESSMENTS", "sex")
    assert raw.cells[("2026-Q1", "female")].numerator == 8
    assert raw.cells[("2026-Q1", "male")].numerator == 4
    assert cells["male"][1] == "<5" and cells["male"][0].flag == SMALL
    # 12 − 8 would give the men away: the women's count is hidden as well.
    assert cells["female"][1] == "*" and cells["female"][0].flag == COMPLEMENTARY
    assert cells[None][1] == "12"


def test_two_small_cells_protect_each_other(known, world):
    cells, _raw = _by(world, "ENCOUNTERS", "migration_status")
    assert cells["REG_LAB"][1] == "9"
    assert cells["IRR"][1] == "<5"
    assert cells["HOST"][1] == "<5"
    assert cells[None][1] == "15"


def test_rate_hidden_when_its_denominator_is_small(known, world):
    cells, raw = _by(world, "SHP_ENROLMENT_MIGRANTS", "sex")
    assert (
        raw.cells[("2026-Q1", "male")].numerator,
        raw.cells[("2026-Q1", "male")].denominator,
    ) == (0, 4)
    assert cells["male"][1] == "—" and cells["male"][0].flag == SMALL
    assert cells["female"][1] == "—" and cells["female"][0].flag == COMPLEMENTARY
    assert cells[None][1] == "50.0"


def test_a_group_with_no_one_is_absent_not_hidden(known, world):
    cells, _raw = _by(world, "OUTREACH_REACHED", "sex")
    assert "female" not in cells
    assert cells["male"][1] == "6"


def test_median_per_group_hidden_below_threshold(known, world):
    cells, raw = _by(world, "TIME_TO_CLEARANCE_MEDIAN", "sex")
    assert raw.cells[("2026-Q1", "female")].numerator == 7
    assert cells["female"][1] == "10.0"
    assert raw.cells[("2026-Q1", "male")].value == 10.0
    assert cells["male"][1] == "—"


def test_antigen_cells_share_the_denominator(known, world):
    raw = services.table(services.get("VACCINATION_COVERAGE"), Q1, world["TH"].path, ("antigen",))
    mr, td = raw.cells[("2026-Q1", "MR")], raw.cells[("2026-Q1", "TD")]
    assert (mr.numerator, mr.denominator, mr.value) == (6, 12, 50.0)
    assert (td.numerator, td.denominator) == (1, 12)
    shown = {c.key[1]: c.flag for c in suppress(raw)}
    assert shown["TD"] == SMALL and shown["MR"] == COMPLEMENTARY


def test_place_drill_down(known, world):
    raw = services.table(services.get("PEOPLE_SEEN"), Q1, world["TH"].path, ("place",))
    tak, ranong = world["TAK"].path, world["RANONG"].parent.path
    assert raw.cells[("2026-Q1", tak)].numerator == 12
    assert raw.cells[("2026-Q1", ranong)].numerator == 2
    site = services.table(services.get("PEOPLE_SEEN"), Q1, world["MAESOT"].path, ("place",))
    assert site.cells[("2026-Q1", world["CLINIC"].path)].numerator == 8
    assert site.cells[("2026-Q1", world["BRIDGE"].path)].numerator == 4


def test_monthly_periods(known, world):
    raw = services.table(services.get("ENCOUNTERS"), ["2026-01", "2026-02", "2026-03"],
                         world["TH"].path)  # fmt: skip
    assert {k[0]: c.numerator for k, c in raw.cells.items()} == {"2026-01": 12, "2026-03": 3}


def test_nothing_outside_the_place(known, world):
    raw = services.table(services.get("ENCOUNTERS"), Q1, world["HN"].path)
    assert raw.cells == {}
