"""The insider-attack suite: every role, with an ordinary account, working only through what it
may read, tries to learn what it may not — on the demo world (tiny: 300 people across the
corridors, three years of care).

1. Migration status: a role that reads people but not their status combines what it reads of
   each person (their encounters, through the API) with every aggregate route — the API, the
   pages and their CSV and XLSX downloads, and the DHIS2/ADX exports an operator publishes — and
   pins nobody's status.
2. Differencing: over all the linked tables the role can obtain (`tests/insider.py`: every
   indicator, place, month, quarter, the year, the weeks of a quarter, each breakdown and the
   place drill-down), no withheld or adjusted count from 1 to 4 is given exactly
   (`mhis.indicators.audit`). The same audit undoes table-by-table suppression, as aggregates
   were published before.
3. Imports: no role changes or reveals a record outside its places by importing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from mhis.access.models import Role
from mhis.access.policy import Can, roles_with
from mhis.access.services import create_token, create_user
from mhis.indicators import exports, services
from mhis.indicators.audit import Attack, Witnesses
from mhis.indicators.cellkey import SPREAD
from mhis.indicators.definitions import STATUS_COLUMNS
from mhis.indicators.disclosure import protect
from mhis.indicators.sources import SOURCES, extract
from mhis.places.models import Place, PlaceKind
from mhis.registry.codes import MigrationStatus
from mhis.registry.models import Person

from .insider import collect, periods_of, plan, table_by_table

YEAR = dt.date.today().year - 1
# Roles that read people without their migration status.
BLIND = sorted(roles_with(Can.READ_PERSON) - roles_with(Can.SEE_MIGRATION_STATUS))
# Roles shown protected aggregates (the others see every person counted anyway).
PROTECTED = sorted(set(Role.values) - roles_with(Can.EXACT_INDICATORS))


# The audit computes every table from one extract with the Python engine and solves the same
# programmes whatever the database: it runs once, on SQLite (reading the extract is tested on
# both databases by tests/test_indicator_engines.py and test_indicator_pack.py).
ONCE = pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="the audit does not depend on the database; it runs in the suite on SQLite",
)


@pytest.fixture
def demo(db, tmp_path):
    call_command("demo", "--size", "tiny", "--seed", "7", "--out", str(tmp_path), verbosity=0)
    return Place.objects.get(code="TH")


def _insider(role, place):
    return create_user(username=f"insider_{role}", password=None, role=role, places=[place])


# -- 2. differencing ----------------------------------------------------------------------------


def _views(root) -> dict[str, list[str]]:
    """The protected roles grouped by the tables they may obtain (one audit serves a group)."""
    groups: dict[tuple, list[str]] = {}
    for role in PROTECTED:
        tables = plan(_insider(role, root), root, YEAR)
        key = tuple((i.code, p.code, by, keys) for i, p, by, keys in tables)
        groups.setdefault(key, []).append(role)
    return {roles[0]: roles for roles in groups.values()}


def test_the_protected_roles_obtain_two_sets_of_tables(demo):
    """Every role shown protected counts obtains the tables of the analyst (by status, at the
    levels the firewall allows) or those of the viewer (never by status): the two audits below
    cover them all."""
    views = _views(demo)
    assert set(views) == {"analyst", "administrator"}
    assert sorted(views["administrator"]) == sorted(set(PROTECTED) - {"analyst"})


@ONCE
@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_no_withheld_or_adjusted_small_count_is_given_away_by_the_linked_tables(demo, role):
    attack, extracts = collect(_insider(role, demo), demo, YEAR)
    witnesses = Witnesses(attack, extracts)
    assert witnesses.check() == [], "the audit counts what the tables count"
    findings = attack.run(extracts)
    assert len(findings) > 1000, "a world with many small counts to protect"
    pinned = [f for f in findings if f.pinned or f.undecided]
    assert pinned == [], f"{len(pinned)} of {len(findings)} small counts given away: {pinned[:3]}"


@ONCE
def test_the_same_audit_undoes_table_by_table_suppression(demo):
    """The control: the tables as they were published before (each table suppressed on its own,
    primary and complementary, exact numbers otherwise) give small counts away exactly."""
    viewer = _insider("viewer", demo)
    codes = ["ENCOUNTERS", "PEOPLE_SEEN", "ASSESSMENTS"]
    attack, extracts = collect(viewer, demo, YEAR, codes, publish=table_by_table)
    targets = sorted(attack.targets(5), key=repr)[::8]  # every eighth: the linear programmes
    findings = attack.run(extracts, targets)
    pinned = [f for f in findings if f.pinned]
    assert len(pinned) > len(findings) // 4, f"only {len(pinned)} of {len(findings)} recovered"
    assert all(f.lo == pytest.approx(f.true, abs=1e-6) for f in pinned), "recovered exactly"


def test_what_the_audit_collects_is_what_every_route_serves(demo, api, client):
    """The audit computes each table from one extract; the API, the page's CSV and the
    service behind them publish the same cells."""
    analyst = _insider("analyst", demo)
    tak = Place.objects.get(code="TH-63")
    attack, _extracts = collect(analyst, tak, YEAR, ["ENCOUNTERS"])
    quarter = f"{YEAR}-Q2"
    result = api(analyst).get("/api/indicators/ENCOUNTERS", place="TH-63", period=quarter,
                              by="sex")  # fmt: skip
    assert result.status_code == 200
    published = services.published(analyst, "ENCOUNTERS", [quarter], tak, ("sex",))
    api_cells = {(c["period"], c["dimensions"]["sex"]): (c["numerator"], c["hidden"])
                 for c in result.json()["cells"]}  # fmt: skip
    assert api_cells == {(c.key[0], c.key[1]): (c.numerator, c.flag) for c in published.cells}
    for cell in published.cells:
        coord = next(c for c in attack.cells
                     if c.period == quarter and c.place == tak.path
                     and c.dims == ((("sex", cell.key[1]),) if cell.key[1] else ()))  # fmt: skip
        if cell.numerator is not None:
            seen = attack.cells[coord]
            assert seen.lo <= cell.numerator + SPREAD and cell.numerator - SPREAD <= seen.hi


# -- 1. migration status ------------------------------------------------------------------------


def _status_routes(user, token, client, places):
    """Every aggregate route asked for a breakdown by migration status, or for an indicator
    counted by it: what came back (route, status code, whether any status name appears)."""
    labels = [str(label) for label in MigrationStatus.labels] + list(MigrationStatus.values)
    headers = {"Authorization": f"Bearer {token}"}
    client.force_login(user)
    answers = []
    listed = {i["code"] for i in client.get("/api/indicators", headers=headers).json()}
    for indicator in services.catalogue().values():
        status_dims = [d for d in indicator.disaggregations if d in STATUS_COLUMNS]
        asks = [(d,) for d in status_dims] + ([()] if indicator.counts_by_status else [])
        for place in places:
            for by in asks:
                query = {"place": place.code, "period": f"{YEAR}-Q2"}
                response = client.get(f"/api/indicators/{indicator.code}",
                                      {**query, "by": list(by)}, headers=headers)  # fmt: skip
                body = response.content.decode()
                answers.append(("api", indicator.code, place.code, response.status_code,
                                response.status_code == 200 and any(v in body for v in labels)))  # fmt: skip
                for fmt in ("", "csv", "xlsx"):
                    page = client.get(f"/indicators/{indicator.code}/",
                                      {**query, "every": "quarter", "by": by[0] if by else "",
                                       **({"format": fmt} if fmt else {})})  # fmt: skip
                    text = _text(page, fmt)
                    shown = page.status_code == 200 and any(
                        f">{v}<" in text or f",{v}" in text or f"\t{v}" in text for v in labels
                    )
                    answers.append((fmt or "page", indicator.code, place.code, page.status_code,
                                    shown))  # fmt: skip
    client.logout()
    return listed, answers


def _text(response, fmt: str) -> str:
    if response.status_code != 200:
        return ""
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            "\t".join(str(v) for v in row) for s in book for row in s.iter_rows(values_only=True)
        )
    return response.content.decode()


def _exports(root: Place):
    """What an operator publishes to DHIS2 and ADX for a year: Thailand and its first-level
    areas, by month and by quarter, every mapped indicator (`exports.values`), as an attack."""
    from mhis.indicators.engine import Request, compute_rows
    from mhis.indicators.periods import parse

    mapping = exports.load_mapping()
    attack = Attack(spread=SPREAD)
    extracts = {name: extract(name) for name in SOURCES}
    for place in [root, *Place.objects.filter(parent=root, kind=PlaceKind.AREA)]:
        for keys in periods_of(YEAR)[:2]:
            refused: list[str] = []
            values, _withheld = exports.values(mapping, place, keys, children=place == root,
                                               refused=refused)  # fmt: skip
            assert values and not refused
            for code, spec in mapping.indicators.items():
                indicator = services.get(code)
                by = (*spec.get("by", ()), *(("place",) if place == root else ()))
                periods = sorted(parse(k) for k in keys)
                raw = compute_rows(indicator, extracts, Request(periods[0].start, periods[-1].end,
                                                                periods[0].type, place.path, by))  # fmt: skip
                services.complete(raw, place, keys)
                attack.observe(raw, protect(raw))
    return attack, extracts


def _rows_by_person(extracts) -> dict[int, dict[str, list]]:
    """Each person's rows of the extracts that carry migration status."""
    out: dict[int, dict[str, list]] = defaultdict(lambda: {"encounter": [], "registration": []})
    for name in ("encounter", "registration"):
        for row in extracts[name].rows:
            out[row[0]][name].append(row)
    return out


def _single_status(rows_of, extracts) -> dict[int, str]:
    i = extracts["encounter"].names.index("migration_status")
    out = {}
    for pk, rows in rows_of.items():
        statuses = {r[i] for r in rows["encounter"]}
        if len(statuses) == 1:
            out[pk] = next(iter(statuses))
    return out


def _changes(witnesses, extracts, moves) -> dict:
    """How the published cells' true counts change when each (rows, status) of `moves` is
    that person's rows with their status made `status`."""
    changes: dict = {}
    for rows, status in moves:
        for name in ("encounter", "registration"):
            i = extracts[name].names.index("migration_status")
            moved = [(*r[:i], status, *r[i + 1 :]) for r in rows[name]]
            for coord, n in witnesses.delta(name, rows[name], moved).items():
                changes[coord] = changes.get(coord, 0) + n
    return changes


def _mates(pk, status, single, rows_of, witnesses, extracts, most: int = 40):
    """People of another status who, given `status`, would be counted in most of the cells
    that count `pk`: the first to take their place in a world where `pk` has another status
    (the attacker knows neither's status)."""
    i = extracts["encounter"].names.index("migration_status")

    def cells(m, as_status):
        return {c for r in rows_of[m]["encounter"] for c in witnesses.cells("encounter", (*r[:i], as_status, *r[i + 1 :]))}  # fmt: skip

    theirs = cells(pk, status)
    mates = [m for m, s in single.items() if s != status and m != pk]
    mates.sort(key=lambda m: -len(theirs & cells(m, status)))
    return mates[:most]


@pytest.mark.parametrize("role", BLIND)
def test_no_role_that_reads_people_without_their_status_learns_anyone_s(demo, client, role):
    user = _insider(role, demo)
    _row, token = create_token(user)
    headers = {"Authorization": f"Bearer {token}"}
    # What the role reads of people: who they are, and when and where each was seen.
    people, page = [], 1
    while True:
        listing = client.get("/api/persons", {"page": page, "page_size": 100}, headers=headers)
        assert listing.status_code == 200
        people += [p["id"] for p in listing.json()["results"]]
        if len(people) >= listing.json()["count"]:
            break
        page += 1
    seen = {}
    for uuid in people:
        response = client.get(f"/api/persons/{uuid}/encounters", headers=headers)
        assert response.status_code == 200
        seen[uuid] = response.json()
    assert sum(map(len, seen.values())) > 50
    # Every aggregate route, asked for status: refused, or answered without it.
    places = [demo, *Place.objects.filter(parent=demo, kind=PlaceKind.AREA)[:1],
              Place.objects.get(code="TH-63-MSOT"), Place.objects.get(code="TH-MSOT-CLIN")]  # fmt: skip
    listed, answers = _status_routes(user, token, client, places)
    assert not {i.code for i in services.catalogue().values() if i.counts_by_status} & listed
    assert [a for a in answers if a[4]] == [], "a route showed status"
    assert {a[0] for a in answers if a[3] in (403, 422)} >= {"api"}
    # What is published for others: the exports. For each person and each status they do not
    # have, a world consistent with every published cell in which they have it.
    attack, extracts = _exports(demo)
    witnesses = Witnesses(attack, extracts)
    assert witnesses.check() == []
    pinned = []
    ids = {str(u): pk for u, pk in Person.objects.filter(uuid__in=people).values_list("uuid", "pk")}
    rows_of = _rows_by_person(extracts)
    single = _single_status(rows_of, extracts)  # person → their one status, where they have one
    for uuid, encounters in seen.items():
        pk = ids[uuid]
        if pk not in single or not encounters:
            continue  # a status that changed: nothing single to pin
        status = single[pk]
        possible = {status}
        for other in MigrationStatus.values:
            if other == status:
                continue
            # A world in which they have `other`: they alone moved, or they and someone of
            # status `other` swapped (the attacker knows neither's status).
            moved = _changes(witnesses, extracts, [(rows_of[pk], other)])
            if witnesses.fits(moved) or any(
                witnesses.fits(_changes(witnesses, extracts, [(rows_of[pk], other), (rows_of[mate], status)]))
                for mate in _mates(pk, status, single, rows_of, witnesses, extracts)
            ):  # fmt: skip
                possible.add(other)
        if possible == {status}:
            pinned.append((uuid, status))
    assert len(seen) > 20
    assert pinned == [], f"{len(pinned)} people's status learned"


# -- 3. imports ---------------------------------------------------------------------------------

IMPORTERS = sorted(roles_with(Can.WRITE_PERSON) | roles_with(Can.SUBMIT_REPORTS))


@pytest.mark.parametrize("role", IMPORTERS)
@pytest.mark.parametrize("kind", ["encounters", "episodes", "people"])
def test_no_import_changes_or_reveals_a_record_outside_the_importer_s_places(
    people, tmp_path, role, kind
):
    """A Mae Sot record imported by the Mae Sot clinic; an insider of Ranong, of every role that
    imports, reuses the source name and key to rewrite it and to reach the Mae Sot person."""
    from django.forms.models import model_to_dict

    from mhis.intake.models import SourceRecord
    from mhis.registry.search import visible_people

    from .test_intake_scope import KINDS, imported, table

    model, header, theirs, mine = KINDS[kind]
    clinician = people["clinician"]
    register = table(tmp_path / "people.csv", ["source_key", "name", "registration_site", "sex"],
                     [["P1", "Naw Paw", "MSOT-CLIN", "female"]])  # fmt: skip
    imported(clinician, register, "people")
    mae_sot = SourceRecord.objects.get(kind="people", key="P1").person
    imported(clinician, table(tmp_path / "theirs.csv", header, [theirs]), kind)
    record = SourceRecord.objects.filter(kind=kind, key="K1").get()
    target = record.person if kind == "people" else model.objects.get(pk=record.record_id)
    before = model_to_dict(target)
    insider = create_user(username=f"ranong_{role}_importer", password=None, role=role,
                          places=[people["chw"].scope_rows.get().place])  # fmt: skip
    mine = table(tmp_path / "mine.csv", header, [mine])
    try:
        job = imported(insider, mine, kind)
    except PermissionDenied:
        job = None  # the role may not import this kind at all
    target.refresh_from_db()
    assert model_to_dict(target) == before, "the Mae Sot record is as it was"
    if job is not None:
        for outcome, reason in job.rows.values_list("outcome", "reason"):
            assert outcome in ("rejected", "created")
            assert mae_sot.display_name not in reason and str(mae_sot.uuid) not in reason
    assert not visible_people(insider).filter(pk=mae_sot.pk).exists(), "no one widened a scope"
