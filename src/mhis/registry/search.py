"""Who may see whom, and finding people: the scope of a person, search by name in any script
or by identifier, reading one record (logged)."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)

from mhis import names as namelib
from mhis.access.policy import Can, allowed
from mhis.access.services import log_access, scope_site_ids
from mhis.crypto import keyed_hash
from mhis.lookups import Among, AnyOf, Begins

from .models import Identifier, NameKey, Person, PersonName, PersonSite
from .validation import normalise_identifier

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mhis.access.models import User

# Beyond this many people matching a query anywhere, search joins inside the database.
SEARCH_CANDIDATES = 5000
# Up to this many, their names are read and ranked (mhis.names.match_rank); beyond, the
# database orders them by the words typed together.
RANK_AT_MOST = 500


def identifier_hash(value: str) -> str:
    """The keyed hash an identifier is found by (of its normalised value)."""
    return keyed_hash(normalise_identifier(value), purpose="identifier")


def visible_people(user: User | AnonymousUser) -> QuerySet[Person]:
    """People the user may see: known (registered, seen or referred) at a site in their scopes."""
    if not allowed(user, Can.READ_PERSON):
        return Person.objects.none()
    return Person.objects.filter(known_in_places(user))


def person_in_scope(user: User | AnonymousUser, person: Person) -> bool:
    """The one scope rule for a person, for reading and writing alike (ADR 0013): known at a
    site in the user's places."""
    if not user.is_authenticated:  # signed out: no places
        return False
    return PersonSite.objects.filter(person=person, site_id__in=scope_site_ids(user)).exists()


def known_in_places(user: User, person: str = "pk") -> Exists:
    """A condition on the outer row: the person its field `person` names is known at a site in
    the user's scopes. The scope resolves to a short list of site ids once; each row is then
    one probe of the (person, site) unique index, whatever the planner knows of the tables, so
    a selective name search never has to materialise everyone in scope."""
    return Exists(
        PersonSite.objects.filter(person=OuterRef(person), site_id__in=scope_site_ids(user))
    )


def search_page(user: User, query: str, *, start: int, size: int) -> tuple[Sequence[Person], int]:
    """A page of `search_people(user, query)` (registration sites read with it) and how many
    people there are in all, the matching ids read once for both."""
    people = search_people(user, query)
    if (query or "").strip():
        # The database sorts every match to cut the page; counting them there costs no more
        # and saves a second pass over the matches.
        counted = list(
            people.select_related("registration_site").annotate(_total=Window(Count("pk")))[
                start : start + size
            ]
        )
        if counted:
            return counted, counted[0]._total
        return counted, people.count() if start else 0
    rows = list(people.select_related("registration_site")[start : start + size])
    if start == 0 and len(rows) < size:
        return rows, len(rows)
    if not allowed(user, Can.READ_PERSON):
        return rows, 0
    # Everyone in scope: counted from the (person, site) links, not by sorting people.
    count = (
        PersonSite.objects.filter(site_id__in=scope_site_ids(user), person__merged_into=None)
        .values("person_id")
        .distinct()
        .count()
    )
    return rows, count


def _prefix(key: str) -> Q:
    # A range of the (key, person) index's order, which any plan reads from the index,
    # prepared statements' included (`mhis.lookups.Begins`).
    return Q(Begins(F("key"), key))


def _matching_ids(query: str) -> tuple[list[QuerySet[NameKey | Identifier, int]], bool]:
    """Person ids matching the query, as one query per way of matching: by every word (each
    also with one letter wrong when :func:`mhis.names.may_be_misspelt`), by the words written
    together, by an identifier; and whether the last way is by identifier."""
    plan = namelib.query_plan(query)
    ways: list[QuerySet[NameKey | Identifier, int]] = []
    if plan:
        groups = []
        alone = len(plan.groups) == 1
        for group in plan.groups:
            alternatives = Q()
            for key in group:
                alternatives |= _prefix(key)
                if namelib.may_be_misspelt(key, alone):
                    alternatives |= Q(key__in=sorted(namelib.one_letter_off(key)))
            groups.append(NameKey.objects.filter(alternatives).values_list("person_id", flat=True))
        for run in plan.repeated:  # a word typed twice is there twice: "maungmaung…"
            groups.append(NameKey.objects.filter(_prefix(run)).values_list("person_id", flat=True))
        ways.append(
            groups[0].intersection(*groups[1:]) if len(groups) > 1 else groups[0].distinct()
        )
        if plan.joined and len(plan.groups) > 1:
            ways.append(
                NameKey.objects.filter(_prefix(plan.joined))
                .values_list("person_id", flat=True)
                .distinct()
            )
    normal = normalise_identifier(query)
    by_identifier = bool(normal and any(ch.isdigit() for ch in normal))
    if by_identifier:
        ways.append(
            Identifier.objects.filter(value_hash=identifier_hash(query)).values_list(
                "person_id", flat=True
            )
        )
    return ways, by_identifier


def _ranks(
    query: str, ids: set[int], by_identifier: set[int]
) -> tuple[dict[int, int], dict[int, int | None]]:
    """The rank (mhis.names.match_rank) of each person whose names answer the query, their
    names read in one query; found by identifier is EXACT. People whose names lack a word
    typed (Maung Aung for ``Maung Maung``) are left out. Also, read with the names, the record
    each person whose names were read is merged into (None: not merged)."""
    names: dict[int, list[tuple[str, str]]] = {}
    merged: dict[int, int | None] = {}
    rows = PersonName.objects.filter(AnyOf(F("person_id"), sorted(ids)))
    for person_id, text, latin, into in rows.values_list(
        "person_id", "text", "latin", "person__merged_into_id"
    ):
        names.setdefault(person_id, []).append((text, latin))
        merged[person_id] = into
    ranks = dict.fromkeys(by_identifier, namelib.EXACT)
    for pk, written in names.items():
        rank = namelib.match_rank(query, written)
        if rank is not None and rank < ranks.get(pk, rank + 1):
            ranks[pk] = rank
    return ranks, merged


def _read_ways(ways: list[QuerySet[NameKey | Identifier, int]]) -> list[list[int]] | None:
    """The person ids of each way of matching, read in one query; None when a way matches more
    than SEARCH_CANDIDATES people (the query is broad)."""
    selects, params = [], []
    for n, way in enumerate(ways):
        sql, way_params = way.query.get_compiler(connection=connection).as_sql()
        selects.append(f"SELECT w{n}.*, {n} FROM ({sql}) w{n}")  # noqa: S608 - the ORM's SQL
        params.extend(way_params)
    # Read at most one more than SEARCH_CANDIDATES a way: when that many come, one way at
    # least has more; when fewer come, every way is whole.
    limit = len(ways) * (SEARCH_CANDIDATES + 1)
    with connection.cursor() as cursor:
        cursor.execute(f"{' UNION ALL '.join(selects)} LIMIT %s", [*params, limit])
        rows = cursor.fetchall()
    if len(rows) >= limit:
        return None
    found: list[list[int]] = [[] for _ in ways]
    for pk, n in rows:
        found[n].append(pk)
    if any(len(ids) > SEARCH_CANDIDATES for ids in found):
        return None
    return found


def _ranked(people: QuerySet[Person], ranks: dict[int, int]) -> QuerySet[Person]:
    """`people` among the ranked, best first, newest first within a rank."""
    tiers: dict[int, list[int]] = {}
    for pk, rank in ranks.items():
        tiers.setdefault(rank, []).append(pk)
    order = Case(
        *(When(AnyOf(F("pk"), sorted(pks)), then=Value(rank)) for rank, pks in tiers.items()),
        default=Value(namelib.NEAR + 1),
        output_field=IntegerField(),
    )
    return (
        people.filter(AnyOf(F("pk"), sorted(ranks)))
        .alias(_rank=order)
        .order_by("_rank", "-created_at", "-pk")
    )


def _whole_first(people: QuerySet[Person], query: str) -> QuerySet[Person]:
    """Too many to rank one by one: those with a key equal to the words typed together
    first (the name, or its end), then newest first."""
    # "Among the people with that key" (read once, hashed) rather than a probe a person: the
    # database sorts every match, and cannot always tell how many there are.
    whole = NameKey.objects.filter(key=namelib.query_plan(query).joined).values("person_id")
    is_whole = ExpressionWrapper(Q(pk__in=whole), output_field=BooleanField())
    return people.alias(_whole=is_whole).order_by("-_whole", "-created_at", "-pk")


def _known_among(user: User | AnonymousUser, matching: Q | AnyOf) -> QuerySet[Person]:
    """The people the user may see (known at a site in their scopes), not merged, whose ids
    are `matching` (a condition on ``person_id``).

    For a broad search: the people matching at the user's sites are read first, once, from
    the (site, person) index, and only they are read, rather than reading every matching
    person anywhere and probing the scope for each. The same people as
    ``visible_people(user).filter(merged_into=None)`` among those matching."""
    if not allowed(user, Can.READ_PERSON) or not user.is_authenticated:
        return Person.objects.none()
    known = (
        PersonSite.objects.filter(site_id__in=scope_site_ids(user))
        .filter(matching)
        .values("person_id")
    )
    return Person.objects.filter(Among(F("pk"), known), merged_into__isnull=True)


def search_people(user: User | AnonymousUser, query: str = "") -> QuerySet[Person]:
    """People in the user's scopes whose names or identifiers match `query`, best match
    first, then newest first.

    A merged record is not listed: its names and identifiers find the record it was merged
    into (once), when the user may see that one.

    A name matches when every word of the query starts one of the name's keys (in any of its
    scripts or spellings), or when the query written without spaces starts one; a longer
    word that is no known name also matches with one letter wrong (``Thien`` finds Thein).
    A query that looks like an identifier also matches the identifier's keyed hash exactly.
    Matches are ranked (:func:`mhis.names.match_rank`): the whole name, then every word typed
    as a whole word, then as the start of one, then with a letter wrong; a word typed twice
    must be there twice (``Maung Maung`` does not list everyone called Maung).

    The matching ids are read first (from the covering index on name keys) when there are at
    most SEARCH_CANDIDATES of them, as for most names of two words or more, and the scope is
    checked person by person; up to RANK_AT_MOST of them, their names are read once to rank
    them. Beyond RANK_AT_MOST, those with a key equal to the words typed together come first,
    and the people matching at the user's sites are found from the (site, person) index
    before any person is read (:func:`_known_among`); a broader query still (one common
    syllable) is matched with the user's sites inside the database the same way.
    """
    people = visible_people(user).filter(merged_into__isnull=True)  # merged: the survivor shows
    query = (query or "").strip()[:200]
    if not query:
        return people.order_by("-created_at", "-pk")
    ways, by_identifier = _matching_ids(query)
    if not ways:
        return people.none()
    read = _read_ways(ways)
    if read is None:
        # Too many to read: matched inside the database, at the user's sites, by every way;
        # a merged record's names lead to its survivor.
        anywhere, at_sites = Q(pk__in=[]), Q(pk__in=[])
        for each in ways:
            anywhere |= Q(pk__in=each)
            at_sites |= Q(person_id__in=each)
        merged = Person.objects.filter(anywhere).exclude(merged_into=None)
        ends = set(survivors(merged.values_list("pk", flat=True)).values())
        if ends:
            at_sites |= Q(person_id__in=sorted(ends))
        return _whole_first(_known_among(user, at_sites), query)
    found: set[int] = set().union(*read)
    identified: set[int] = set(read[-1]) if by_identifier else set()
    if len(found) > RANK_AT_MOST:
        found |= set(survivors(found).values())
        return _whole_first(_known_among(user, AnyOf(F("person_id"), sorted(found))), query)
    ranks, into = _ranks(query, found, identified) if found else ({}, {})
    # A merged record's names find the record it was merged into, as well as they find it
    # (read further only when one of them is merged, or was found without its names).
    if any(into.values()) or set(ranks) - set(into):
        leads_to = survivors(ranks)
    else:
        leads_to = {pk: pk for pk in ranks}
    for pk, survivor in leads_to.items():
        if survivor != pk and ranks[pk] < ranks.get(survivor, namelib.NEAR + 1):
            ranks[survivor] = ranks[pk]
    return _ranked(people, ranks)


def survivors(ids: Iterable[int]) -> dict[int, int]:
    """Each person id -> the record it is merged into now, however many merges deep (itself
    when not merged): a merged record keeps its names and identifiers, but what they lead to
    is the survivor."""
    wanted = set(ids)
    into: dict[int, int] = {}
    frontier = wanted
    while frontier:
        found = dict(
            Person.objects.filter(AnyOf(F("pk"), sorted(frontier)))
            .exclude(merged_into=None)
            .values_list("pk", "merged_into_id")
        )
        into |= found
        frontier = set(found.values()) - set(into)
    out = {}
    for pk in wanted:
        seen, at = {pk}, pk
        while at in into and into[at] not in seen:
            at = into[at]
            seen.add(at)
        out[pk] = at
    return out


def get_person(user: User, person_uuid: uuid_module.UUID | str, *, view: str) -> Person:
    """The person with this id if the user may see them, logging the read; else DoesNotExist.

    Out of scope and nonexistent are the same answer, so a record's existence never leaks.
    """
    try:
        key = (
            person_uuid
            if isinstance(person_uuid, uuid_module.UUID)
            else uuid_module.UUID(str(person_uuid))
        )
    except ValueError:
        raise Person.DoesNotExist from None
    person = visible_people(user).select_related("registration_site").get(uuid=key)
    log_access(user, [person], view)
    return person


def log_listed(user: User, people: Iterable[Person], view: str) -> None:
    """Log that the user was shown these people in a list."""
    log_access(user, people, view)
