"""Every event at a site makes the person known at that site.

Exact indicator counts go to the roles that see every person counted at their sites
(clinicians, CHWs); they rely on this: an event counted at a site whose person the site cannot
open would tell, exactly and by migration status, something about someone the site does not
know. Each writer of an event links the person to the event's site, on creation and when the
site changes; the upgrade adds the links earlier versions left out; an un-merge keeps the
survivor known where it was seen since the merge.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps
from django.db import models

from mhis import kinds
from mhis.care import assessments
from mhis.care import services as care
from mhis.care.models import Immunisation, LabResult
from mhis.care.records import create_record, update_record
from mhis.outreach import services as outreach
from mhis.outreach.models import Contact
from mhis.places.models import Place
from mhis.protection import services as protection
from mhis.registry.models import Person, PersonSite
from mhis.registry.search import visible_people
from mhis.registry.services import register_person

from .factories import PersonDataFactory

DAY = (dt.date.today() - dt.timedelta(days=3)).isoformat()


@pytest.fixture
def stranger(people):
    """Someone the Ranong CHW registered at the Ranong port: known there only."""
    return register_person(people["chw"], PersonDataFactory(
        registration_site="RNG-PORT",
        episodes=[{"status": "IRR", "origin_country": "MM", "start_date": "2022-01-01"}]))  # fmt: skip


def _enrolment(admin, person, site):
    scheme = protection.create_scheme(admin, {"code": "TH-MHI", "name": "Migrant health",
                                              "country": "TH", "type": "migrant"})  # fmt: skip
    return protection.enrol(admin, person, {"site": site, "scheme": scheme.code, "start_date": DAY})


def _contact(admin, person, site):
    outreach.save_worker(admin, {"code": "CHW-9", "name": "Ma Thida", "kind": "chw",
                                 "site": "MSOT-CLIN"})  # fmt: skip
    return outreach.record_contact(admin, {"site": site, "worker": "CHW-9", "date": DAY,
                                           "person": str(person.uuid), "topic": "access"})  # fmt: skip


def _encounter(admin, person, site):
    return care.record_encounter(admin, person, {"site": site, "kind": "consultation", "date": DAY})


def _referral(admin, person, site):
    return care.refer(admin, person, {"site": site, "kind": "medical", "reason": "chest pain",
                                      "to_site": "MWD-HOSP"})  # fmt: skip


def _assessment(admin, person, site):
    return assessments.assess(admin, person, {"site": site, "type": "pre_departure", "date": DAY})


def _immunisation(admin, person, site):
    return create_record(admin, Immunisation, person, {"site": site, "vaccine": "TD",
                                                       "dose_number": 1, "date": DAY})  # fmt: skip


def _lab_result(admin, person, site):
    return create_record(admin, LabResult, person, {"site": site, "test": "Haemoglobin",
                                                    "value": "10.4", "collected_on": DAY})  # fmt: skip


# Each kind of event: how the Thailand administrator records one at a site, and moves it to
# another (None: its site never changes once it is written).
EVENTS = {
    "encounter": (_encounter, lambda admin, e, site: care.update_encounter(admin, e, {"site": site})),
    "referral": (_referral, None),  # the sending and receiving sites cannot change after sending
    "assessment": (_assessment, lambda admin, e, site: assessments.update_assessment(admin, e, {"site": site})),
    "immunisation": (_immunisation, lambda admin, e, site: update_record(admin, e, {"site": site})),
    "lab_result": (_lab_result, lambda admin, e, site: update_record(admin, e, {"site": site})),
    "enrolment": (_enrolment, lambda admin, e, site: protection.update_enrolment(admin, e, {"site": site})),
    "outreach_contact": (_contact, lambda admin, e, site: outreach.record_contact(admin, {"site": site}, e)),
}  # fmt: skip

# The model of each kind walked.
WALKED = {"encounter": "care.Encounter", "referral": "care.Referral", "assessment": "care.Assessment",
          "immunisation": "care.Immunisation", "lab_result": "care.LabResult",
          "enrolment": "protection.Enrolment", "outreach_contact": "outreach.Contact"}  # fmt: skip
assert set(WALKED) == set(EVENTS)


def _known(person, code: str) -> bool:
    return PersonSite.objects.filter(person=person, site__code=code).exists()


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_every_event_at_a_site_makes_the_person_known_there(world, people, stranger, kind):
    """The Thailand administrator records an event of each kind at the Mae Sot clinic for a
    person known only at the Ranong port, then moves it to the Friendship Bridge: the person is
    known at each site the event was at, and the clinic's clinician can open them."""
    create, move = EVENTS[kind]
    admin = people["admin"]
    assert not _known(stranger, "MSOT-CLIN")
    event = create(admin, stranger, "MSOT-CLIN")
    assert _known(stranger, "MSOT-CLIN"), f"{kind} at the clinic: the person is not known there"
    assert visible_people(people["clinician"]).filter(pk=stranger.pk).exists()
    if kind == "referral":
        assert PersonSite.objects.get(person=stranger, site__code="MWD-HOSP").reason == "referred"
    if move is not None:
        assert not _known(stranger, "MSOT-BRDG")
        move(admin, event, "MSOT-BRDG")
        assert _known(stranger, "MSOT-BRDG"), f"{kind} moved to the bridge: not known there"


def test_every_kind_of_event_with_a_person_and_a_site_is_listed():
    """The record kinds' sites (`site_fields`, mhis.kinds) name every model with a person and a
    site (beside the site links themselves and a person's registration site): a new kind of
    event is declared with its sites, and so checked above, or this fails."""
    found = set()
    for model in apps.get_models():
        fields = [f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)]
        if model in (Person, PersonSite) or not any(
            f.name == "person" and f.related_model is Person for f in fields
        ):
            continue
        found |= {(model._meta.label, f.name) for f in fields if f.related_model is Place}
    declared = {(k.model_label, f) for k in kinds.at_sites() for f in k.site_fields}
    assert found == declared
    assert {label for label, _ in declared} == set(WALKED.values())


def test_a_payment_is_at_its_encounters_site(world, people, stranger):
    """A payment has no site of its own: it is for an encounter, whose site knows the person."""
    encounter = _encounter(people["admin"], stranger, "MSOT-CLIN")
    protection.record_payment(people["admin"], encounter, {"amount": "100", "currency": "THB"})
    assert _known(stranger, "MSOT-CLIN")


def test_exact_counts_at_a_site_count_only_people_the_site_can_open(world, people, stranger, api):
    """Exact counts go to clinicians and CHWs because they may see every person counted in
    their places. The Thailand administrator records a referral *sent from* the Mae Sot clinic
    for an irregular migrant the Ranong CHW registered at the Ranong port: REFERRALS_SENT for the
    clinic, exact and by migration status, counts "IRR: 1" — and the clinic's clinician can open
    that person's record (the referral made them known at the sending site), so the exact count
    tells the clinic nothing about someone it cannot see."""
    clinician = people["clinician"]
    care.refer(people["admin"], stranger, {"site": "MSOT-CLIN", "kind": "medical",
                                           "reason": "chest pain", "to_site": "RNG-PORT"})  # fmt: skip
    month = dt.date.today().strftime("%Y-%m")
    body = api(clinician).get("/api/indicators/REFERRALS_SENT", place="MSOT-CLIN", period=month,
                              by="migration_status").json()  # fmt: skip
    counted = {c["dimensions"]["migration_status"]: c["numerator"] for c in body["cells"]
               if c["numerator"]}  # fmt: skip
    assert body["exact"] and counted.get("IRR") == 1
    assert visible_people(clinician).filter(pk=stranger.pk).exists(), (
        f"the Mae Sot clinic reads, exactly, the status of someone it cannot see: {counted}"
    )


def test_the_upgrade_links_people_to_the_sites_of_their_events_once(world, people, stranger):
    """Records written before every event linked its person: the upgrade adds the missing
    links (a referral's sending site, an immunisation moved to another site, an outreach
    contact naming the person), keeps those there, and adds nothing when run again."""
    admin = people["admin"]
    referral = _referral(admin, stranger, "MSOT-CLIN")
    shot = _immunisation(admin, stranger, "MSOT-CLIN")
    contact = _contact(admin, stranger, "MSOT-CLIN")
    bridge = Place.objects.get(code="MSOT-BRDG")
    Immunisation.objects.filter(pk=shot.pk).update(site=bridge)
    Contact.objects.filter(pk=contact.pk).update(site=world["BAVET"])
    PersonSite.objects.filter(person=stranger, site=referral.site).delete()
    before = set(PersonSite.objects.filter(person=stranger).values_list("site__code", "reason"))
    assert before == {("RNG-PORT", "registered"), ("MWD-HOSP", "referred")}

    migration = import_module("mhis.care.migrations.0002_link_people_to_their_event_sites")
    migration.link(apps, None)
    after = set(PersonSite.objects.filter(person=stranger).values_list("site__code", "reason"))
    assert after == before | {("MSOT-CLIN", "seen"), ("MSOT-BRDG", "seen"), ("BAV-BRDR", "seen")}
    migration.link(apps, None)
    assert PersonSite.objects.filter(person=stranger).count() == len(after)


def test_an_unmerge_keeps_the_survivor_known_where_it_was_seen_since(world, people, register):
    """A merge gives the survivor the merged record's sites; an un-merge takes back those
    where nothing happened to the survivor since, and keeps one where the survivor was seen
    after the merge."""
    from mhis.linkage.merges import merge_people, unmerge

    admin = people["admin"]
    survivor = register()  # at the Mae Sot clinic
    merged = register_person(people["chw"], PersonDataFactory(registration_site="RNG-PORT"))
    other = register_person(people["clinician"], PersonDataFactory(registration_site="MSOT-BRDG"))
    merge = merge_people(admin, survivor, merged)
    assert _known(survivor, "RNG-PORT")
    care.record_encounter(
        admin, survivor, {"site": "RNG-PORT", "kind": "consultation", "date": DAY}
    )
    unmerge(admin, merge)
    assert PersonSite.objects.get(person=survivor, site__code="RNG-PORT").reason == "seen"

    again = merge_people(admin, survivor, other)
    assert _known(survivor, "MSOT-BRDG")
    unmerge(admin, again)
    assert not _known(survivor, "MSOT-BRDG")
