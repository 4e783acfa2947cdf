"""Registration: the Latin spelling made from a name is shown to check before saving, and dates
of birth are read in the forms people say them."""

from datetime import date

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mhis.dates import NUMERIC_ORDER, SpokenDate, month_name, read_date
from mhis.registry.forms import PersonForm
from mhis.registry.models import Person

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "es", "fr", "th", "vi"]


def form_data(**overrides):
    return {
        "registration_site": "MSOT-CLIN",
        "name": "နော်ဝါဝါမိုး",
        "latin_name": "",
        "sex": "female",
        "birth_date": "",
        "birth_date_precision": "",
        "nationality": "MM",
        "languages": "my",
        **overrides,
    }


def test_first_save_proposes_the_latin_spelling_and_the_second_saves_it(client, people, world):
    client.force_login(people["clinician"])
    first = client.post("/people/new/", form_data())
    page = first.content.decode()
    assert first.status_code == 200 and not Person.objects.exists()
    assert 'value="Naw Wa Wa Moe"' in page and "Check this spelling in Latin letters" in page
    assert "နော်ဝါဝါမိုး" in page  # what was typed is kept
    second = client.post("/people/new/", form_data(latin_name="Naw Wah Wah Moe", latin_checked="1"))
    person = Person.objects.get()
    assert second.status_code == 302
    assert person.display_latin == "Naw Wah Wah Moe"  # the user's edit, not the proposal


def test_a_checked_empty_latin_field_is_generated_on_saving(client, people, world):
    client.force_login(people["clinician"])
    client.post("/people/new/", form_data(latin_checked="1"))
    assert Person.objects.get().display_latin == "Naw Wa Wa Moe"


@pytest.mark.parametrize("name", ["Naw Wa Wa Moe", "María López"])
def test_a_latin_name_is_saved_at_once(client, people, world, name):
    client.force_login(people["clinician"])
    assert client.post("/people/new/", form_data(name=name)).status_code == 302


@pytest.mark.parametrize(
    ("typed", "stored", "precision"),
    [
        ("April 1991", date(1991, 4, 1), "month"),
        ("1991", date(1991, 1, 1), "year"),
        ("03/04/1991", date(1991, 4, 3), "exact"),
        ("1991-04-03", date(1991, 4, 3), "exact"),
        ("3 เมษายน 2534", date(1991, 4, 3), "exact"),
    ],
)
def test_register_form_reads_dates_of_birth_as_people_say_them(
    client, people, world, typed, stored, precision
):
    client.force_login(people["clinician"])
    response = client.post("/people/new/", form_data(name="Aye Aye", birth_date=typed))
    person = Person.objects.get()
    assert response.status_code == 302
    assert (person.birth_date, person.birth_date_precision) == (stored, precision)


def test_an_impossible_date_is_refused_naming_the_field_and_the_forms(client, people, world):
    client.force_login(people["clinician"])
    response = client.post("/people/new/", form_data(name="Aye Aye", birth_date="31/02/1991"))
    page = response.content.decode()
    assert response.status_code == 200 and not Person.objects.exists()
    assert "Date of birth: This date does not exist." in page
    assert "April 1991" in page and "1991-04-03" in page
    assert 'value="31/02/1991"' in page


def test_the_form_alone_reads_french_dates_in_french():
    with translation.override("fr"):
        form = PersonForm(form_data(name="Aye", birth_date="3 avril 1991"))
        form.is_valid()
        assert form.cleaned_data["birth_date"] == "1991-04-03"
        form = PersonForm(form_data(name="Aye", birth_date="30 février 1991"))
        assert not form.is_valid()
        assert str(form.fields["birth_date"].label) in str(form.errors["birth_date"])
        assert "avril 1991" in str(form.errors["birth_date"])  # the forms, in French


@pytest.mark.parametrize(
    "typed",
    ["91", "April", "13/13/1991", "0/1991", "1991 1992", "3 April May 1991", "hello", "12/1/91"],
)
def test_what_is_no_date_is_refused(typed):
    with pytest.raises(ValueError, match=r"is not a date|does not exist"):
        read_date(typed, field="Date of birth")


def test_day_and_month_follow_the_language():
    assert all(NUMERIC_ORDER[code] == "dmy" for code in LANGUAGES)
    assert read_date("03/04/1991", language="fr") == SpokenDate(1991, 4, 3)
    assert read_date("04/03/1991", language="en-us") == SpokenDate(1991, 4, 3)


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


@given(dates, st.sampled_from(LANGUAGES))
def test_a_date_said_in_any_form_reads_back_the_same(day, language):
    with translation.override(language):
        name = month_name(day.month)
        full = SpokenDate(day.year, day.month, day.day)
        said = {
            day.isoformat(): full,
            day.strftime("%d/%m/%Y"): full,
            f"{day.day} {name} {day.year}": full,
            f"{name} {day.year}": SpokenDate(day.year, day.month),
            f"{day.month:02d}/{day.year}": SpokenDate(day.year, day.month),
            f"{day.year:04d}": SpokenDate(day.year),
        }
        for text, expected in said.items():
            read = read_date(text)
            assert read == expected, text
            assert read_date(read.iso()) == read  # what is stored reads back as itself


def test_the_proposal_comes_with_every_other_problem_at_once(client, people, world):
    client.force_login(people["clinician"])
    page = client.post(
        "/people/new/",
        form_data(birth_date="3 April 2099", identifier_type="passport", identifier_value="!!"),
    )
    assert page.status_code == 200 and not Person.objects.exists()
    assert {"latin_name", "birth_date", "identifier_value"} <= set(page.context["form"].errors)


def test_editing_a_name_into_another_script_proposes_its_latin_spelling(client, people, register):
    person = register(names=[{"text": "Aye Aye", "latin": ""}])
    client.force_login(people["clinician"])
    page = client.post(f"/people/{person.uuid}/edit/", form_data(name="ဦးအောင်ကျော်"))
    assert page.status_code == 200 and 'value="U Aung Kyaw"' in page.content.decode()
    person.refresh_from_db()
    assert person.display_name == "Aye Aye"
