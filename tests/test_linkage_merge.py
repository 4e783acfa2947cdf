"""Merge and un-merge: clinical records follow the survivor, nothing is lost, and un-merge
restores every affected row exactly."""

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from mhis.indicators import services as indicators
from mhis.indicators.models import CachedResult
from mhis.kinds import staying
from mhis.linkage.merges import merge_people, unmerge
from mhis.linkage.services import decide, review_queue, visible_pairs
from mhis.registry.models import Person, PersonSite

from .indicator_world import build


def _links_to_people() -> list[tuple[str, str]]:
    """Every link to a person in the schema, read from the models themselves."""
    return [
        (model._meta.label, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if f.many_to_one and f.concrete and f.related_model is Person
    ]


# What a merge must move: every link to a person but those declared to stay (each with its
# reason, tests/test_record_kinds.py).
FOLLOW = tuple(
    sorted({label for label, field in _links_to_people() if (label, field) not in staying()})
)
FIELD = dict(_links_to_people())
WATCHED = (*FOLLOW, "registry.PersonSite", "registry.PersonName", "registry.Identifier",
           "registry.Person")  # fmt: skip


def _snapshot() -> dict:
    """Every row of every model a merge may touch, as plain values."""
    return {label: sorted(map(repr, apps.get_model(label).objects.values_list()))
            for label in WATCHED}  # fmt: skip


def _counts(person) -> dict:
    return {
        label: apps.get_model(label).objects.filter(**{FIELD[label]: person}).count()
        for label in FOLLOW
    }


@pytest.fixture
def pair(world, people):
    known = build(world)
    survivor, merged = known["women"][0], known["women"][1]
    assert sum(_counts(merged).values()) > 3, "the merged record has care to move"
    reason = PersonSite.Reason.REGISTERED
    PersonSite.objects.create(person=survivor, site=world["CLINIC"], reason=reason)
    PersonSite.objects.create(person=merged, site=world["BRIDGE"], reason=reason)
    return survivor, merged


def test_merge_moves_every_clinical_record_and_loses_none(pair, people, world):
    survivor, merged = pair
    before = {label: apps.get_model(label).objects.count() for label in WATCHED}
    theirs, mine = _counts(merged), _counts(survivor)
    merge = merge_people(people["admin"], survivor, merged)
    assert {label: apps.get_model(label).objects.count() for label in WATCHED if label !=
            "registry.PersonSite"} == {k: v for k, v in before.items() if k != "registry.PersonSite"}  # fmt: skip
    assert sum(_counts(merged).values()) == 0
    assert _counts(survivor) == {k: theirs[k] + mine[k] for k in FOLLOW}
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk
    assert merged.display_name == "W2"  # the source record is kept, only marked
    assert set(PersonSite.objects.filter(person=survivor).values_list("site", flat=True)) == {
        world["CLINIC"].pk,
        world["BRIDGE"].pk,
    }
    assert merge.merged_by == people["admin"] and sum(map(len, merge.moved.values())) == sum(
        theirs.values()
    )


def test_unmerge_restores_every_affected_row_exactly(pair, people):
    survivor, merged = pair
    before = _snapshot()
    merge = merge_people(people["admin"], survivor, merged)
    assert _snapshot() != before
    unmerge(people["admin"], merge)
    assert _snapshot() == before
    merge.refresh_from_db()
    assert merge.undone_by == people["admin"] and merge.undone_at is not None


def test_merge_forgets_cached_indicator_periods(
    pair, people, world, django_capture_on_commit_callbacks
):
    survivor, merged = pair
    indicators.table(indicators.get("PEOPLE_SEEN"), ["2026-01", "2026-02", "2026-03"],
                     world["TH"].path)  # fmt: skip
    assert CachedResult.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        merge_people(people["admin"], survivor, merged)
    assert CachedResult.objects.filter(indicator="PEOPLE_SEEN").count() < 3


def test_only_an_administrator_merges_and_mistakes_are_named(pair, people, world):
    survivor, merged = pair
    third = Person.objects.exclude(pk__in=[survivor.pk, merged.pk]).first()
    PersonSite.objects.create(
        person=third, site=world["CLINIC"], reason=PersonSite.Reason.REGISTERED
    )
    with pytest.raises(PermissionDenied):
        merge_people(people["clinician"], survivor, merged)
    with pytest.raises(ValidationError) as caught:
        merge_people(people["admin"], survivor, survivor)
    assert "merged" in caught.value.message_dict
    merge = merge_people(people["admin"], survivor, merged)
    with pytest.raises(ValidationError) as caught:
        merge_people(people["admin"], third, merged)
    assert "merged" in caught.value.message_dict
    unmerge(people["admin"], merge)
    with pytest.raises(ValidationError) as caught:
        unmerge(people["admin"], merge)
    assert "merge" in caught.value.message_dict


def test_an_administrator_merges_only_records_in_their_places(pair, people, world, client):
    from mhis.access.services import create_user
    from mhis.linkage.models import CandidatePair, LinkRun

    survivor, merged = pair
    honduras = create_user(username="hn_admin", password=None, role="administrator",
                           places=[world["HN"]])  # fmt: skip
    run = LinkRun.objects.create(threshold=0.5, cluster_threshold=0.9, status=LinkRun.Status.DONE)
    candidate = CandidatePair.objects.create(
        run=run, left=survivor, right=merged, probability=0.8, weight=2
    )
    assert list(visible_pairs(people["admin"])) == [candidate]
    assert list(review_queue(honduras)) == []
    for attempt in (lambda: merge_people(honduras, survivor, merged),
                    lambda: decide(honduras, candidate, "same")):  # fmt: skip
        with pytest.raises(PermissionDenied):
            attempt()
    client.force_login(honduras)
    assert client.get(f"/linkage/pairs/{candidate.pk}/").status_code == 404
    merge = merge_people(people["admin"], survivor, merged)
    with pytest.raises(PermissionDenied):
        unmerge(honduras, merge)
    assert client.post(f"/linkage/merges/{merge.pk}/undo/").status_code == 404
    # One side outside the places is enough to keep the pair from the administrator.
    PersonSite.objects.filter(person=merged).delete()
    assert list(visible_pairs(people["admin"])) == []


def test_a_merged_record_leads_to_the_survivor_and_counts_once(pair, people, world, client):
    from django.utils import timezone

    from mhis.indicators.periods import keys_of
    from mhis.registry.search import search_people

    survivor, merged = pair
    merged.refresh_from_db()  # its registration date was set in the database
    for person in (survivor, merged):  # known at the clinic, so in the admin's scope
        PersonSite.objects.get_or_create(person=person, site=world["CLINIC"],
                                         defaults={"reason": PersonSite.Reason.REGISTERED})  # fmt: skip
    month = keys_of(timezone.localdate(merged.created_at))[1]
    indicator = indicators.get("PEOPLE_REGISTERED")

    def registered():
        table = indicators.table(indicator, [month], "/", use_cache=False)
        return sum(c.numerator for c in table.cells.values())

    before = registered()
    merge_people(people["admin"], survivor, merged)
    assert registered() == before - 1
    assert merged not in search_people(people["admin"], "")
    client.force_login(people["admin"])
    page = client.get(f"/people/{merged.uuid}/")
    assert page.status_code == 302 and page.url == f"/people/{survivor.uuid}/"


def test_a_merged_record_takes_no_more_changes(pair, people, world, client, api):
    from mhis.care.models import Encounter

    from .test_care_api import encounter_payload

    survivor, merged = pair
    PersonSite.objects.get_or_create(person=merged, site=world["CLINIC"],
                                     defaults={"reason": PersonSite.Reason.REGISTERED})  # fmt: skip
    merge_people(people["admin"], survivor, merged)
    caller = api(people["admin"])
    read = caller.get(f"/api/persons/{merged.uuid}")
    assert read.status_code == 200 and read.json()["merged_into"] == str(survivor.uuid)
    assert caller.get(f"/api/persons/{survivor.uuid}").json()["merged_into"] is None
    encounters = Encounter.objects.count()
    for response in (
        caller.patch(f"/api/persons/{merged.uuid}", {"contact": "+66 81 000 0000"}),
        caller.post(f"/api/persons/{merged.uuid}/encounters", encounter_payload()),
    ):
        assert response.status_code == 409
        assert str(survivor.uuid) in response.json()["detail"]
    client.force_login(people["admin"])
    page = client.post(f"/care/people/{merged.uuid}/encounter/new/", {"kind": "consultation"})
    assert page.status_code == 302 and page.url == f"/people/{survivor.uuid}/"
    assert Encounter.objects.count() == encounters
    merged.refresh_from_db()
    assert merged.contact != "+66 81 000 0000"
