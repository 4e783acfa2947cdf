"""Person search: best matches first, a word typed twice needed twice, one letter forgiven."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mhis.access.models import AccessLog
from mhis.names import EXACT, NEAR, PREFIX, WHOLE_WORDS, match_rank, one_letter_off
from mhis.registry.search import search_people

pytestmark = pytest.mark.django_db


def names_of(people):
    return [p.display_latin or p.display_name for p in people]


@pytest.mark.parametrize(
    ("query", "name", "rank"),
    [
        ("Maung Maung", "မောင်မောင်", EXACT),
        ("Naw Wa Wa Moe", "နော်ဝါဝါမိုး", EXACT),
        ("ဝါဝါမိုး", "နော်ဝါဝါမိုး", EXACT),
        ("Thida", "Ma Thi Da", EXACT),
        ("Maung Maung", "Maung Maung Aye", WHOLE_WORDS),
        ("Kyaw", "Aung Kyaw Zaw", WHOLE_WORDS),
        ("Kyaw U", "U Kyaw Win", WHOLE_WORDS),
        ("Ky", "Aung Kyaw Zaw", PREFIX),
        ("Lwin Thien", "Lwin Thein", NEAR),
        ("Maung Maung", "Maung Aung Kyaw", None),
        ("Kyaw Win", "Kyaw Zin", None),
    ],
)
def test_match_rank(query, name, rank):
    assert match_rank(query, [(name, "")]) == rank


def test_one_letter_off_covers_each_kind_of_slip():
    near = one_letter_off("thein")
    assert {"thien", "then", "theins", "thain"} <= near and "thein" not in near
    assert one_letter_off("ဝါ") == set()


def test_exact_and_whole_word_matches_come_first(people, register):
    register(names=[{"text": "Maung Maung Aye"}])
    register(names=[{"text": "Maung Maung"}])
    register(names=[{"text": "Aung Maung Maung Htun"}])
    for other in ("Maung Aung Kyaw", "Maung Win", "Kyaw Maung", "Maung Htet Aung"):
        register(names=[{"text": other}])
    found = names_of(search_people(people["clinician"], "Maung Maung"))
    assert found[0] == "Maung Maung"
    assert sorted(found[1:]) == ["Aung Maung Maung Htun", "Maung Maung Aye"]


def test_a_common_title_alone_does_not_answer_with_everyone(people, register):
    register(names=[{"text": "U Maung Maung"}])
    for other in ("Maung Kyaw", "Maung Win", "Maung Aye", "Maung Htet"):
        register(names=[{"text": other}])
    assert names_of(search_people(people["clinician"], "Maung Maung")) == ["U Maung Maung"]


def test_one_letter_wrong_is_forgiven_and_ranked_after(people, register):
    register(names=[{"text": "Lwin Nay"}])
    register(names=[{"text": "Lwin Thein"}])
    register(names=[{"text": "Lwin Thien Aung"}])
    assert names_of(search_people(people["clinician"], "Lwin Nae")) == ["Lwin Nay"]
    assert names_of(search_people(people["clinician"], "Lwin Thien")) == [
        "Lwin Thien Aung",
        "Lwin Thein",
    ]
    # Known names a letter apart are other names: Win is not Min.
    register(names=[{"text": "Kyaw Min"}])
    assert names_of(search_people(people["clinician"], "Kyaw Win")) == []


def test_burmese_name_is_found_without_its_title_and_by_its_passport_spelling(people, register):
    person = register(names=[{"text": "နော်ဝါဝါမိုး"}])
    register(names=[{"text": "ဝါဝါဝင်း"}])
    assert person.display_latin == "Naw Wa Wa Moe"
    for typed in ("ဝါဝါမိုး", "Naw Wa Wa Moe", "wa wa moe"):
        assert list(search_people(people["clinician"], typed)) == [person], typed


def test_ranking_keeps_place_scope(people, register):
    register(names=[{"text": "Maung Maung"}])
    assert list(search_people(people["hn_clinician"], "Maung Maung")) == []


def test_ranking_reads_names_once_whatever_the_number_found(client, people, register):
    for i in range(3):
        register(names=[{"text": f"Maung Maung {['Aye', 'Win', 'Htet'][i]}"}])
    client.force_login(people["clinician"])
    with CaptureQueriesContext(connection) as few:
        client.get("/people/", {"q": "Maung Maung"})
    for i in range(6):
        register(
            names=[{"text": f"Maung Maung Zaw {['Aye', 'Win', 'Htet', 'Kyaw', 'Tin', 'Soe'][i]}"}]
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get("/people/", {"q": "Maung Maung"})
    assert page.content.decode().count("Maung Maung") >= 9
    assert len(many.captured_queries) == len(few.captured_queries)
    assert AccessLog.objects.filter(view="page:search").count() == 3 + 9


def test_the_migration_rebuilds_the_keys_of_names_in_myanmar_script(people, register):
    from importlib import import_module

    from django.apps import apps

    from mhis.registry.models import NameKey

    person = register(names=[{"text": "နော်ဝါဝါမိုး", "latin": "Nay Avava Moe"}])
    NameKey.objects.filter(person=person).exclude(key__startswith="nay").delete()
    assert list(search_people(people["clinician"], "ဝါဝါမိုး")) == []
    migration = import_module(
        "mhis.registry.migrations.0009_rebuild_keys_of_burmese_names_by_syllable"
    )
    migration.rebuild(apps, None)
    for typed in ("ဝါဝါမိုး", "Naw Wa Wa Moe", "Nay Avava Moe"):
        assert list(search_people(people["clinician"], typed)) == [person], typed


def test_beyond_the_ranking_limit_the_words_typed_together_come_first(
    people, register, monkeypatch
):
    monkeypatch.setattr("mhis.registry.search.RANK_AT_MOST", 1)
    whole = register(names=[{"text": "Kyaw Zaw"}])
    register(names=[{"text": "Kyaw Zaw Htet"}])  # newer, but "kyawzaw" only starts its key
    found = list(search_people(people["clinician"], "Kyaw Zaw"))
    assert found[0] == whole and len(found) == 2


def test_a_word_typed_twice_needs_it_twice_in_the_database_too(people, register):
    from mhis.names import query_plan

    assert query_plan("Maung Maung").repeated == ("maungmaung",)
    assert query_plan("Mg Maung").repeated == ("maungmaung",)
    assert query_plan("Maung Aung").repeated == ()
    register(names=[{"text": "Mg Mg Htet"}])
    register(names=[{"text": "Maung Htet"}])
    assert names_of(search_people(people["clinician"], "Maung Maung")) == ["Mg Mg Htet"]
