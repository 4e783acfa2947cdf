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

from mhis.access.services import create_user
from mhis.indicators import services
from mhis.indicators.cellkey import SPREAD, person_key
from mhis.indicators.disclosure import SMALL, protect, text
from mhis.registry.models import Person

from .indicator_world import build

Q1 = ["2026-Q1"]

# code → (numerator, denominator, value, exact text) of the total for Thailand, 2026-Q1.
TOTALS = {
    "ASSESSMENTS": (12, None, 12.0, "12"),
    "CXR_COVERAGE": (11, 12, 11 / 12 * 100, "91.7"),
    "PRESUMPTIVE_TB_RATE": (3, 11, 3 / 11 * 100, "27.3"),
    "SPUTUM_COMPLETENESS": (2, 3, 2 / 3 * 100, "66.7"),
    "TB_YIELD_BACT": (2, 12, 2 / 12 * 100_000, "16,666.7"),
    "TB_YIELD_CLINICAL": (1, 12, 1 / 12 * 100_000, "8,333.3"),
    "CULTURE_ONLY_SHARE": (1, 1, 100.0, "100.0"),
    "DST_COVERAGE": (1, 1, 100.0, "100.0"),
    "RR_SHARE": (1, 2, 50.0, "50.0"),
    "TIME_TO_RESULTS_MEDIAN": (2, None, 37.0, "37.0"),
    "TIME_TO_RESULTS_P90": (2, None, 41.0, "41.0"),
    "TIME_TO_CLEARANCE_MEDIAN": (10, None, 10.0, "10.0"),
    "RHS15_POSITIVITY": (1, 2, 50.0, "50.0"),
    "PEOPLE_REGISTERED": (14, None, 14.0, "14"),
    "ENCOUNTERS": (15, None, 15.0, "15"),
    "PEOPLE_SEEN": (14, None, 14.0, "14"),
    "OUTREACH_REACHED": (6, None, 6.0, "6"),
    "REFERRALS_SENT": (3, None, 3.0, "3"),
    "CROSS_BORDER_REFERRALS": (2, None, 2.0, "2"),
    "REFERRAL_COMPLETION": (2, 3, 2 / 3 * 100, "66.7"),
    "REFERRAL_CLOSURE_MEDIAN": (2, None, 22.0, "22.0"),
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
    [exact] = protect(raw, exact=True)
    assert text(exact, indicator.unit, indicator.suppression) == shown
    [protected] = protect(raw)
    if protected.hidden:
        assert protected.numerator is None and protected.value is None
        assert text(protected, indicator.unit, indicator.suppression) in ("n<5", "<5")
    else:
        assert abs(protected.numerator - numerator) <= SPREAD
        if denominator is not None:
            assert abs(protected.denominator - denominator) <= SPREAD


def _key(people, events=None):
    """The cell key of these people (counted once each, or per event)."""
    ids = [p.pk for p in people]
    return sum(person_key(i) * (events or {}).get(i, 1) for i in ids) % (1 << 32)


def test_cell_keys_sum_the_record_keys_of_what_is_counted(known, world):
    women = Person.objects.filter(display_name__startswith="W")
    men = Person.objects.filter(display_name__startswith="M")
    raw = services.table(services.get("ASSESSMENTS"), Q1, world["TH"].path, ("sex",))
    assert raw.cells[("2026-Q1", "female")].key == _key(women)
    assert raw.cells[("2026-Q1", "male")].key == _key(men)
    assert raw.cells[("2026-Q1", None)].key == _key([*women, *men])
    # Encounters are counted per event: W1's two encounters bring her key twice.
    people = services.table(services.get("PEOPLE_SEEN"), Q1, world["TH"].path)
    rows = services.table(services.get("ENCOUNTERS"), Q1, world["TH"].path)
    w1 = Person.objects.get(display_name="W1")
    assert (rows.cells[("2026-Q1",)].key - people.cells[("2026-Q1",)].key) % (1 << 32) == (
        person_key(w1.pk)
    )
    # A rate's denominator has the key of its own records.
    rate = services.table(services.get("CXR_COVERAGE"), Q1, world["TH"].path)
    assert rate.cells[("2026-Q1",)].den_key == _key([*women, *men])


def _published(user, code, by=(), place=None, periods=Q1):
    result = services.published(user, code, periods, place, by)
    return {c.key: c for c in result.cells}


def test_the_same_people_get_the_same_noise_in_every_table(known, world, people):
    """Differencing two tables cancels nothing: a cell of the same records is published the
    same in a breakdown, a cross-table's margin, another place's total and a drill-down."""
    analyst = create_user(username="th_analyst", password=None, role="analyst",
                          places=[world["TH"]])  # fmt: skip
    by_sex = _published(analyst, "ASSESSMENTS", ("sex",), world["TH"])
    crossed = _published(analyst, "ASSESSMENTS", ("sex", "age_group"), world["TH"])
    assert by_sex[("2026-Q1", "female")].numerator == crossed[("2026-Q1", "female", None)].numerator
    drill = _published(analyst, "PEOPLE_SEEN", ("place",), world["TH"])
    tak = _published(analyst, "PEOPLE_SEEN", (), world["TAK"])
    assert drill[("2026-Q1", world["TAK"].path)].numerator == tak[("2026-Q1",)].numerator


def test_a_group_with_no_one_is_present_as_zero(known, world, people):
    """Every category is published, so that a category's presence says nothing."""
    viewer = create_user(username="th_viewer", password=None, role="viewer", places=[world["TH"]])
    cells = _published(viewer, "OUTREACH_REACHED", ("sex",), world["TH"])
    assert {k[1] for k in cells} == {None, "female", "male", "other", "unknown"}
    assert text(cells[("2026-Q1", "female")], "count") == "0"


def test_health_roles_see_exact_counts_of_their_places(known, world, people):
    clinician = create_user(username="th_clinician", password=None, role="clinician",
                            places=[world["TH"]])  # fmt: skip
    cells = _published(clinician, "ENCOUNTERS", ("migration_status",), world["TH"])
    assert {k[1]: c.numerator for k, c in cells.items() if c.numerator} == {
        None: 15,
        "REG_LAB": 9,
        "IRR": 4,
        "HOST": 2,
    }
    assert all(not c.hidden for c in cells.values())


def test_median_per_group_withheld_below_threshold(known, world):
    raw = services.table(services.get("TIME_TO_CLEARANCE_MEDIAN"), Q1, world["TH"].path, ("sex",))
    assert raw.cells[("2026-Q1", "female")].numerator == 7
    assert raw.cells[("2026-Q1", "male")].numerator == 3
    assert raw.cells[("2026-Q1", "male")].value == 10.0
    for cell in protect(raw):
        n = raw.cells[cell.key].numerator
        if cell.hidden:
            assert cell.value is None and cell.flag == SMALL
        else:
            assert cell.value == raw.cells[cell.key].value and abs(cell.numerator - n) <= SPREAD


def test_antigen_cells_share_the_denominator(known, world):
    raw = services.table(services.get("VACCINATION_COVERAGE"), Q1, world["TH"].path, ("antigen",))
    mr, td = raw.cells[("2026-Q1", "MR")], raw.cells[("2026-Q1", "TD")]
    assert (mr.numerator, mr.denominator, mr.value) == (6, 12, 50.0)
    assert (td.numerator, td.denominator) == (1, 12)
    assert mr.den_key == td.den_key == raw.cells[("2026-Q1", None)].den_key


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
