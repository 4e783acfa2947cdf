"""The evaluation population for record linkage: every naming culture, heavy-tailed names,
namesakes as hard negatives, the same population for the same seed."""

from collections import Counter, defaultdict

from mhis.demo.population import CULTURES, DEFAULT, HELD_OUT, registrations
from mhis.linkage import features
from mhis.names import detect_script


def _set(seed=5, people=1500, variant=DEFAULT):
    return list(registrations(people, seed=seed, variant=variant))


def test_the_same_seed_gives_the_same_population_and_another_seed_another():
    assert _set(seed=5, people=300) == _set(seed=5, people=300)
    assert _set(seed=5, people=300) != _set(seed=6, people=300)
    assert _set(seed=5, people=300) != _set(seed=5, people=300, variant=HELD_OUT)


def test_every_naming_culture_is_registered_one_to_five_times_in_several_countries():
    records = _set()
    assert {r["culture"] for r in records} == set(CULTURES)
    times = Counter(Counter(r["true_person"] for r in records).values())
    assert set(times) == {1, 2, 3, 4, 5}
    countries = defaultdict(set)
    for r in records:
        countries[r["true_person"]].add(r["destination"])
    assert any(len(c) > 1 for c in countries.values())


def test_records_read_as_linkage_records_with_scripts_dates_and_documents_as_registries_have():
    records = _set()
    rows = [features(r) for r in records]
    assert all(row["name_main"] for row in rows)
    scripts = {detect_script(r["names"][0]) for r in records}
    assert {"Latn", "Mymr"} <= scripts and len(scripts) >= 4
    precisions = Counter(r["birth_precision"] for r in records)
    assert {"exact", "month", "year", "estimated"} <= set(precisions)
    placeholders = [r for r in records if r["birth_precision"] == "exact"
                    and (r["birth_date"].month, r["birth_date"].day) == (1, 1)]  # fmt: skip
    assert placeholders
    issuers = Counter(bool(i[1]) for r in records for i in r["identifiers"] if i[0] == "passport")
    assert issuers[True] and issuers[False]
    honorifics = [r for r in records if r["names"][-1].split()[0].lower() in ("u", "daw", "ma",
                  "ko", "mg", "maung", "naw", "saw")]  # fmt: skip
    assert honorifics
    sinhala_initials = [r for r in records if r["culture"] == "sinhala" and "." in r["names"][0]]
    assert sinhala_initials


def test_names_are_heavy_tailed():
    """A few very common name words, a long tail of rare ones."""
    records = _set()
    words = Counter(w for r in records for w in features(r)["name_tokens"])
    counts = sorted(words.values(), reverse=True)
    top = sum(counts[: len(counts) // 20])  # the commonest 5% of words
    assert top / sum(counts) > 0.25
    assert sum(1 for c in counts if c <= 2) > len(counts) / 4


def test_namesakes_are_different_people_with_one_name_sex_and_birth_year():
    records = _set()
    holders = defaultdict(set)
    for r in records:
        row = features(r)
        key = (row["name_main"], r["sex"], r["birth_date"].year)
        holders[key].add(r["true_person"])
    assert sum(1 for people in holders.values() if len(people) > 1) >= 10
