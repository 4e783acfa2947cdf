"""One definition, two engines: Python over the live rows and DuckDB over the batch extract
agree on every indicator, and the result cache forgets exactly the periods a change touches."""

import datetime as dt

import pytest

from mhis.care.models import Encounter
from mhis.care.services import update_encounter
from mhis.indicators import batch, services
from mhis.indicators import sources as S
from mhis.indicators.cellkey import SPREAD
from mhis.indicators.engine import Request, compute_rows, same
from mhis.indicators.models import CachedResult
from mhis.indicators.periods import keys_of
from mhis.registry.services import link_site, update_person

from .indicator_world import build

BYS = [(), ("sex",), ("place",), ("sex", "age_group"), ("migration_status", "place")]


@pytest.fixture
def known(world):
    return build(world)


def _requests(indicator, place):
    for by in [*BYS, ("antigen",), ("kind",)]:
        if all(d in indicator.disaggregations for d in by):
            for kind in ("month", "quarter"):
                yield Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), kind, place, by)
    margins = tuple(d for d in ("sex", "age_group", "migration_status", "place", "antigen")
                    if d in indicator.disaggregations)  # fmt: skip
    yield Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "month", place, margins, cross=False)


def test_python_and_duckdb_agree_on_every_indicator(known, world):
    extracts = {name: S.extract(name) for name in S.SOURCES}
    duck = batch.engine_for({name: batch.arrow(e) for name, e in extracts.items()})
    checked = 0
    for indicator in services.catalogue().values():
        for place in ("/", world["TH"].path, world["MAESOT"].path):
            for request in _requests(indicator, place):
                live = compute_rows(indicator, extracts, request)
                assert same(live, duck.compute(indicator, request)) == [], (indicator.code, request)
                checked += bool(live.cells)
    assert checked > 100


def _restless_rows(source, rng, n):
    """Rows where the same few people change site, status and age group within a month, and
    some values are missing: the cases the batch engine counts exactly, person by person."""
    sites = ["/1/2/", "/1/2/5/", "/1/2/6/", "/1/3/7/"]
    rows = []
    for _ in range(n):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(90))
        week, month, quarter, year = keys_of(day)
        person = rng.randrange(12)
        common = {"person": person, "key": S.person_key(person), "date": day, "site": rng.choice(sites), "week": week,
                  "month": month, "quarter": quarter, "year": year,
                  "sex": ("female", "male")[person % 2],  # the person's own, as extracted
                  "nationality": ("MM", "KH")[person % 3 == 0]}  # fmt: skip
        row = []
        for c in source.all_columns:
            if c.name in common:
                row.append(common[c.name])
            elif c.type == S.BOOL:
                row.append(rng.choice((True, False, None)))
            elif c.type in (S.INT, S.FLOAT):
                row.append(rng.choice((None, *range(0, 40, 3))))
            elif c.type == S.DATE:
                row.append(rng.choice((None, day)))
            elif c.choices:
                row.append(rng.choice(c.choices[:3]))
            else:
                row.append(rng.choice((None, "P1", "P2")))
        rows.append(tuple(row))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_counts_people_who_change_within_a_period_once_per_cell(seed, monkeypatch):
    import random

    from mhis.indicators import engine as E

    rng = random.Random(seed)
    extracts = {}
    for name, source in S.SOURCES.items():
        extracts[name] = S.Extract(source)
        extracts[name].rows = _restless_rows(source, rng, 150)
    duck = batch.engine_for({name: batch.arrow(e) for name, e in extracts.items()})
    jobs = []
    for indicator in services.catalogue().values():
        dims = tuple(d for d in ("sex", "age_group", "nationality", "migration_status", "place",
                                 "programme", "antigen", "kind") if d in indicator.disaggregations)  # fmt: skip
        for place in ("/", "/1/2/"):
            jobs.append((indicator, Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "month",
                                            place, dims, cross=False)))  # fmt: skip
            jobs.append((indicator, Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "quarter",
                                            place, dims[:2])))  # fmt: skip
    # Few measures per query, so the batches that split them are exercised too.
    monkeypatch.setattr(E, "_MEASURE_BITS", 3 if seed == 3 else E._MEASURE_BITS)
    tables = duck.compute_many(jobs)
    changed = 0
    for (indicator, request), table in zip(jobs, tables, strict=True):
        live = compute_rows(indicator, extracts, request)
        assert same(live, table) == [], (indicator.code, request)
        changed += len(live.cells)
    assert changed > 500


def test_encrypted_extract_round_trip(known, world, tmp_path):
    counts = batch.write_extract(tmp_path)
    assert counts["assessment"] == 12 and counts["encounter"] == 15
    for name in S.SOURCES:
        data = (tmp_path / f"{name}.parquet.enc").read_bytes()
        assert b"PAR1" not in data and b"REG_LAB" not in data, "extract is encrypted at rest"
    duck = batch.open_extract(tmp_path)
    extracts = {name: S.extract(name) for name in S.SOURCES}
    for code in ("ENCOUNTERS", "SHP_ENROLMENT_MIGRANTS", "TIME_TO_CLEARANCE_MEDIAN"):
        indicator = services.get(code)
        request = Request(dt.date(2026, 1, 1), dt.date(2026, 4, 1), "quarter", "/",
                          ("migration_status",))  # fmt: skip
        assert (
            same(compute_rows(indicator, extracts, request), duck.compute(indicator, request)) == []
        )


def test_open_extract_names_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no extract here"):
        batch.open_extract(tmp_path)


def test_status_is_the_one_in_force_on_the_day():
    book = S.StatusBook([(1, dt.date(2020, 1, 1), "IRR"), (1, dt.date(2024, 6, 1), "REG_LAB"),
                         (2, None, "REF")])  # fmt: skip
    assert book.on(1, dt.date(2019, 5, 1)) == "IRR"  # before every episode: the earliest
    assert book.on(1, dt.date(2024, 5, 31)) == "IRR"
    assert book.on(1, dt.date(2024, 6, 1)) == "REG_LAB"
    assert book.on(2, dt.date(2000, 1, 1)) == "REF"
    assert book.on(3, dt.date(2024, 1, 1)) == "UNK"


@pytest.mark.parametrize(
    ("birth", "on", "group"),
    [
        (dt.date(2021, 6, 2), dt.date(2026, 6, 1), "Y0T4"),
        (dt.date(2021, 6, 1), dt.date(2026, 6, 1), "Y5T14"),
        (dt.date(2001, 3, 1), dt.date(2026, 2, 28), "Y15T24"),
        (dt.date(1961, 1, 1), dt.date(2026, 1, 1), "Y_GE65"),
        (None, dt.date(2026, 1, 1), "UNK"),
    ],
)
def test_age_group_on_the_event_day(birth, on, group):
    assert S.age_group(birth, on) == group


def test_finished_periods_come_from_the_cache(known, world, monkeypatch):
    indicator = services.get("ENCOUNTERS")
    months = ["2026-01", "2026-02", "2026-03"]
    first = services.table(indicator, months, world["TH"].path, ("sex",))
    assert CachedResult.objects.filter(indicator="ENCOUNTERS").count() == 3

    def no_reading(*args, **kwargs):
        raise AssertionError("a cached period was recomputed")

    monkeypatch.setattr(services, "extract", no_reading)
    again = services.table(indicator, months, world["TH"].path, ("sex",))
    assert same(first, again) == []


def test_a_change_forgets_only_its_periods(
    known, world, people, django_capture_on_commit_callbacks
):
    indicator = services.get("ENCOUNTERS")
    months = ["2026-01", "2026-02", "2026-03"]
    services.table(indicator, months, world["TH"].path)
    services.table(services.get("ASSESSMENTS"), months, world["TH"].path)
    encounter = Encounter.objects.filter(date=dt.date(2026, 3, 5)).first()
    with django_capture_on_commit_callbacks(execute=True):  # moved from March to February
        update_encounter(people["admin"], encounter, {"date": "2026-02-02"})
    left = set(CachedResult.objects.filter(indicator="ENCOUNTERS").values_list("period", flat=True))
    assert left == {"2026-01"}
    assert CachedResult.objects.filter(indicator="ASSESSMENTS").count() == 3
    after = services.table(indicator, months, world["TH"].path)
    assert {k[0]: c.numerator for k, c in after.cells.items()} == {
        "2026-01": 12,
        "2026-02": 1,
        "2026-03": 2,
    }


def test_a_person_change_forgets_their_periods(
    known, world, people, django_capture_on_commit_callbacks
):
    indicator = services.get("PEOPLE_SEEN")
    services.table(indicator, ["2026-01", "2026-03"], world["TH"].path, ("sex",))
    host = known["host"][0]  # seen in March only
    link_site(host, host.registration_site, "registered")  # the world is written without links
    with django_capture_on_commit_callbacks(execute=True):
        update_person(people["admin"], host, {"sex": "female"})
    left = set(CachedResult.objects.values_list("period", flat=True))
    assert left == {"2026-01"}
    after = services.table(indicator, ["2026-03"], world["TH"].path, ("sex",))
    assert after.cells[("2026-03", "female")].numerator == 2  # W1 again, and the changed person


def test_out_of_scope_place_refused(known, world, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.published(people["hn_analyst"], "ENCOUNTERS", ["2026-Q1"], world["TH"])
    result = services.published(people["admin"], "ENCOUNTERS", ["2026-Q1"], world["TH"])
    assert abs(result.cells[0].numerator - 15) <= SPREAD  # protected: adjusted


def test_bad_request_names_the_field(known, world):
    from django.core.exceptions import ValidationError

    indicator = services.get("ENCOUNTERS")
    with pytest.raises(ValidationError) as caught:
        services.table(indicator, ["2026-13"], world["TH"].path)
    assert "periods" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.table(indicator, ["2026-Q1"], world["TH"].path, ("antigen",))
    assert "by" in caught.value.message_dict
