"""Names counted for a batch of records at once give the same candidates and the same shares
as counted a query a name (what an import's warning of likely duplicates relies on)."""

import pytest

from mhis.linkage import candidates
from mhis.linkage.candidates import candidates_of, held_counts
from mhis.linkage.features import features
from mhis.linkage.incremental import RegistryShares
from mhis.registry.models import NameKey

pytestmark = pytest.mark.django_db

NAMES = ["Aung Kyaw Moe", "Aung Kyaw", "Kyaw Moe Aung", "Aung Aung", "Moe Moe", "Thida Aung",
         "Aung Kyaw Moe", "Naw Paw Wah"]  # fmt: skip


@pytest.fixture
def registry(register):
    return [register(names=[{"text": n}], sex="male", birth_date=f"198{i % 3}-05-0{1 + i}",
                     identifiers=[], episodes=[]) for i, n in enumerate(NAMES)]  # fmt: skip


def _rows():
    records = [{"unique_id": str(i), "names": [n], "sex": "male", "birth_date": None}
               for i, n in enumerate(["Aung Kyaw Mo", "Moe Moe", "Paw Wah", "Unheard Of"])]  # fmt: skip
    return [features(r) for r in records]


@pytest.mark.parametrize("common", [candidates.COMMON_KEY, 2])
def test_batch_counts_give_the_same_candidates(registry, monkeypatch, common):
    monkeypatch.setattr(candidates, "COMMON_KEY", common)  # "aung" too common when 2
    rows = _rows()
    held = held_counts(rows)
    for key, n in held.items():  # as candidates_of counts a key: no further than COMMON_KEY
        assert n == NameKey.objects.filter(key=key)[: common + 1].count()
    assert held["aung"] == (3 if common == 2 else NameKey.objects.filter(key="aung").count())
    for row in rows:
        assert candidates_of(row, held=held) == candidates_of(row)
    assert any(candidates_of(row) for row in rows)


def test_primed_shares_answer_as_counted_one_by_one(registry):
    words = ["aung", "kyaw", "moe", "paw", "nobody", "aungkyawmoe"]
    one_by_one, primed = RegistryShares(20), RegistryShares(20)
    primed.prime(words)
    for word in words:
        assert primed.rare(word) == one_by_one.rare(word)
        assert primed("name_main", word) == one_by_one("name_main", word)
    assert not primed.rare("aung") and primed.rare("paw")  # the test tells them apart
