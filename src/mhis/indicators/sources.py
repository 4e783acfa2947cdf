"""Sources: the fact tables indicators are defined over, and how each is read from the records.

A source is one row per event (an assessment, an encounter, a referral, a dose, a registration)
with the same leading columns everywhere (who, when, where, and the person's sex, age group,
nationality and migration status *on the day of the event*) followed by the columns of its own.
Derived columns (presumptive TB, days to results, insured on the day) are worked out here by
the same rules the record pages use, so an indicator never disagrees with a person's page.

The same extraction feeds the live engine (a place and period read from the operational
database) and the batch engine (a Parquet extract read by DuckDB), so the two agree by design
on what a row is; they differ only in how they aggregate, and a test holds them equal.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

from mhis.care.assessments import XPERT_DETECTED, presumptive_tb, rhs15
from mhis.care.codes import (
    SPUTUM_SPECIMENS,
    TB_DISEASE_CLASSES,
    AssessmentType,
    CultureResult,
    DstResult,
    EncounterKind,
    Payer,
    ReferralKind,
    ReferralStatus,
    SmearResult,
    XpertResult,
    XrayResult,
)
from mhis.care.models import Assessment, Encounter, Immunisation, Referral, SputumSpecimen
from mhis.care.vaccines import VACCINES
from mhis.places.models import SiteType
from mhis.protection.models import Enrolment, Payment
from mhis.registry.codes import MigrationStatus, Sex
from mhis.registry.models import MigrationEpisode, Person

from .cellkey import person_key
from .periods import keys_of

# Column types, as the batch engine stores them.
BOOL, INT, FLOAT, TEXT, DATE = "bool", "int", "float", "text", "date"

AGE_GROUPS = ("Y0T4", "Y5T14", "Y15T24", "Y25T49", "Y50T64", "Y_GE65", "UNK")
_AGE_BOUNDS = (5, 15, 25, 50, 65)
UNKNOWN = "UNK"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    choices: tuple[str, ...] | None = None  # allowed values of a coded column
    dimension: bool = False  # may be used as a disaggregation


def _dim(name: str, choices: Iterable[str]) -> Column:
    return Column(name, TEXT, tuple(choices), dimension=True)


# Leading columns shared by every source. "key" is the person's record key, from which the
# cell key of every count is summed; "week", "month", "quarter" and "year" are the period
# keys of the event date; "site" is the materialised path of the site (/country/…/site/).
COMMON = (
    Column("person", INT),
    Column("key", INT),  # the person's record key (mhis.indicators.cellkey)
    Column("date", DATE),
    Column("site", TEXT),
    Column("week", TEXT),
    Column("month", TEXT),
    Column("quarter", TEXT),
    Column("year", TEXT),
    _dim("sex", Sex.values),
    _dim("age_group", AGE_GROUPS),
    Column("nationality", TEXT, dimension=True),
    _dim("migration_status", MigrationStatus.values),
)
XRAY_READ = (XrayResult.NORMAL, XrayResult.SUGGESTIVE, XrayResult.OTHER_ABNORMAL)
RR_DST = (DstResult.RR, DstResult.MDR, DstResult.PRE_XDR, DstResult.XDR)
SMEAR_POSITIVE = (SmearResult.SCANTY, SmearResult.POS_1, SmearResult.POS_2, SmearResult.POS_3)
OUTREACH_SITES = (SiteType.MOBILE_CLINIC, SiteType.HEALTH_CORNER, SiteType.COMMUNITY)


@dataclass(frozen=True)
class Source:
    name: str
    columns: tuple[Column, ...]

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in COMMON + self.columns}

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return COMMON + self.columns


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "assessment",
            (
                _dim("type", AssessmentType.values),
                Column("programme", TEXT, dimension=True),
                Column("xray_read", BOOL),
                Column("xray_result", TEXT, (*XrayResult.values, "")),
                Column("presumptive", BOOL),
                Column("specimens_complete", BOOL),
                Column("smear_positive", BOOL),
                Column("culture_positive", BOOL),
                Column("bact_confirmed", BOOL),
                Column("clinical_tb", BOOL),
                Column("dst_done", BOOL),
                Column("rr_tested", BOOL),
                Column("rr", BOOL),
                Column("days_to_results", INT),
                Column("completed", BOOL),
                Column("days_to_clearance", INT),
                Column("rhs15_done", BOOL),
                Column("rhs15_positive", BOOL),
            ),
        ),
        Source(
            "encounter",
            (
                _dim("kind", EncounterKind.values),
                Column("outreach", BOOL),
                Column("insured", BOOL),
                Column("paid", BOOL),
                Column("out_of_pocket", BOOL),
            ),
        ),
        Source(
            "referral",
            (
                _dim("kind", ReferralKind.values),
                _dim("status", ReferralStatus.values),
                Column("cross_border", BOOL),
                Column("completed", BOOL),
                Column("closed", BOOL),
                Column("days_to_closure", INT),
            ),
        ),
        Source(
            "immunisation",
            (_dim("antigen", VACCINES), Column("dose_number", INT), Column("at_assessment", BOOL)),
        ),
        Source("registration", ()),
    )
}


# -- derived values ------------------------------------------------------------------------------


def age_group(birth: dt.date | None, on: dt.date) -> str:
    if birth is None or birth > on:
        return UNKNOWN
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return AGE_GROUPS[bisect.bisect_right(_AGE_BOUNDS, years)]


class StatusBook:
    """Each person's migration status on a given day: the latest episode begun by then.

    Statuses are decrypted once per episode. An event before every dated episode takes the
    earliest one; a person without episodes is ``UNK``.
    """

    def __init__(self, episodes: Iterable[tuple[int, dt.date | None, str]]):
        book: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
        for person, start, status in episodes:
            book[person].append((start or dt.date.min, status))
        for entries in book.values():
            entries.sort()
        self._book = book

    def on(self, person: int, day: dt.date) -> str:
        entries = self._book.get(person)
        if not entries:
            return UNKNOWN
        i = bisect.bisect_right(entries, (day, "\uffff")) - 1
        return entries[max(i, 0)][1] or UNKNOWN


@dataclass
class Scope:
    """Which events to read: [start, end) and sites under a place path (None: everywhere)."""

    start: dt.date | None = None
    end: dt.date | None = None
    path: str | None = None

    def filter(self, qs, date_field: str, site_field: str = "site"):
        if self.start:
            qs = qs.filter(**{f"{date_field}__gte": self.start})
        if self.end:
            qs = qs.filter(**{f"{date_field}__lt": self.end})
        if self.path:
            qs = qs.filter(**{f"{site_field}__path__startswith": self.path})
        return qs


PERSON_FIELDS = ("person_id", "person__sex", "person__birth_date", "person__nationality")


class Extract:
    """Columns of one source as lists, in the order of `Source.all_columns`."""

    def __init__(self, source: Source, sink=None, statuses: StatusBook | None = None):
        self.source = source
        self.names = [c.name for c in source.all_columns]
        self.rows: list[tuple] = []
        self.sink = sink  # called with each chunk of rows instead of keeping them
        self.statuses = statuses  # the whole registry's, or None: read per chunk
        self.count = 0

    def statuses_for(self, person_ids: Iterable[int]) -> StatusBook:
        return self.statuses if self.statuses is not None else _statuses(person_ids)

    def flush(self) -> None:
        self.count += len(self.rows)
        if self.sink is not None and self.rows:
            self.sink(self.rows)
            self.rows = []

    def __len__(self) -> int:
        return len(self.rows)


def _common(person, sex, birth, nationality, day, site_path, statuses: StatusBook) -> tuple:
    return (
        person,
        person_key(person),
        day,
        site_path,
        *keys_of(day),
        sex or Sex.UNKNOWN,
        age_group(birth, day),
        nationality or UNKNOWN,
        statuses.on(person, day),
    )


def _statuses(person_ids: Iterable[int] | None) -> StatusBook:
    qs = MigrationEpisode.objects.all()
    if person_ids is not None:
        ids = list(set(person_ids))
        rows: list = []
        for i in range(0, len(ids), 5000):
            rows += qs.filter(person_id__in=ids[i : i + 5000]).values_list(
                "person_id", "start_date", "status"
            )
        return StatusBook(rows)
    return StatusBook(qs.values_list("person_id", "start_date", "status").iterator(20000))


def _chunks(qs, out: Extract, size: int = 20000) -> Iterator[list]:
    """Rows of `qs` in primary-key order, a chunk at a time (bounded memory on any database)."""
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        out.flush()
        last = chunk[-1][0]


# -- readers -------------------------------------------------------------------------------------


def _read_assessments(scope: Scope, out: Extract) -> None:
    base = scope.filter(Assessment.objects.all(), "date")
    fields = (
        "pk",
        *PERSON_FIELDS,
        "date",
        "site__path",
        "type",
        "programme",
        "tb_symptoms",
        "xray_result",
        "hiv_result",
        "xpert_result",
        "dst_result",
        "tb_classification",
        "completed_on",
        "rhs15_items",
        "rhs15_thermometer",
    )
    for chunk in _chunks(base.values_list(*fields), out):
        ids = [r[0] for r in chunk]
        specimens: dict[int, list] = defaultdict(list)
        for row in SputumSpecimen.objects.filter(assessment_id__in=ids).values_list(
            "assessment_id",
            "number",
            "collected_on",
            "smear_result",
            "culture_result",
            "culture_reported_on",
        ):
            specimens[row[0]].append(row[1:])
        statuses = out.statuses_for(r[1] for r in chunk)
        for r in chunk:
            (
                pk,
                person,
                sex,
                birth,
                nat,
                day,
                path,
                type_,
                programme,
                symptoms,
                xray,
                hiv,
                xpert,
                dst,
                tb_class,
                completed_on,
                items,
                thermometer,
            ) = r
            ns = SimpleNamespace(
                xray_result=xray,
                tb_symptoms=symptoms,
                hiv_result=hiv,
                xpert_result=xpert,
                rhs15_items=items,
                rhs15_thermometer=thermometer,
            )
            spec = specimens.get(pk, [])
            presumptive = presumptive_tb(ns)
            complete = (
                len(spec) == SPUTUM_SPECIMENS
                and all(s[1] and s[2] and s[3] for s in spec)  # collected, smear and culture
            )
            smear_pos = any(s[2] in SMEAR_POSITIVE for s in spec)
            culture_pos = any(s[3] == CultureResult.MTB for s in spec)
            bact = smear_pos or culture_pos or xpert in XPERT_DETECTED
            days_to_results = None
            if complete and all(s[4] for s in spec):
                days_to_results = (max(s[4] for s in spec) - min(s[1] for s in spec)).days
            screen = rhs15(ns)
            out.rows.append(
                (
                    *_common(person, sex, birth, nat, day, path, statuses),
                    type_,
                    programme,
                    xray in XRAY_READ,
                    xray or "",
                    presumptive,
                    complete,
                    smear_pos,
                    culture_pos,
                    bact,
                    tb_class in TB_DISEASE_CLASSES and not bact,
                    bool(dst),
                    xpert in (XpertResult.RIF_DETECTED, XpertResult.RIF_NOT_DETECTED) or bool(dst),
                    xpert == XpertResult.RIF_DETECTED or dst in RR_DST,
                    days_to_results,
                    completed_on is not None,
                    (completed_on - day).days if completed_on else None,
                    screen is not None,
                    bool(screen and screen["positive"]),
                )
            )


def _read_encounters(scope: Scope, out: Extract) -> None:
    base = scope.filter(Encounter.objects.all(), "date")
    fields = ("pk", *PERSON_FIELDS, "date", "site__path", "kind", "site__site_type")
    for chunk in _chunks(base.values_list(*fields), out):
        ids = [r[0] for r in chunk]
        persons = list({r[1] for r in chunk})
        payers: dict[int, set] = defaultdict(set)
        for encounter, payer in Payment.objects.filter(encounter_id__in=ids).values_list(
            "encounter_id", "payer"
        ):
            payers[encounter].add(payer)
        cover: dict[int, list] = defaultdict(list)
        for person, start, end in Enrolment.objects.filter(person_id__in=persons).values_list(
            "person_id", "start_date", "end_date"
        ):
            cover[person].append((start, end))
        statuses = out.statuses_for(persons)
        for pk, person, sex, birth, nat, day, path, kind, site_type in chunk:
            paid = payers.get(pk, ())
            out.rows.append(
                (
                    *_common(person, sex, birth, nat, day, path, statuses),
                    kind,
                    kind == EncounterKind.MOBILE_CLINIC or site_type in OUTREACH_SITES,
                    any(s <= day and (e is None or day <= e) for s, e in cover.get(person, ())),
                    bool(paid),
                    Payer.PATIENT in paid,
                )
            )


def _read_referrals(scope: Scope, out: Extract) -> None:
    base = scope.filter(Referral.objects.all(), "sent_on")
    fields = (
        "pk",
        *PERSON_FIELDS,
        "sent_on",
        "site__path",
        "kind",
        "status",
        "to_country",
        "site__country_code",
        "attended_on",
        "closed_on",
    )
    for chunk in _chunks(base.values_list(*fields), out):
        statuses = out.statuses_for(r[1] for r in chunk)
        for r in chunk:
            _, person, sex, birth, nat, day, path, kind, status, to, here, attended, closed = r
            out.rows.append(
                (
                    *_common(person, sex, birth, nat, day, path, statuses),
                    kind,
                    status,
                    bool(to) and to != here,
                    attended is not None,
                    closed is not None,
                    (closed - day).days if closed else None,
                )
            )


def _read_immunisations(scope: Scope, out: Extract) -> None:
    base = scope.filter(Immunisation.objects.all(), "date")
    fields = ("pk", *PERSON_FIELDS, "date", "site__path", "vaccine", "dose_number", "assessment_id")
    for chunk in _chunks(base.values_list(*fields), out):
        statuses = out.statuses_for(r[1] for r in chunk)
        for _, person, sex, birth, nat, day, path, vaccine, dose, assessment in chunk:
            common = _common(person, sex, birth, nat, day, path, statuses)
            out.rows.append((*common, vaccine, dose, assessment is not None))


def _read_registrations(scope: Scope, out: Extract) -> None:
    from django.db.models.functions import TruncDate

    # A record merged into another is the same person registered again: counted once.
    base = Person.objects.filter(merged_into__isnull=True).annotate(day=TruncDate("created_at"))
    base = scope.filter(base, "day", "registration_site")
    fields = ("pk", "sex", "birth_date", "nationality", "day", "registration_site__path")
    for chunk in _chunks(base.values_list(*fields), out):
        statuses = out.statuses_for(r[0] for r in chunk)
        for person, sex, birth, nat, day, path in chunk:
            out.rows.append(_common(person, sex, birth, nat, day, path, statuses))


READERS = {
    "assessment": _read_assessments,
    "encounter": _read_encounters,
    "referral": _read_referrals,
    "immunisation": _read_immunisations,
    "registration": _read_registrations,
}


def extract(
    source: str, scope: Scope | None = None, *, statuses: StatusBook | None = None, sink=None
) -> Extract:
    """Read one source's rows for `scope` from the operational database.

    With `statuses` given (a whole-registry extract), episodes are not read again per chunk;
    with `sink`, rows go to it a chunk at a time instead of staying in memory.
    """
    out = Extract(SOURCES[source], sink, statuses)
    READERS[source](scope or Scope(), out)
    return out


def whole_statuses() -> StatusBook:
    return _statuses(None)
