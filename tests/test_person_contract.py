"""The person declared once (registry.contracts): the API's OpenAPI document lists exactly the
models' choices and lengths, and a page, the API and an import refuse the same bad value on
the same field with the same message."""

import csv

import pytest
from django.core.exceptions import ValidationError

from mhis.contracts import field_of
from mhis.registry.codes import IDENTITY_DOCUMENT
from mhis.registry.contracts import FLAT_FIELDS, FLAT_PATHS, person_from_flat
from mhis.registry.models import (
    Consent,
    HouseholdMember,
    Identifier,
    MigrationEpisode,
    Person,
    PersonName,
)

from .factories import PersonDataFactory

pytestmark = pytest.mark.django_db


def _choices(model, name) -> set[str]:
    return {str(value) for value, _label in model._meta.get_field(name).flatchoices}


def _length(model, name) -> int:
    return model._meta.get_field(name).max_length


# -- the OpenAPI document -----------------------------------------------------------------------


@pytest.fixture
def openapi(client):
    return client.get("/api/openapi.json").json()


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _body(spec, path, method):
    content = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _resolve(spec, content["schema"])


def _property(spec, schema, name):
    """A property's own schema, null (a change's "not given") left out."""
    prop = schema["properties"][name]
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    assert len(options) == 1, prop
    return _resolve(spec, options[0])


def _items(spec, schema, name):
    return _resolve(spec, _property(spec, schema, name)["items"])


def _enum(spec, schema, name) -> set[str]:
    return set(_property(spec, schema, name)["enum"])


def _max_length(spec, schema, name) -> int:
    return _property(spec, schema, name)["maxLength"]


@pytest.mark.parametrize(
    ("path", "method"), [("/api/persons", "post"), ("/api/persons/{person_id}", "patch")]
)
def test_openapi_person_bodies_list_exactly_the_models_choices_and_lengths(openapi, path, method):
    person = _body(openapi, path, method)
    assert _enum(openapi, person, "sex") == _choices(Person, "sex")
    # A blank precision: "as written".
    assert _enum(openapi, person, "birth_date_precision") == {"", *_choices(Person, "birth_date_precision")}  # fmt: skip
    assert _max_length(openapi, person, "contact") == _length(Person, "contact")

    name = _items(openapi, person, "names")
    assert _max_length(openapi, name, "text") == _length(PersonName, "text")
    assert _max_length(openapi, name, "latin") == _length(PersonName, "latin")
    assert _enum(openapi, name, "use") == _choices(PersonName, "use")

    identifier = _items(openapi, person, "identifiers")
    # "identity_document": the kind as a role not shown migration status reads it, taken back.
    assert _enum(openapi, identifier, "type") == _choices(Identifier, "type") | {IDENTITY_DOCUMENT}
    assert _max_length(openapi, identifier, "value") == _length(Identifier, "value")

    episode = _items(openapi, person, "episodes")
    assert _enum(openapi, episode, "status") == _choices(MigrationEpisode, "status")
    assert _enum(openapi, episode, "occupation_sector") == _choices(MigrationEpisode, "occupation_sector")  # fmt: skip

    consent = _items(openapi, person, "consents")
    assert _enum(openapi, consent, "scope") == _choices(Consent, "scope")


def test_openapi_household_member_body_lists_the_models_relationships(openapi):
    member = _body(openapi, "/api/persons/{person_id}/household", "post")
    assert _enum(openapi, member, "relationship") == _choices(HouseholdMember, "relationship")


def test_the_models_declare_the_lengths_the_pages_and_the_api_used_to_disagree_on():
    # A name: 400 on the page and in the API once, 200 in the database.
    assert _length(PersonName, "text") == _length(Person, "display_name") == 200
    # A contact: 500 on the page and in the service once, 1,000 in the API.
    assert _length(Person, "contact") == 500


# -- the same bad value, refused alike by a page, the API and an import -------------------------

GOOD_FLAT = {
    "registration_site": "MSOT-CLIN",
    "name": "Thida Aung",
    "sex": "female",
    "birth_date": "1990-05",
    "nationality": "MM",
    "identifier_type": "passport",
    "identifier_country": "MM",
    "identifier_value": "MA1234567",
    "migration_status": "REG_LAB",
    "origin_country": "MM",
    "destination_country": "TH",
    "occupation_sector": "fishing",
    "migration_start": "2015-03-01",
}
BAD = [
    # (flat field, bad value, the contract's path)
    ("sex", "Q", "sex"),
    ("identifier_type", "visa", "identifiers.0.type"),
    ("name", "A" * (_length(PersonName, "text") + 1), "names.0.text"),
    ("contact", "0" * (_length(Person, "contact") + 1), "contact"),
    ("migration_status", "TOURIST", "episodes.0.status"),
]


def test_the_flat_shape_covers_every_field_an_import_of_people_takes():
    from mhis.intake.kinds import KINDS

    assert set(KINDS["people"].fields) == set(FLAT_FIELDS)
    for flat, path in FLAT_FIELDS.items():
        assert field_of(path, FLAT_PATHS) == flat
    assert field_of("languages.3", FLAT_PATHS) == "languages"


@pytest.mark.parametrize(("flat", "value", "path"), BAD)
def test_page_api_and_import_refuse_the_same_value_on_the_same_field(
    api, client, people, world, tmp_path, flat, value, path
):
    from mhis.intake import services as intake

    user = people["clinician"]
    values = {**GOOD_FLAT, flat: value}

    # The API: the body as the flat shape makes it, so that the three doors get one value.
    response = api(user).post("/api/persons", person_from_flat(values))
    assert response.status_code == 422, response.content
    refused = {".".join(str(p) for p in d["loc"][1:]): d["msg"] for d in response.json()["detail"]}
    assert set(refused) == {path}, refused

    # The service, as the import and the page call it: the same path and message.
    from mhis.registry.services import register_person

    with pytest.raises(ValidationError) as service:
        register_person(user, person_from_flat(values))
    assert service.value.message_dict == {path: [refused[path]]}

    # An import: the row is refused at the column the flat field is mapped to, saying the same.
    columns = {"source_key": "id", **{f: f"col_{f}" for f in values}}
    table = tmp_path / "people.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns.values())
        writer.writerow(["K-1", *(values[f] for f in list(columns)[1:])])
    job = intake.run_import(user, table, source="clinic", columns=columns)
    [row] = job.rows.all()
    assert (row.outcome, row.field) == ("rejected", f"col_{flat}")
    assert refused[path] in row.reason

    # The page: the form shows the problem at the field (a choice not offered, or text too
    # long, is refused by the form itself before the service is asked).
    client.force_login(user)
    page = client.post("/people/new/", values)
    assert page.status_code == 200
    assert flat in page.context["form"].errors, page.context["form"].errors
    assert Person.objects.count() == 0


def test_service_errors_land_on_the_page_field_the_flat_shape_names(client, people, world):
    # Values the form takes as they are, refused by the contract: the messages are the API's.
    client.force_login(people["clinician"])
    values = {**GOOD_FLAT, "identifier_value": "!!", "languages": "my, xx", "birth_date": "2099"}
    page = client.post("/people/new/", values)
    errors = page.context["form"].errors
    assert set(errors) == {"identifier_value", "languages", "birth_date"}
    # The page's own words for a language it could not read: what to do about it.
    assert errors["languages"] == [
        "“xx” is not a language: pick one from the list or type its ISO 639 code."
    ]
    assert Person.objects.count() == 0


def test_an_episode_is_refused_alike_in_a_registration_and_added_alone(people, register):
    from mhis.registry.services import add_episode

    person = register(birth_date="1990-01-01", episodes=[])
    with pytest.raises(ValidationError) as alone:
        add_episode(people["clinician"], person, {"status": "TOURIST", "start_date": "1980-01-01"})
    assert set(alone.value.message_dict) == {"status", "start_date"}
    with pytest.raises(ValidationError) as nested:
        register(episodes=[{"status": "TOURIST"}])
    assert nested.value.message_dict["episodes.0.status"] == alone.value.message_dict["status"]
    assert person.episodes.count() == 0


def test_a_change_checks_only_what_it_gives(people, register):
    from mhis.registry.services import update_person

    person = register(contact="+66 81 000 0000")
    update_person(people["clinician"], person, {"contact": "+66 81 111 1111"})
    person.refresh_from_db()
    assert person.contact == "+66 81 111 1111" and person.names.count() == 1
    with pytest.raises(ValidationError) as refused:
        update_person(people["clinician"], person, {"contact": "0" * 501, "sex": None})
    assert set(refused.value.message_dict) == {"contact"}  # a null coded field: its default
    with pytest.raises(ValidationError) as refused:
        update_person(people["clinician"], person, {"birth_date_precision": "year"})
    assert set(refused.value.message_dict) == {"birth_date"}


def test_a_precision_without_a_date_is_refused_at_the_date(people, world):
    from mhis.registry.services import register_person

    data = PersonDataFactory(birth_date_precision="year")
    del data["birth_date"]
    with pytest.raises(ValidationError) as refused:
        register_person(people["clinician"], data)
    assert refused.value.message_dict == {
        "birth_date": ["Give the date that goes with the precision."]
    }


def test_test_data_of_the_factory_passes_the_contract(people, world):
    from mhis.registry.contracts import PersonInput

    checked = PersonInput.check(PersonDataFactory(), user=people["clinician"])
    assert checked.registration_site.code == "MSOT-CLIN"
