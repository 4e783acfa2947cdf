"""ICD-10 by words: the search, the encounter form's choices to pick, the suggestions page."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from mhis.care.diagnoses import resolve_diagnoses
from mhis.care.icd10 import search_icd10
from mhis.care.models import Encounter

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def person(register):
    return register(names=[{"text": "Saw Htoo"}], birth_date="1990")


def encounter_form(diagnoses, **extra):
    return {
        "encounter-site": "MSOT-CLIN",
        "encounter-kind": "consultation",
        "encounter-date": (TODAY - timedelta(days=1)).isoformat(),
        "encounter-reason": "Cough for a month",
        "encounter-diagnoses": diagnoses,
        "encounter-paid_by": "waived",
        **extra,
    }


def test_words_find_the_tuberculosis_categories():
    codes = [m.code for m in search_icd10("tuberculosis")]
    assert {"A15", "A16", "A17", "A18", "A19"} <= set(codes)
    assert all("tubercul" in m.title.lower() for m in search_icd10("tuberculosis"))


def test_every_word_must_be_in_the_title_and_beginnings_of_words_count():
    assert [m.code for m in search_icd10("tuberculous mening")] == ["A17.0"]
    assert [m.code for m in search_icd10("Tuberculous meningitis")] == ["A17.0"]
    assert search_icd10("tuberculosis xylophone") == []


def test_an_exact_title_comes_first_and_a_code_finds_itself_and_its_subcategories():
    assert search_icd10("cough")[0].code == "R05"
    found = [m.code for m in search_icd10("a15")]
    assert found[0] == "A15" and all(c.startswith("A15") for c in found)
    assert search_icd10("A150")[0].code == "A15.0"


def test_words_naming_one_code_become_it_and_a_pick_counts_only_among_the_matches():
    assert resolve_diagnoses("A15.0, tuberculous meningitis", {}) == ("A15.0, A17.0", [], [])
    text, to_pick, unknown = resolve_diagnoses("R05, tuberculosis, qwerty", {})
    assert text == "R05, tuberculosis, qwerty" and [p.index for p in to_pick] == [1]
    assert unknown == ["qwerty"]
    assert resolve_diagnoses("R05, tuberculosis", {1: "A16"}) == ("R05, A16", [], [])
    assert resolve_diagnoses("R05, tuberculosis", {1: "B54"})[1]  # not one of its matches
    # Words that are exactly one code's title name it, though others have them too.
    assert resolve_diagnoses("Cough, miliary tuberculosis", {})[0] == "R05, A19"


def test_an_ambiguous_save_is_refused_with_the_codes_to_pick_then_the_pick_is_saved(
    client, people, person
):
    client.force_login(people["clinician"])
    url = f"/care/people/{person.uuid}/encounter/new/"
    response = client.post(url, encounter_form("tuberculosis"))
    assert not Encounter.objects.exists()
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == "encounter")
    assert "several ICD-10 codes" in form.errors["diagnoses"][0]
    page = response.content.decode()
    for code in ("A15", "A16", "A17", "A18", "A19"):
        assert f'name="encounter-diagnoses_pick_0" value="{code}"' in page
    assert 'value="tuberculosis"' in page  # what was typed is kept

    response = client.post(
        url, encounter_form("tuberculosis", **{"encounter-diagnoses_pick_0": "A16"})
    )
    assert response.status_code == 302
    assert list(Encounter.objects.get().diagnoses.values_list("code", flat=True)) == ["A16"]


def test_words_that_match_nothing_are_refused_naming_them(client, people, person):
    client.force_login(people["clinician"])
    response = client.post(
        f"/care/people/{person.uuid}/encounter/new/", encounter_form("R05, qwertyuiop")
    )
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == "encounter")
    assert "qwertyuiop" in form.errors["diagnoses"][0]
    assert not Encounter.objects.exists()


def test_words_are_resolved_on_the_edit_page_too(client, people, person):
    client.force_login(people["clinician"])
    client.post(f"/care/people/{person.uuid}/encounter/new/", encounter_form("R05"))
    encounter = Encounter.objects.get()
    data = {
        k.removeprefix("encounter-"): v for k, v in encounter_form("miliary tuberculosis").items()
    }
    response = client.post(f"/care/encounter/{encounter.pk}/edit/", data)
    assert response.status_code == 302
    assert list(encounter.diagnoses.values_list("code", flat=True)) == ["A19"]


def test_suggestions_need_a_login_take_the_last_item_and_are_limited(client, people, monkeypatch):
    assert client.get("/care/icd10/", {"q": "tuberculosis"}).status_code == 302
    client.force_login(people["hn_clinician"])  # another place: the code list is everyone's
    asked = {"encounter-diagnoses": "R05, tubercul", "field": "encounter-diagnoses"}
    page = client.get("/care/icd10/", asked).content.decode()
    assert 'data-icd10-code="A15"' in page and 'data-icd10-code="R05"' not in page
    cache.clear()
    monkeypatch.setattr("mhis.care.views.time.time", lambda: 1_800_000_000.0)  # one minute
    statuses = [client.get("/care/icd10/", {"q": "cough"}).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    cache.clear()


def test_the_chief_complaint_is_found_by_words_too(client, people, person):
    client.force_login(people["clinician"])
    url = f"/care/people/{person.uuid}/encounter/new/"
    asked = {"encounter-chief_complaint": "tuberculosis"}
    response = client.post(url, encounter_form("R05", **asked))
    form = next(a["form"] for a in response.context["adders"] if a["kind"] == "encounter")
    assert "several ICD-10 codes" in form.errors["chief_complaint"][0]
    assert 'name="encounter-chief_complaint_pick_0" value="A16"' in response.content.decode()
    picked = {**asked, "encounter-chief_complaint_pick_0": "A16"}
    assert client.post(url, encounter_form("R05", **picked)).status_code == 302
    assert Encounter.objects.get().chief_complaint == "A16"
    simple = {"encounter-chief_complaint": "cough"}  # exactly R05's title
    assert client.post(url, encounter_form("", **simple)).status_code == 302
    assert Encounter.objects.latest("pk").chief_complaint == "R05"
