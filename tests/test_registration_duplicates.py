"""Registration warns of people likely already registered, before saving, among those the user
may see only; the API lists them for a registration it is given."""

import pytest

from mhis.access.models import AccessLog
from mhis.registry.models import Person

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "registration_site": "MSOT-CLIN",
        "name": "မသီတာ",
        "latin_name": "",
        "latin_checked": "1",  # the Latin spelling made from the name was shown and kept
        "sex": "female",
        "birth_date": "1991",
        "birth_date_precision": "",
        "nationality": "MM",
        "languages": "my",
        "identifier_type": "",
        "identifier_country": "",
        "identifier_value": "",
        "migration_status": "UNK",
        "occupation_sector": "unknown",
    }
    return data | overrides


def _known(register, by=None, site="MSOT-CLIN", **overrides):
    """Someone already registered: the Burmese-script name of `_form`, born 1991."""
    data = {"registration_site": site, "names": [{"text": "မသီတာ"}], "sex": "female",
            "birth_date": "1991-03-02", "nationality": "MM", "identifiers": [],
            "episodes": []}  # fmt: skip
    return register(by=by, **(data | overrides))


def test_the_page_warns_of_an_obvious_duplicate_and_saves_when_told_it_is_someone_else(
    client, people, register
):
    known = _known(register)
    client.force_login(people["clinician"])
    page = client.post("/people/new/", _form())
    assert page.status_code == 200 and Person.objects.count() == 1  # nothing saved
    html = page.content.decode()
    assert "Is this someone already registered?" in html
    assert f"/people/{known.uuid}/" in html and "Mae Sot Migrant Clinic" in html
    # Registering anyway is its own button, after Save: Enter in a field checks again.
    assert html.index('name="different_person" value="1"') > html.index(">Save</button>")
    [shown] = page.context["likely"]
    assert shown.person == known and shown.probability >= 0.8
    assert {"name", "birth", "sex"} <= set(shown.agreed)
    # Showing them is logged as any list of people is.
    assert AccessLog.objects.filter(person=known, view="page:register_duplicates").count() == 1

    saved = client.post("/people/new/", _form(different_person="1"))
    assert saved.status_code == 302 and Person.objects.count() == 2
    new = Person.objects.exclude(pk=known.pk).get()
    assert saved["Location"] == f"/people/{new.uuid}/"


def test_a_clearly_different_person_is_registered_at_once(client, people, register):
    _known(register)
    client.force_login(people["clinician"])
    response = client.post(
        "/people/new/", _form(name="Nguyễn Văn An", sex="male", birth_date="1975", nationality="VN")
    )
    assert response.status_code == 302 and Person.objects.count() == 2
    assert not AccessLog.objects.filter(view="page:register_duplicates").exists()


def test_no_warning_names_someone_outside_the_users_places(client, people, register):
    # The same person as far as the model can tell, but registered in Honduras.
    elsewhere = _known(register, by=people["hn_clinician"], site="SPS-CAMR")
    client.force_login(people["clinician"])
    response = client.post("/people/new/", _form())
    assert response.status_code == 302 and Person.objects.count() == 2
    assert not AccessLog.objects.filter(person=elsewhere, user=people["clinician"]).exists()


def test_a_refused_registration_shows_its_errors_and_no_warning(client, people, register):
    _known(register)
    client.force_login(people["clinician"])
    page = client.post("/people/new/", _form(birth_date="2099"))
    assert page.status_code == 200 and Person.objects.count() == 1
    assert page.context["form"].errors["birth_date"] and not page.context["likely"]


def _payload(**overrides):
    data = {"registration_site": "MSOT-CLIN", "names": [{"text": "MA THI DA"}],
            "sex": "female", "birth_date": "1991", "nationality": "MM"}  # fmt: skip
    return data | overrides


def test_the_api_lists_likely_duplicates_in_the_users_places_and_saves_nothing(
    api, people, register, settings
):
    known = _known(register)
    elsewhere = _known(register, by=people["hn_clinician"], site="SPS-CAMR")
    response = api(people["clinician"]).post("/api/persons/matches", _payload())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["threshold"] == settings.MHIS_LIKELY_DUPLICATE
    assert [r["person"]["id"] for r in body["results"]] == [str(known.uuid)]
    assert body["results"][0]["probability"] >= 0.8 and "name" in body["results"][0]["agreed"]
    assert Person.objects.count() == 2
    assert AccessLog.objects.filter(person=known, view="api:person_matches").count() == 1
    assert not AccessLog.objects.filter(person=elsewhere, user=people["clinician"]).exists()
    # A stranger is no match.
    other = _payload(names=[{"text": "Sok Dara"}], sex="male", birth_date="1970")
    assert api(people["clinician"]).post("/api/persons/matches", other).json()["results"] == []


def test_the_api_refuses_bad_input_naming_the_field_and_roles_that_cannot_register(api, people):
    response = api(people["clinician"]).post("/api/persons/matches", _payload(birth_date="2099"))
    assert response.status_code in (400, 422) and "birth_date" in response.content.decode()
    assert api(people["hn_analyst"]).post("/api/persons/matches", _payload()).status_code == 403


def test_the_threshold_is_a_setting(client, people, register, settings):
    _known(register)
    settings.MHIS_LIKELY_DUPLICATE = 0.999999
    client.force_login(people["clinician"])
    response = client.post("/people/new/", _form(birth_date="1990"))
    assert response.status_code == 302


def test_a_role_not_shown_migration_status_is_warned_on_the_comparisons_it_is_shown(
    client, people, register
):
    passport = [{"type": "passport", "issuing_country": "MM", "value": "MA123456"}]
    known = _known(register, identifiers=passport)
    form = _form(identifier_type="passport", identifier_country="MM", identifier_value="MA123456")
    client.force_login(people["clinician"])
    [seen] = client.post("/people/new/", form).context["likely"]
    assert "identifiers" in seen.agreed
    for field in ("migration_status", "occupation_sector"):
        del form[field]
    client.force_login(people["admin"])  # registers, is not shown migration status
    page = client.post("/people/new/", form)
    [shown] = page.context["likely"]
    assert shown.person == known and "identifiers" not in shown.agreed
    assert shown.probability < seen.probability
    assert "Identifiers" not in page.content.decode().split("What agrees")[1]


def test_a_failing_search_for_duplicates_never_stops_a_registration(
    client, people, register, monkeypatch
):
    from mhis.registry import duplicates

    _known(register)

    def broken(user, cleaned, threshold):
        raise RuntimeError("the model is unreadable")

    monkeypatch.setattr(duplicates, "FINDERS", [broken])
    client.force_login(people["clinician"])
    assert client.post("/people/new/", _form()).status_code == 302
    assert Person.objects.count() == 2
