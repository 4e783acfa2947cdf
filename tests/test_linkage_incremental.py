"""Scoring a new record without retraining: the Python levels give Splink's weights, the
registry's candidates are found in the database, and `score_new` finds new people's pairs."""

import datetime as dt
import random
from collections import Counter

import pytest

from mhis.linkage import features, incremental, link
from mhis.linkage.candidates import candidates_of
from mhis.linkage.incremental import LEVELS, Scorer, default_model, score_new
from mhis.linkage.models import LinkRun
from mhis.linkage.records import registry_records
from mhis.linkage.services import run_linkage
from mhis.registry.models import Person

from .test_linkage import _known_set


def _with_journeys(records, seed):
    """The known set with a first migration on most records, a second registration keeping
    its original's now and then, so that every comparison is tried."""
    rng = random.Random(seed)
    journeys = []
    for record in records:
        if journeys and rng.random() < 0.2:
            record.update(rng.choice(journeys))
        elif rng.random() < 0.8:
            journey = {
                "destination": rng.choice(["TH", "MY", "US"]),
                "sector": rng.choice(["agriculture", "construction", None]),
                "arrival": dt.date(rng.randint(2005, 2025), rng.randint(1, 12), 1),
            }
            record.update(journey)
            journeys.append(journey)
    return records


def _splink_and_python(seed, people=500, duplicates=150):
    records, _ = _known_set(seed=seed, people=people, duplicates=duplicates)
    records = _with_journeys(records, seed)
    # Every pair blocking gives (not only likely ones), so that every level is met.
    result = link(records, threshold=1e-12)
    rows = {str(r["unique_id"]): features(r) for r in records}
    names = Counter(row["name_main"] for row in rows.values() if row["name_main"])
    total = sum(names.values())

    def tf(column, value):  # as Splink computes it: over the records of the run
        return names[value] / total if column == "name_main" and value in names else None

    # The uncommon words of names, as a run counts them (model.block_keys).
    from mhis.linkage.model import RARE_MIN, RARE_SHARE

    words = Counter(w for row in rows.values() for w in set(row["name_tokens"]))
    most = max(RARE_MIN, int(RARE_SHARE * len(rows)))
    tf.rare = lambda word: words[word] <= most
    return result, rows, tf


def test_python_levels_give_splinks_match_weight_on_every_pair():
    result, rows, tf = _splink_and_python(seed=11)
    scorer = Scorer(result.model)
    assert scorer.unknown == [] and len(scorer.comparisons) == len(result.model["comparisons"])
    met = Counter()
    assert len(result.pairs) > 1000
    for pair in result.pairs:
        weight, probability, evidence = scorer.score(rows[pair.left], rows[pair.right], tf, tf.rare)
        assert weight == pytest.approx(pair.weight, abs=1e-6), (pair, evidence)
        assert probability == pytest.approx(pair.probability, abs=1e-9)
        assert evidence.keys() == pair.evidence.keys()
        for name, bits in evidence.items():
            assert bits == pytest.approx(pair.evidence[name], abs=1e-6), (name, pair)
        for comparison in scorer.comparisons:
            for level in comparison.levels:
                if evidence[comparison.name] and level.test(
                    rows[pair.left], rows[pair.right], scorer.edits._replace(rare=tf.rare)
                ):
                    met[comparison.name, level.label] += 1
                    break
    # The pairs met most levels of the name and date comparisons, so the mirror was tried.
    assert sum(1 for c, _ in met if c == "name") >= 6, met
    assert sum(1 for c, _ in met if c == "birth") >= 5, met
    assert {c for c, _ in met} >= {"identifiers", "sex", "arrival", "destination"}, met


def test_without_term_frequencies_only_the_same_name_level_differs():
    result, rows, tf = _splink_and_python(seed=12, people=300, duplicates=80)
    scorer = Scorer(result.model)
    differ = 0
    for pair in result.pairs:
        left, right = rows[pair.left], rows[pair.right]
        plain = scorer.evidence(left, right)
        adjusted = scorer.evidence(left, right, tf)
        same_name = left["name_main"] == right["name_main"]
        assert (plain["name"] != adjusted["name"]) == same_name or plain == adjusted
        differ += same_name
        assert {k: v for k, v in plain.items() if k != "name"} == {
            k: v for k, v in adjusted.items() if k != "name"
        }
    assert differ


def test_every_level_of_the_model_has_a_python_level():
    scorer = Scorer(default_model(), default_u=True)
    assert scorer.unknown == []
    for name in LEVELS:
        assert any(c.name == name for c in scorer.comparisons), name


def test_a_level_without_a_python_mirror_leaves_its_comparison_out_without_failing():
    model = default_model()
    model["comparisons"][0]["comparison_levels"].insert(
        2, {"sql_condition": "x_l = x_r", "label_for_charts": "a new level", "m_probability": 0.1}
    )
    scorer = Scorer(model, default_u=True)
    assert scorer.unknown == ["name: a new level"]
    assert "name" not in {c.name for c in scorer.comparisons}


def test_the_default_model_tells_an_obvious_duplicate_from_a_stranger():
    scorer = Scorer(default_model(), default_u=True)
    base = {"sex": "female", "birth_date": dt.date(1991, 3, 2), "birth_precision": "exact",
            "nationality": "MM"}  # fmt: skip
    one = features(dict(base, unique_id="a", names=["မသီတာ"]))
    again = features(dict(base, unique_id="b", names=["MA THI DA"], birth_precision="year"))
    other = features(
        dict(base, unique_id="c", names=["Aye Aye Khaing"], birth_date=dt.date(1985, 9, 9))
    )
    assert scorer.score(one, again)[1] > 0.9
    assert scorer.score(one, other)[1] < 0.1


# -- against the registry --------------------------------------------------------------------


def _registered(register, n, again=30, seed=3):
    """`n` people registered through the registry's service (so with their name keys, and
    a passport each), then `again` of them registered a second time under another spelling,
    half with the same passport (a run learns from those). Returns the second
    registrations."""
    from mhis.demo import people as gen

    rng = random.Random(seed)
    made = []
    for i in range(n):
        culture = rng.choice(["burmese", "khmer", "vietnamese", "sinhala"])
        sex = rng.choice(("female", "male"))
        name = gen.make_name(rng, culture, sex)
        born = dt.date(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28))
        passport = [{"type": "passport", "issuing_country": "MM", "value": f"MA{700000 + i}"}]
        register(
            names=[{"text": name.text, "latin": name.latin}], sex=sex,
            birth_date=born.isoformat(), identifiers=passport, episodes=[],
        )  # fmt: skip
        made.append((culture, name, sex, born, passport))
    second = []
    for culture, name, sex, born, passport in made[:again]:
        variant = gen.variant_of(rng, culture, name)
        second.append(
            register(
                names=[{"text": variant.text, "latin": variant.latin}],
                sex=sex,
                birth_date=born.isoformat(),
                episodes=[],
                identifiers=passport if rng.random() < 0.5 else [],
            )
        )
    return second


@pytest.mark.django_db
def test_candidates_come_from_identifiers_and_name_keys_in_scope(register, people, world):
    from mhis.registry.search import known_in_places

    same = register(names=[{"text": "Thida Aye"}], sex="female", birth_date="1990-04-02")
    far = register(names=[{"text": "Thida Aye"}], sex="female", birth_date="1970-04-02")
    other = register(names=[{"text": "Sok Dara"}], sex="male", birth_date="1990-04-02")
    record = next(registry_records(person_ids=[same.pk]))
    row = features(dict(record, unique_id="new"))
    found = candidates_of(row)
    # The joined name finds both namesakes whatever their year; a stranger is not found.
    assert same.pk in found and far.pk in found and other.pk not in found
    nobody = people["hn_clinician"]
    assert candidates_of(row, scope=lambda field: known_in_places(nobody, field)) == []


@pytest.mark.django_db
def test_score_new_finds_a_new_registration_of_someone_known_without_a_run(register):
    first = register(names=[{"text": "မောင်အောင်ကျော်"}], sex="male", birth_date="1988-07-12",
                     identifiers=[], episodes=[])  # fmt: skip
    register(names=[{"text": "Nguyen Van An"}], sex="male", birth_date="1988-07-12",
             identifiers=[], episodes=[])  # fmt: skip
    again = register(names=[{"text": "MAUNG AUNG KYAW"}], sex="male", birth_date="1988",
                     identifiers=[], episodes=[])  # fmt: skip
    pairs = score_new([again.pk], threshold=0.5)
    assert [{p.left, p.right} for p in pairs] == [{str(first.uuid), str(again.uuid)}]
    assert pairs[0].left < pairs[0].right and pairs[0].evidence["name"] > 0


@pytest.mark.django_db
def test_score_new_uses_the_latest_runs_model_and_agrees_with_it(register, world):
    again = _registered(register, 120)
    run = run_linkage(threshold=0.5)
    assert incremental.trained().run_id == run.pk
    stored = {
        frozenset((p.left.uuid, p.right.uuid)): p
        for p in run.candidate_pairs.select_related("left", "right")
    }
    new = score_new([p.pk for p in again], threshold=0.5)
    assert new
    uuid_of = {str(p.uuid): p.uuid for p in Person.objects.all()}
    agreed = 0
    for pair in new:
        key = frozenset((uuid_of[pair.left], uuid_of[pair.right]))
        if key in stored:
            # Same levels; the name's share is estimated from the name keys, so a same-name
            # pair may weigh a little less than in the run, never more.
            stored_pair = stored[key]
            for name, bits in pair.evidence.items():
                if name != "name":
                    assert bits == pytest.approx(stored_pair.evidence[name], abs=1e-6)
            assert pair.evidence["name"] <= stored_pair.evidence["name"] + 1e-6
            agreed += 1
    assert agreed >= 0.8 * len(new)
    assert LinkRun.objects.count() == 1  # nothing was retrained


@pytest.mark.django_db
def test_a_name_is_found_in_another_order_and_common_words_alone_are_passed_over(
    register, monkeypatch
):
    from mhis.linkage import candidates

    kept = register(names=[{"text": "Sok Dara"}], sex="male", birth_date="1984-06-09")
    for given in ("Vanna", "Pisey", "Rith", "Sophal"):  # sharing one word, born that year
        register(names=[{"text": f"Sok {given}"}], sex="male", birth_date="1984-02-02")
        register(names=[{"text": f"Chan {given} Dara"}], sex="male", birth_date="1984-02-02")
    row = features({"unique_id": "new", "names": ["DARA SOK"], "sex": "male",
                    "birth_date": dt.date(1984, 6, 9), "birth_precision": "exact"})  # fmt: skip
    assert kept.pk in candidates_of(row)
    # "sok" and "dara" are now too common to look up alone: the words joined in the
    # other order find the one person.
    monkeypatch.setattr(candidates, "COMMON_KEY", 3)
    assert candidates_of(row) == [kept.pk]


@pytest.mark.django_db
def test_an_unreadable_stored_model_gives_way_to_the_default():
    from django.utils import timezone

    run = LinkRun.objects.create(
        status=LinkRun.Status.DONE, threshold=0.5, cluster_threshold=0.95,
        finished_at=timezone.now(), model={"comparisons": [{"no levels": True}]},
    )  # fmt: skip
    model = incremental.trained()
    assert model.run_id == run.pk and model.scorer.comparisons
    row = features({"unique_id": "a", "names": ["Thida"], "sex": "female"})
    assert model.scorer.score(row, dict(row, unique_id="b"))[1] > 0
