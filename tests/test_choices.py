"""Countries and languages in the reader's language: named and sorted in it, languages picked
by name and stored as the ISO 639 codes they always were."""

import pytest
from django.utils import translation

from mhis.codelists import collation_key, country_choices, language_choices, language_of
from mhis.formtools import LanguagesField
from mhis.registry.models import Person

pytestmark = pytest.mark.django_db


def _names(language):
    return [name for _, name in country_choices(language)]


def test_countries_are_named_and_sorted_in_the_readers_language():
    french = dict(country_choices("fr"))
    assert french["MM"] == "Birmanie" and french["TH"] == "Thaïlande"
    names = _names("fr")
    # Accents sort with their letter, not after Z.
    assert names.index("Égypte") < names.index("Émirats arabes unis") < names.index("Espagne")
    assert names.index("Espagne") < names.index("Zambie")
    thai = dict(country_choices("th"))
    assert thai["MM"] == "พม่า"
    names = _names("th")
    # Thai sorts by the first consonant: เวียดนาม (Viet Nam) under ว, before สวีเดน (Sweden).
    assert names.index(thai["VN"]) < names.index(thai["SE"]) < names.index(thai["AU"])
    assert country_choices("en")[0] == ("AF", "Afghanistan")


def test_the_active_language_names_them_when_none_is_given():
    with translation.override("fr"):
        assert dict(country_choices())["DE"] == "Allemagne"
        assert dict(language_choices())["my"] == "Birman"


def test_languages_are_read_from_a_name_in_either_language_a_code_or_a_list_entry():
    assert language_of("Birman", "fr") == "my"
    assert language_of("burmese", "fr") == "my"  # English is always understood
    assert language_of("ไทย", "th") == "th"
    assert language_of("Thaï (th)", "fr") == "th"
    assert language_of("mya") == "my"  # stored as 639-1 where there is one
    assert language_of("S'gaw Karen") == "ksw"
    assert language_of("Karen") == "kar"  # a collective code, as the demo has
    with pytest.raises(ValueError, match="Klingonish"):
        language_of("Klingonish")


def test_the_field_cleans_to_codes_and_names_every_entry_it_cannot_read():
    field = LanguagesField(required=False)
    with translation.override("fr"):
        assert field.clean(["Birman (my)", "thaï", "", "my", "km lo"]) == "my, th, km, lo"
    # Left for the contract to refuse (one entry each), the field saying what to do.
    assert field.clean(["Burmese", "Klingon tongue", "Elvish"]) == "my, Klingon-tongue, Elvish"
    assert [p.split("”")[0] for p in field.problems] == ["“Klingon tongue", "“Elvish"]


def _registration(**overrides):
    return {
        "registration_site": "MSOT-CLIN",
        "name": "Naw Paw",
        "sex": "female",
        "birth_date": "1990",
        "nationality": "MM",
        **overrides,
    }


def test_the_register_form_lists_countries_and_languages_in_french(client, people, world):
    client.force_login(people["clinician"])
    page = client.get("/people/new/", headers={"Accept-Language": "fr"}).content.decode()
    assert '<option value="MM">Birmanie</option>' in page
    assert '<option value="Birman (my)">' in page and 'list="id_languages_list"' in page
    assert page.index(">Allemagne<") < page.index(">Birmanie<") < page.index(">Thaïlande<")


def test_languages_picked_by_name_are_stored_as_iso_codes(client, people, world):
    client.force_login(people["clinician"])
    data = _registration()
    response = client.post(
        "/people/new/", {**data, "languages": ["Birman (my)", "thaï", ""]},
        headers={"Accept-Language": "fr"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Person.objects.get().languages == ["my", "th"]


def test_an_unknown_language_is_refused_naming_it_and_keeping_what_was_typed(client, people, world):
    client.force_login(people["clinician"])
    response = client.post(
        "/people/new/", {**_registration(), "languages": ["Burmese", "Klingonish"]}
    )
    assert response.status_code == 200 and not Person.objects.exists()
    assert "Klingonish" in response.context["form"].errors["languages"][0]
    page = response.content.decode()
    assert 'value="Klingonish"' in page and 'value="Burmese"' in page


def test_the_edit_form_shows_stored_codes_by_name_and_saves_them_unchanged(
    client, people, register
):
    person = register(languages=["my", "th"])
    Person.objects.filter(pk=person.pk).update(languages=["my", "kar"])  # as the demo stores
    client.force_login(people["clinician"])
    page = client.get(f"/people/{person.uuid}/edit/").content.decode()
    assert 'value="Burmese (my)"' in page and 'value="Karen languages (kar)"' in page
    form = client.get(f"/people/{person.uuid}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["languages"] = ["Burmese (my)", "Karen languages (kar)", ""]
    assert client.post(f"/people/{person.uuid}/edit/", data).status_code == 302
    person.refresh_from_db()
    assert person.languages == ["my", "kar"]


def test_the_sort_key_puts_accents_with_their_letter_and_ignores_case():
    words = ["zèbre", "Ébène", "eau", "Ecole"]
    assert sorted(words, key=collation_key) == ["eau", "Ébène", "Ecole", "zèbre"]
