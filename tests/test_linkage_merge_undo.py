"""Merges that can be trusted: nested merges undone in every order restore every row of
every table or are refused with a message naming the merge to undo first; merge and undo
need an administrator who sees both records on their own; a merge opens the person's whole
history to both records' sites and an undo closes it again; conflicting records are flagged;
search finds a merged record's names and identifiers and leads to the survivor."""

import datetime as dt
import itertools

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from mhis.access.models import AccessLog
from mhis.access.services import create_user
from mhis.care.models import Encounter, Referral
from mhis.linkage.merges import conflict_messages, merge_people, unmerge, visible_merges
from mhis.linkage.models import CandidatePair, LinkRun, Merge
from mhis.linkage.services import review_queue
from mhis.protection.models import Enrolment, Scheme
from mhis.registry.models import Household, HouseholdMember, Identifier, Person, PersonSite
from mhis.registry.search import search_people, visible_people

D = dt.date

# Tables left out of the comparison, each because it legitimately changes with a merge or an
# undo and is not part of the person's record:
GROWING = {
    "access.AccessLog",  # every read is logged, and stays logged
    "indicators.CachedResult",  # cached indicator periods are dropped when records move
    "linkage.Merge",  # the merge itself, then when and by whom it was undone
    "linkage.CandidatePair",  # an undone merge sends its pair back to the review queue
    "django_tasks_database.DBTaskResult",  # the task queue (work done after a change)
    "work.Lease",  # the task queue's leases
    "work.Scheduled",  # the task queue's schedule
}


def snapshot() -> dict:
    """Every row of every other table, every field (foreign keys as ids), as plain values."""
    out = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in GROWING:
            continue
        names = [f.attname for f in model._meta.concrete_fields]
        out[label] = sorted(map(repr, model._default_manager.values_list(*names)))
    return out


def _differences(before: dict, after: dict, *, requests: bool = False) -> list[str]:
    """The tables that differ; with `requests`, but those a signed-in request writes to
    (the token's last use, the session)."""
    skip = {"access.ApiToken", "sessions.Session"} if requests else set()
    return [label for label in before if label not in skip and before[label] != after[label]]


@pytest.fixture
def admin(people):
    return people["admin"]


@pytest.fixture
def records(world, people, register):
    """Four records A–D registered at the clinic, each with names, an identifier, a
    migration episode, a consent, a site link of its own elsewhere, care encounters and a
    referral at its sites, an enrolment, and household memberships (A and C share one)."""
    sites = {"A": world["CLINIC"], "B": world["BRIDGE"], "C": world["RANONG"],
             "D": world["MYAWADDY"]}  # fmt: skip
    scheme = Scheme.objects.create(code="TH-MHI", name="Migrant health insurance",
                                   country="TH", type="migrant")  # fmt: skip
    other = Scheme.objects.create(code="TH-SSO", name="Social security", country="TH",
                                  type="migrant")  # fmt: skip
    shared = Household.objects.create(label="shared")
    found = {}
    for n, (key, site) in enumerate(sites.items()):
        person = register(names=[{"text": f"Naw Paw {key}{key}", "latin": None}])
        PersonSite.objects.get_or_create(person=person, site=site,
                                         defaults={"reason": PersonSite.Reason.SEEN})  # fmt: skip
        Encounter.objects.create(person=person, site=site, kind="consultation",
                                 date=D(2026, 1, 10 + n))  # fmt: skip
        Encounter.objects.create(person=person, site=world["CLINIC"], kind="consultation",
                                 date=D(2026, 2, 10 + n))  # fmt: skip
        Referral.objects.create(person=person, site=site, kind="medical", reason="x",
                                to_site=world["CLINIC"], to_country="TH",
                                sent_on=D(2026, 2, 1), due_on=D(2026, 3, 1))  # fmt: skip
        Enrolment.objects.create(person=person, scheme=scheme if n % 2 else other, site=site,
                                 start_date=D(2025, 1, 1 + n))  # fmt: skip
        household = shared if key in "AC" else Household.objects.create(label=key)
        HouseholdMember.objects.create(household=household, person=person,
                                       relationship="head" if key != "C" else "spouse")  # fmt: skip
        found[key] = person
    return found


# Each scenario: the merges made, in order, as (merged, survivor).
SCENARIOS = {
    "C into B, then B into A": [("C", "B"), ("B", "A")],
    "B into A, then C into A": [("B", "A"), ("C", "A")],
    "a chain of four": [("D", "C"), ("C", "B"), ("B", "A")],
    "four into one": [("B", "A"), ("C", "A"), ("D", "A")],
}
CASES = [(name, order) for name, merges in SCENARIOS.items()
         for order in itertools.permutations(range(len(merges)))]  # fmt: skip


@pytest.mark.parametrize(("scenario", "order"), CASES, ids=[f"{s}: {o}" for s, o in CASES])
def test_nested_merges_undone_in_any_order_restore_every_row_or_are_refused(
    records, admin, scenario, order
):
    plan = SCENARIOS[scenario]
    before, merges = [], []
    for merged, survivor in plan:
        before.append(snapshot())
        merges.append(merge_people(admin, records[survivor], records[merged]))
    assert snapshot() != before[0]
    undone: set[int] = set()
    pending = list(order)
    while pending:
        for i in list(pending):
            state = snapshot()
            # Each merge here builds on the one before it (the same survivor, or a survivor
            # merged since): only the last merge still in force can be undone exactly.
            last = max(j for j in range(len(merges)) if j not in undone)
            if i != last:
                with pytest.raises(ValidationError) as refused:
                    unmerge(admin, merges[i])
                message = " ".join(refused.value.message_dict["merge"])
                assert f"no. {merges[last].pk}" in message
                assert _differences(state, snapshot()) == []
                assert Merge.objects.get(pk=merges[i].pk).undone_at is None
                continue
            unmerge(admin, merges[i])
            undone.add(i)
            pending.remove(i)
            assert _differences(before[i], snapshot()) == [], f"after undoing merge {i}"
    assert _differences(before[0], snapshot()) == []
    assert not Person.objects.exclude(merged_into=None).exists()


def test_the_refusal_names_the_merge_to_undo_first(records, admin):
    inner = merge_people(admin, records["B"], records["C"])
    outer = merge_people(admin, records["A"], records["B"])
    with pytest.raises(ValidationError) as refused:
        unmerge(admin, inner)
    message = refused.value.message_dict["merge"][0]
    assert "“Naw Paw BB” into “Naw Paw AA”" in message and f"no. {outer.pk}" in message
    # C's records are still where the outer merge put them: nothing was moved.
    assert not Encounter.objects.filter(person=records["C"]).exists()


# -- who may merge and undo ---------------------------------------------------------------------


@pytest.fixture
def across(world, people, register):
    """A at the Mae Sot clinic (Thailand), B and C at San Pedro Sula (Honduras); an
    administrator of both countries, one of Honduras only, one of Thailand only."""
    both = create_user(username="both_admin", password=None, role="administrator",
                       places=[world["TH"], world["HN"]])  # fmt: skip
    honduras = create_user(username="hn_admin", password=None, role="administrator",
                           places=[world["HN"]])  # fmt: skip
    hn_clerk = people["hn_clinician"]
    a = register(names=[{"text": "Ana Lopez", "latin": None}])
    b = register(by=hn_clerk, registration_site="SPS-CAMR",
                 names=[{"text": "Ana Maria Lopez Reyes", "latin": None}],
                 identifiers=[{"type": "passport", "issuing_country": "HN",
                               "value": "HN7730011"}])  # fmt: skip
    c = register(by=hn_clerk, registration_site="SPS-CAMR",
                 names=[{"text": "Ana Lopes", "latin": None}])  # fmt: skip
    Encounter.objects.create(person=b, site=world["SPS"], kind="consultation", date=D(2026, 1, 5))
    return {"A": a, "B": b, "C": c, "both": both, "hn": honduras, "th": people["admin"]}


def test_an_administrator_who_sees_one_side_cannot_merge(across):
    a, b = across["A"], across["B"]
    state = snapshot()
    for admin in (across["hn"], across["th"]):
        with pytest.raises(PermissionDenied):
            merge_people(admin, a, b)
    assert _differences(state, snapshot()) == []


def test_a_merge_opens_the_whole_history_to_both_sites_and_no_right_to_undo(
    across, world, client, api
):
    a, b, c, hn = across["A"], across["B"], across["C"], across["hn"]
    assert a not in visible_people(hn)
    merge = merge_people(across["both"], a, b)
    # The person is known at both records' sites: Honduras's staff now see the survivor and
    # the history merged into it (ADR 0013, docs/guide/administrator.md).
    assert a in visible_people(hn)
    assert Encounter.objects.filter(person=a, site=world["SPS"]).exists()
    # ... but the link the merge added gives no right to undo it, or to merge further.
    run = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.9, status=LinkRun.Status.DONE)
    pair = CandidatePair.objects.create(run=run, left=a, right=c, probability=0.8, weight=2)
    client.force_login(hn)
    caller = api(hn)
    state = snapshot()
    for attempt in (lambda: unmerge(hn, merge), lambda: merge_people(hn, a, c),
                    lambda: unmerge(across["th"], merge)):  # fmt: skip
        with pytest.raises(PermissionDenied):
            attempt()
    assert merge not in visible_merges(hn) and merge in visible_merges(across["both"])
    # Nor is a pair it could not decide put in its queue.
    assert pair not in review_queue(hn) and pair in review_queue(across["both"])
    assert client.post(f"/linkage/merges/{merge.pk}/undo/").status_code == 404
    response = caller.post(f"/api/linkage/pairs/{pair.pk}/decision", {"decision": "same"})
    assert response.status_code in (403, 404)
    page = client.post(f"/linkage/pairs/{pair.pk}/", {"decision": "same", "confirm": "1"})
    assert page.status_code in (403, 404)
    assert _differences(state, snapshot(), requests=True) == []
    assert CandidatePair.objects.get(pk=pair.pk).status == CandidatePair.Status.REVIEW
    assert Merge.objects.get(pk=merge.pk).undone_at is None
    # The administrator who sees both records on their own undoes it: the link goes.
    unmerge(across["both"], merge)
    assert a not in visible_people(hn)


def test_an_undo_keeps_the_link_where_something_happened_since(across, world):
    a, b, hn = across["A"], across["B"], across["hn"]
    merge = merge_people(across["both"], a, b)
    Encounter.objects.create(person=a, site=world["SPS"], kind="consultation", date=D(2026, 3, 1))
    unmerge(across["both"], merge)
    assert a in visible_people(hn)  # seen at San Pedro Sula since the merge
    assert PersonSite.objects.get(person=a, site=world["SPS"]).reason == PersonSite.Reason.SEEN


# -- conflicts ------------------------------------------------------------------------------------


def test_two_open_enrolments_in_one_scheme_are_flagged_and_the_merge_goes_ahead(records, admin):
    a, b, c = records["A"], records["B"], records["C"]
    scheme = Scheme.objects.get(code="TH-MHI")
    Enrolment.objects.create(person=a, scheme=scheme, site=a.registration_site,
                             start_date=D(2025, 6, 1))  # fmt: skip
    merge = merge_people(admin, a, b)  # B's open enrolment in the same scheme moves to A
    assert Enrolment.objects.filter(person=a, scheme=scheme, end_date=None).count() == 2
    # ... and so does B's household, A keeping hers: A now belongs to two.
    assert sorted(x["kind"] for x in merge.conflicts) == ["enrolment", "household"]
    assert HouseholdMember.objects.filter(person=a).count() == 2
    assert Merge.objects.get(pk=merge.pk).conflicts == merge.conflicts
    messages = conflict_messages(merge)
    assert len(messages) == 2 and "Migrant health insurance" in messages[0]
    # C's open enrolment is in the scheme A was enrolled in first; C's household is A's.
    later = merge_people(admin, a, c)
    assert [x["kind"] for x in later.conflicts] == ["enrolment"]
    assert "Social security" in conflict_messages(later)[0]
    # Resolved since: no longer listed. Ending the enrolment B brought before A's began
    # resolves the first conflict; leaving the household B brought resolves the second.
    assert (
        Enrolment.objects.filter(person=a, scheme=scheme, start_date__lt=D(2025, 6, 1)).update(
            end_date=D(2025, 5, 31)
        )
        == 1
    )
    assert [m for m in conflict_messages(merge) if "households" in m] == conflict_messages(merge)
    HouseholdMember.objects.filter(person=a, household__label="B").delete()
    assert conflict_messages(merge) == []
    unmerge(admin, later)
    assert conflict_messages(later) == []  # undone: the records stand apart again


def test_periods_that_do_not_overlap_are_no_conflict(records, admin):
    a, b = records["A"], records["B"]
    scheme = Scheme.objects.get(code="TH-MHI")
    Enrolment.objects.filter(person=b).update(scheme=scheme, end_date=D(2025, 3, 1))
    Enrolment.objects.create(person=a, scheme=scheme, site=a.registration_site,
                             start_date=D(2025, 4, 1))  # fmt: skip
    HouseholdMember.objects.filter(person=b).delete()
    merge = merge_people(admin, a, b)
    assert merge.conflicts == [] and conflict_messages(merge) == []


# -- search ---------------------------------------------------------------------------------------


def test_search_finds_a_merged_records_name_and_identifier_and_leads_to_the_survivor(
    across, client, api, people
):
    a, b = across["A"], across["B"]
    merge_people(across["both"], a, b)
    th = across["th"]  # sees A (at the clinic); B is known only in Honduras
    assert b.identifiers.exists()
    for query in ("Maria Reyes", "HN7730011", "Ana Lopez"):
        assert list(search_people(th, query)) == [a], query
    # The page and the API alike, each listing the survivor once, logged as read.
    client.force_login(th)
    page = client.get("/people/", {"q": "Maria Reyes"})
    assert page.status_code == 200 and str(a.uuid) in page.content.decode()
    assert str(b.uuid) not in page.content.decode()
    listed = api(th).get("/api/persons", q="HN7730011").json()
    assert [row["id"] for row in listed["results"]] == [str(a.uuid)] and listed["count"] == 1
    assert AccessLog.objects.filter(user=th, person=a).count() >= 2
    assert not AccessLog.objects.filter(user=th, person=b).exists()
    # A user who may not see the survivor finds nothing.
    for outsider in (people["viewer"], people["unscoped"]):
        assert list(search_people(outsider, "HN7730011")) == []
        assert list(search_people(outsider, "Maria Reyes")) == []


@pytest.mark.parametrize("broad", [False, True], ids=["few matches", "many matches"])
def test_search_follows_merges_however_deep(records, admin, monkeypatch, broad):
    from mhis.registry import search

    if broad:  # every query takes the path of a query matching more than SEARCH_CANDIDATES
        monkeypatch.setattr(search, "SEARCH_CANDIDATES", 0)
    a, b, c = records["A"], records["B"], records["C"]
    merge_people(admin, b, c)
    merge_people(admin, a, b)
    value = Identifier.objects.filter(person=c).first()
    assert value is not None
    assert list(search_people(admin, "Naw Paw CC")) == [a]
    assert list(search_people(admin, value.value)) == [a]
    found = list(search_people(admin, "Naw Paw"))
    assert sorted(p.pk for p in found) == sorted([a.pk, records["D"].pk])


def test_a_summary_received_on_both_records_stays_with_each(records, admin):
    from mhis.portable.models import ReceivedItem, ReceivedSummary

    a, b = records["A"], records["B"]
    for person in (a, b):
        summary = ReceivedSummary.objects.create(person=person, source="Myawaddy", digest="d1",
                                                 document="{}")  # fmt: skip
        ReceivedItem.objects.create(summary=summary, person=person, section="11450-4",
                                    resource_type="Condition", text="x", resource={})  # fmt: skip
    other = ReceivedSummary.objects.create(person=b, source="Myawaddy", digest="d2", document="{}")
    before = snapshot()
    merge = merge_people(admin, a, b)  # the same document on both: no second copy on A
    assert sorted(ReceivedSummary.objects.filter(person=a).values_list("digest", flat=True)) == [
        "d1", "d2"]  # fmt: skip
    assert ReceivedSummary.objects.get(person=b).digest == "d1"
    assert ReceivedItem.objects.filter(person=b, summary__person=b).count() == 1
    assert ReceivedSummary.objects.get(pk=other.pk).person == a
    unmerge(admin, merge)
    assert _differences(before, snapshot()) == []
