"""Registry pages: search, a person's page, registration and editing, in and out of scope."""

import pytest

from mhis.access.models import AccessLog
from mhis.registry.models import Person

pytestmark = pytest.mark.django_db


def test_pages_require_login(client, register):
    person = register()
    for url in (
        "/people/",
        "/people/new/",
        f"/people/{person.uuid}/",
        f"/people/{person.uuid}/edit/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_search_page_finds_by_latin_variant_and_logs_results(client, people, register):
    person = register(names=[{"text": "မောင်မောင်ဝင်း"}])
    client.force_login(people["clinician"])
    page = client.get("/people/", {"q": "Mg Mg Win"})
    assert page.status_code == 200
    assert "မောင်မောင်ဝင်း" in page.content.decode()
    assert AccessLog.objects.filter(person=person, view="page:search").count() == 1


def test_search_page_answers_htmx_with_the_results_fragment(client, people, register):
    register(names=[{"text": "Thida Aye"}])
    client.force_login(people["clinician"])
    fragment = client.get(
        "/people/", {"q": "thida"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Thida Aye" in fragment and "<html" not in fragment


def test_search_page_is_refused_to_roles_without_individual_access(client, people):
    client.force_login(people["hn_analyst"])
    assert client.get("/people/").status_code == 403


def test_person_page_in_scope_is_shown_and_logged(client, people, register):
    person = register()
    client.force_login(people["clinician"])
    page = client.get(f"/people/{person.uuid}/")
    assert page.status_code == 200
    assert "Regular labour migrant" in page.content.decode() or "REG_LAB" in page.content.decode()
    assert (
        AccessLog.objects.filter(
            user=people["clinician"], person=person, view="page:person"
        ).count()
        == 1
    )


def test_person_page_out_of_scope_is_404(client, people, register):
    person = register()
    client.force_login(people["hn_clinician"])
    assert client.get(f"/people/{person.uuid}/").status_code == 404
    assert client.get(f"/people/{person.uuid}/edit/").status_code == 404
    assert not AccessLog.objects.filter(person=person).exists()


def test_person_page_hides_migration_status_from_non_health_roles(client, people, register):
    person = register()
    client.force_login(people["tak_officer"])
    page = client.get(f"/people/{person.uuid}/").content.decode()
    assert "REG_LAB" not in page and "Migration episodes" not in page


def test_register_form_creates_a_person(client, people, world):
    client.force_login(people["clinician"])
    response = client.post(
        "/people/new/",
        {
            "latin_checked": "1",  # the Latin spelling made from the name was shown and kept
            "registration_site": "MSOT-CLIN",
            "name": "ဒေါ်သီဒါ",
            "latin_name": "",
            "sex": "female",
            "birth_date": "1990",
            "birth_date_precision": "",
            "nationality": "MM",
            "languages": "my, th",
            "identifier_type": "work_permit",
            "identifier_country": "TH",
            "identifier_value": "WP-55501234",
            "migration_status": "IRR",
            "origin_country": "MM",
            "destination_country": "TH",
            "occupation_sector": "fishing",
            "migration_start": "2015-03-01",
            "consent_care": "on",
        },
    )
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/people/{person.uuid}/"
    assert person.display_latin == "Daw Thi Da" and person.birth_date_precision == "year"
    assert person.episodes.get().status == "IRR" and person.consents.get().scope == "care"


def test_register_form_shows_errors_by_field_and_writes_nothing(client, people, world):
    client.force_login(people["clinician"])
    page = client.post(
        "/people/new/",
        {
            "registration_site": "MSOT-CLIN",
            "name": " ",
            "sex": "female",
            "birth_date": "2099",
            "nationality": "",
            "identifier_type": "passport",
            "identifier_value": "!!",
        },
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert {"name", "birth_date", "identifier_value"} <= set(form.errors)
    assert Person.objects.count() == 0


def test_register_form_hides_migration_status_from_non_health_roles(client, people, world):
    client.force_login(people["admin"])
    page = client.get("/people/new/")
    assert "migration_status" not in page.context["form"].fields


def test_register_is_refused_to_read_only_roles(client, people):
    client.force_login(people["viewer"])
    assert client.get("/people/new/").status_code == 403


def test_register_only_offers_sites_in_scope(client, people, world):
    client.force_login(people["clinician"])
    choices = dict(client.get("/people/new/").context["form"].fields["registration_site"].choices)
    assert set(choices) == {"MSOT-CLIN", "MSOT-BRDG"}


def test_edit_form_changes_the_record_and_keeps_other_names(client, people, register):
    person = register(names=[{"text": "ကျော်ဝင်း"}, {"text": "Kyaw Kyaw", "use": "alias"}])
    client.force_login(people["clinician"])
    response = client.post(
        f"/people/{person.uuid}/edit/",
        {
            "registration_site": "MSOT-BRDG",
            "name": "ကျော်ဝင်း",
            "latin_name": "Kyaw Win",
            "sex": "male",
            "birth_date": "1988-07",
            "birth_date_precision": "",
            "nationality": "MM",
            "languages": "my",
            "contact": "",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.sex == "male" and person.registration_site.code == "MSOT-BRDG"
    assert [n.text for n in person.names.all()] == ["ကျော်ဝင်း", "Kyaw Kyaw"]


def test_language_switcher_serves_spanish(client, people):
    client.force_login(people["clinician"])
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/people/"})
    assert response.status_code == 302
    page = client.get("/people/", headers={"accept-language": "es"}).content.decode()
    assert "Personas" in page and 'lang="es"' in page


def test_login_page_and_lockout_after_repeated_failures(client, people, settings):
    from mhis.access.models import User

    user = User.objects.get(username="mae_sot_clinician")
    user.set_password("a-Strong-passphrase-42")
    user.save()
    assert client.get("/login/").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "mae_sot_clinician", "password": "wrong"})
    locked = client.post(
        "/login/", {"username": "mae_sot_clinician", "password": "a-Strong-passphrase-42"}
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_with_the_right_password_succeeds(client, people):
    from mhis.access.models import User

    user = User.objects.get(username="mae_sot_clinician")
    user.set_password("a-Strong-passphrase-42")
    user.save()
    response = client.post(
        "/login/", {"username": "mae_sot_clinician", "password": "a-Strong-passphrase-42"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_person_page_shows_labels_in_the_readers_language(client, people, register):
    person = register(birth_date="1994", nationality="MM", languages=["my"])
    client.force_login(people["clinician"])
    english = client.get(f"/people/{person.uuid}/").content.decode()
    assert "Myanmar" in english and "Burmese" in english and "Regular labour migrant" in english
    assert "1994-01-01" not in english
    client.post("/i18n/setlang/", {"language": "es"})
    spanish = client.get(f"/people/{person.uuid}/").content.decode()
    assert "Migrante laboral regular" in spanish and "Birmano" in spanish


@pytest.mark.parametrize(
    ("language", "exact", "month"),
    [
        ("en", "3 Apr 1991", "April 1991"),
        ("es", "3 abr 1991", "abril de 1991"),
        ("fr", "3 avr 1991", "avril 1991"),
        ("th", "3 เม.ย. 1991", "เมษายน 1991"),
        ("vi", "3 Tháng 4 1991", "Tháng 4 1991"),
    ],
)
def test_dates_are_written_in_the_readers_language_with_the_month_by_name(
    client, people, register, language, exact, month
):
    day = register(birth_date="1991-04-03")
    month_only = register(birth_date="1991-04")
    client.force_login(people["clinician"])
    client.post("/i18n/setlang/", {"language": language})
    assert exact in client.get(f"/people/{day.uuid}/").content.decode()
    page = client.get(f"/people/{month_only.uuid}/").content.decode()
    assert month in page and "1991-04" not in page.split("<main", 1)[1]
