"""Broad person searches (more people matching anywhere than search ranks one by one, or than
it reads at all) are planned from the people known at the user's sites: the same people, the
same count and the documented order as before, nobody outside the user's places listed or
counted, and a merged record's names leading to its survivor."""

import pytest

from mhis.registry.models import NameKey, Person, PersonSite
from mhis.registry.search import search_page, search_people

pytestmark = pytest.mark.django_db

# Each limit, set low, sends a search down one of the broad paths: beyond RANK_AT_MOST the
# matching ids are read and ordered by the database; beyond SEARCH_CANDIDATES they are not
# even read, and the database matches them itself.
BROAD = ["RANK_AT_MOST", "SEARCH_CANDIDATES"]


@pytest.fixture
def thidas(people, register, world):
    """People called Thida in and out of the Mae Sot clinician's places, merged or not."""
    hn = {"by": people["hn_clinician"], "registration_site": "SPS-CAMR"}
    made = {
        "whole_old": register(names=[{"text": "Thida Aye"}]),
        "prefix": register(names=[{"text": "Thidar Win"}]),
        "joined": register(names=[{"text": "Thidaaye Soe"}]),
        "two_sites": register(names=[{"text": "Thida Lwin"}]),
        "whole_new": register(names=[{"text": "Thida Moe"}]),
        # Merged records: one in Mae Sot (its survivor too), one known only in Honduras
        # (merged, through another, into someone in Mae Sot) whose names are not Thida.
        "merged_here": register(names=[{"text": "Thida Oo"}]),
        "survivor_here": register(names=[{"text": "Moe Moe"}]),
        "merged_away": register(names=[{"text": "Thida Kyi"}], **hn),
        "between": register(names=[{"text": "Maria Reyes"}], **hn),
        "survivor_away": register(names=[{"text": "Khin Lay"}]),
        # Not the clinician's: known only in Honduras, or only in Ranong.
        "honduras": register(names=[{"text": "Thida Aye"}], **hn),
        "ranong": register(
            names=[{"text": "Thida Htet"}], by=people["chw"], registration_site="RNG-PORT"
        ),
        "elsewhere": register(names=[{"text": "Aung Kyaw"}]),
    }
    # Seen at both Mae Sot sites: listed and counted once.
    PersonSite.objects.create(person=made["two_sites"], site=world["BRIDGE"], reason="seen")
    for merged, survivor in [("merged_here", "survivor_here"), ("merged_away", "between"),
                             ("between", "survivor_away")]:  # fmt: skip
        Person.objects.filter(pk=made[merged].pk).update(merged_into=made[survivor])
    return made


def documented_order(people, joined):
    """Beyond the ranking limit: a key equal to the words typed together first, then newest."""
    whole = set(NameKey.objects.filter(key=joined).values_list("person_id", flat=True))
    rows = Person.objects.filter(pk__in=[p.pk for p in people])
    return sorted(rows, key=lambda p: (p.pk not in whole, -p.created_at.timestamp(), -p.pk))


def whole_list(user, query, size=3):
    """Every page of `search_page`, in order, and the count each page gave."""
    listed, counts, start = [], set(), 0
    while True:
        rows, count = search_page(user, query, start=start, size=size)
        counts.add(count)
        if not rows:
            return listed, counts
        listed += rows
        start += size


@pytest.mark.parametrize("limit", BROAD)
def test_a_broad_search_lists_and_counts_the_people_a_narrow_one_finds(
    people, thidas, monkeypatch, limit
):
    clinician = people["clinician"]
    narrow = list(search_people(clinician, "Thida"))
    _, narrow_count = search_page(clinician, "Thida", start=0, size=20)
    monkeypatch.setattr(f"mhis.registry.search.{limit}", 2)
    broad, counts = whole_list(clinician, "Thida")
    assert set(broad) == set(narrow) and len(broad) == len(narrow)
    assert counts == {narrow_count} and narrow_count == len(narrow)
    assert broad == documented_order(narrow, "thida")
    assert list(search_people(clinician, "Thida")) == broad
    assert search_people(clinician, "Thida").count() == narrow_count
    # A page past the end still says how many there are.
    assert search_page(clinician, "Thida", start=100, size=3) == ([], narrow_count)


@pytest.mark.parametrize("limit", BROAD)
def test_a_broad_search_keeps_to_the_users_places_and_leads_merged_records_to_survivors(
    people, thidas, monkeypatch, limit
):
    monkeypatch.setattr(f"mhis.registry.search.{limit}", 2)
    listed, counts = whole_list(people["clinician"], "Thida")
    names = {key for key, person in thidas.items() if person in listed}
    assert names == {
        "whole_old", "prefix", "joined", "two_sites", "whole_new", "survivor_here",
        "survivor_away",
    }  # fmt: skip
    assert counts == {7}
    # Whole names (a key "thida") first, newest first; then the others, newest first.
    assert listed[:3] == [thidas["whole_new"], thidas["two_sites"], thidas["whole_old"]]
    # In Honduras: the Honduran Thida Aye only. Thida Kyi's names lead (through Maria Reyes,
    # merged too) to Khin Lay, who is known in Mae Sot only.
    honduras, hn_counts = whole_list(people["hn_clinician"], "Thida")
    assert honduras == [thidas["honduras"]] and hn_counts == {1}
    # No places, or no right to see people: nobody.
    for user in (people["unscoped"], people["viewer"], people["hn_analyst"]):
        assert whole_list(user, "Thida") == ([], {0}), user.username
        assert list(search_people(user, "Thida")) == []


@pytest.mark.parametrize("limit", BROAD)
def test_a_broad_search_of_two_words_matches_both_ways_as_a_narrow_one(
    people, thidas, monkeypatch, limit
):
    """All the words, or the words written together: "Thida Aye" finds Thidaaye Soe too."""
    clinician = people["clinician"]
    narrow = set(search_people(clinician, "Thida Aye"))
    assert narrow == {thidas["whole_old"], thidas["joined"]}
    monkeypatch.setattr(f"mhis.registry.search.{limit}", 1)
    broad, counts = whole_list(clinician, "Thida Aye", size=1)
    assert set(broad) == narrow and counts == {2}
    assert broad == documented_order(broad, "thidaaye")
