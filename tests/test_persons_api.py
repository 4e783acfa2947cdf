"""Persons API: each endpoint with an allowed and a denied case, validation, scoping."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mhis.access.models import AccessLog
from mhis.registry.models import Person
from mhis.registry.search import search_people

from .factories import PersonDataFactory

pytestmark = pytest.mark.django_db


def field_locs(response):
    return {tuple(d["loc"][1:]) for d in response.json()["detail"]}


# -- list / search -------------------------------------------------------------------------


def test_list_shows_people_in_scope_and_logs_each_shown(api, people, register, world):
    mine = register(names=[{"text": "မောင်မောင်"}])
    register(
        by=people["hn_clinician"], registration_site="SPS-CAMR", names=[{"text": "José Luis Mejía"}]
    )
    response = api(people["clinician"]).get("/api/persons")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [r["id"] for r in body["results"]] == [str(mine.uuid)]
    assert "episodes" not in body["results"][0] and "identifiers" not in body["results"][0]
    assert (
        AccessLog.objects.filter(
            user=people["clinician"], person=mine, view="api:persons_list"
        ).count()
        == 1
    )


def test_list_is_refused_to_roles_without_individual_access(api, people, register):
    register()
    assert api(people["hn_analyst"]).get("/api/persons").status_code == 403


def test_list_requires_authentication(api, register):
    register()
    assert api(None).get("/api/persons").status_code == 401
    client_with_bad_token = api(None)
    client_with_bad_token.headers["Authorization"] = "Bearer mhis_not-a-token"
    assert client_with_bad_token.get("/api/persons").status_code == 401


def test_search_by_burmese_script_and_by_latin_variant_finds_the_same_person(api, people, register):
    target = register(names=[{"text": "မောင်မောင်ဝင်း"}])
    register(names=[{"text": "ကျော်သူ"}])
    caller = api(people["clinician"])
    for query in ("မောင်မောင်ဝင်း", "Maung Maung Win", "Mg Mg Win", "MAUNG MAUNG WINN"):
        body = caller.get("/api/persons", q=query).json()
        assert [r["id"] for r in body["results"]] == [str(target.uuid)], query


def test_search_by_identifier_matches_the_normalised_value(api, people, register):
    target = register(
        identifiers=[{"type": "passport", "issuing_country": "MM", "value": "MC 123-4567"}]
    )
    register()
    body = api(people["clinician"]).get("/api/persons", q="mc1234567").json()
    assert [r["id"] for r in body["results"]] == [str(target.uuid)]


def test_list_pages_and_bounds_page_size(api, people, register):
    for _ in range(5):
        register()
    caller = api(people["clinician"])
    body = caller.get("/api/persons", page=2, page_size=2).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["page"] == 2
    assert caller.get("/api/persons", page_size=1000).status_code == 422
    assert caller.get("/api/persons", page=0).status_code == 422


def test_search_counts_every_match_in_scope_on_every_page(api, people, register):
    for _ in range(5):
        register(names=[{"text": "Aung Ko Latt"}])
    register(names=[{"text": "Thida Aye"}])
    register(by=people["hn_clinician"], registration_site="SPS-CAMR", names=[{"text": "Aung Ko"}])
    caller = api(people["clinician"])
    pages = [caller.get("/api/persons", q="Aung Ko", page=n, page_size=2).json() for n in (1, 3, 4)]
    assert [(p["count"], len(p["results"])) for p in pages] == [(5, 2), (5, 1), (5, 0)]
    everyone = caller.get("/api/persons", q="Aung Ko", page_size=50).json()
    assert everyone["count"] == 5 and len(everyone["results"]) == 5
    assert caller.get("/api/persons", q="Nobody Here").json()["count"] == 0


def test_list_count_leaves_out_people_merged_into_another_record(api, people, register):
    survivor, merged, _other = register(), register(), register()
    Person.objects.filter(pk=merged.pk).update(merged_into=survivor)
    body = api(people["clinician"]).get("/api/persons", page_size=1).json()
    assert body["count"] == 2


def test_search_reads_the_matching_names_once_for_the_page_and_the_count(api, people, register):
    for _ in range(4):
        register(names=[{"text": "Aung Ko Latt"}])
    caller = api(people["clinician"])
    caller.get("/api/persons")  # first use of the token also records when it was used

    def name_reads(queries):
        return sum("registry_namekey" in q["sql"] for q in queries)

    with CaptureQueriesContext(connection) as search_alone:
        list(search_people(people["clinician"], "Aung Ko"))
    for page_size in (2, 50):  # a full first page is counted; a short one needs no count
        with CaptureQueriesContext(connection) as queries:
            body = caller.get("/api/persons", q="Aung Ko", page_size=page_size).json()
        assert body["count"] == 4
        assert name_reads(queries) == name_reads(search_alone) > 0


def test_list_query_count_does_not_grow_with_page_size(api, people, register):
    for _ in range(3):
        register()
    caller = api(people["clinician"])
    caller.get("/api/persons")  # first use of the token also records when it was used
    with CaptureQueriesContext(connection) as small:
        caller.get("/api/persons", page_size=1)
    for _ in range(6):
        register()
    with CaptureQueriesContext(connection) as large:
        caller.get("/api/persons", page_size=9)
    assert len(large) == len(small)


# -- create ----------------------------------------------------------------------------------


def test_create_registers_with_all_parts(api, people, world):
    payload = PersonDataFactory(names=[{"text": "ဒေါ်သီဒါ", "latin": "Daw Thi Da"}])
    response = api(people["clinician"]).post("/api/persons", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "ဒေါ်သီဒါ" and body["name_latin"] == "Daw Thi Da"
    assert body["birth_date"] == "1991-04" and body["birth_date_precision"] == "month"
    assert body["identifiers"][0]["value"] == payload["identifiers"][0]["value"]
    assert body["episodes"][0]["status"] == "REG_LAB"
    assert body["registration_site"]["code"] == "MSOT-CLIN"


def test_create_is_refused_to_read_only_roles(api, people):
    response = api(people["tak_officer"]).post("/api/persons", PersonDataFactory())
    assert response.status_code == 403
    assert Person.objects.count() == 0


def test_create_at_a_site_outside_scope_is_refused(api, people, world):
    response = api(people["clinician"]).post(
        "/api/persons", PersonDataFactory(registration_site="SPS-CAMR")
    )
    assert response.status_code == 422
    assert ("registration_site",) in field_locs(response)
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_date": "1990-02-30"}, ("birth_date",)),
        ({"birth_date": "2999-01-01"}, ("birth_date",)),
        ({"nationality": "XQ"}, ("nationality",)),
        ({"languages": ["my", "klingon"]}, ("languages", 1)),
        ({"names": [{"text": "   "}]}, ("names", 0, "text")),
        ({"names": []}, ("names",)),
        ({"sex": "f"}, ("sex",)),
        (
            {"identifiers": [{"type": "passport", "issuing_country": "MM", "value": "A#1"}]},
            ("identifiers", 0, "value"),
        ),
        (
            {"identifiers": [{"type": "passport", "issuing_country": "ZZZ", "value": "MA123456"}]},
            ("identifiers", 0, "issuing_country"),
        ),
        (
            {
                "birth_date": "2000-01-01",
                "episodes": [{"status": "IRR", "start_date": "1999-05-01"}],
            },
            ("episodes", 0, "start_date"),
        ),
        ({"episodes": [{"status": "ILLEGAL"}]}, ("episodes", 0, "status")),
        (
            {"episodes": [{"start_date": "2020-01-01", "end_date": "2019-01-01"}]},
            ("episodes", 0, "end_date"),
        ),
        ({"consents": [{"scope": "care", "given_on": "2020-13-01"}]}, ("consents", 0, "given_on")),
    ],
)
def test_invalid_payloads_name_the_field_and_write_nothing(api, people, world, change, field):
    response = api(people["clinician"]).post("/api/persons", PersonDataFactory(**change))
    assert response.status_code == 422, response.content
    assert any(loc[-len(field) :] == field for loc in field_locs(response)), response.json()
    assert Person.objects.count() == 0


def test_unknown_and_missing_fields_are_refused(api, people, world):
    caller = api(people["clinician"])
    payload = PersonDataFactory()
    payload["favourite_colour"] = "blue"
    response = caller.post("/api/persons", payload)
    assert response.status_code == 422 and any(
        "favourite_colour" in d["loc"] for d in response.json()["detail"]
    )
    payload = PersonDataFactory()
    del payload["registration_site"]
    response = caller.post("/api/persons", payload)
    assert response.status_code == 422 and any(
        "registration_site" in d["loc"] for d in response.json()["detail"]
    )
    assert Person.objects.count() == 0


def test_oversized_payload_is_refused(api, people, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = PersonDataFactory(contact="x" * 20_000)
    response = api(people["clinician"]).post("/api/persons", payload)
    assert 400 <= response.status_code < 500
    assert Person.objects.count() == 0


def test_malformed_json_is_refused(api, people, world, client):
    caller = api(people["clinician"])
    response = client.post(
        "/api/persons", "{not json", content_type="application/json", headers=caller.headers
    )
    assert 400 <= response.status_code < 500
    assert Person.objects.count() == 0


def test_validation_messages_are_the_forms_messages(api, people, world, client):
    api_response = api(people["clinician"]).post(
        "/api/persons", PersonDataFactory(birth_date="1990-02-30")
    )
    api_message = next(
        d["msg"] for d in api_response.json()["detail"] if d["loc"][-1] == "birth_date"
    )
    client.force_login(people["clinician"])
    page = client.post(
        "/people/new/",
        {
            "registration_site": "MSOT-CLIN",
            "name": "Thida",
            "sex": "female",
            "birth_date": "1990-02-30",
        },
    )
    assert page.status_code == 200
    assert api_message in page.content.decode()


# -- read ------------------------------------------------------------------------------------


def test_read_in_scope_returns_the_record_and_logs_it(api, people, register):
    person = register()
    response = api(people["tak_officer"]).get(f"/api/persons/{person.uuid}")
    assert response.status_code == 200
    assert AccessLog.objects.filter(
        user=people["tak_officer"], person=person, view="api:person_read"
    ).exists()


def test_read_out_of_scope_is_404_like_a_missing_record(api, people, register):
    person = register()
    out_of_scope = api(people["hn_clinician"]).get(f"/api/persons/{person.uuid}")
    missing = api(people["hn_clinician"]).get("/api/persons/00000000-0000-4000-8000-000000000000")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert str(person.uuid) not in out_of_scope.content.decode()
    assert not AccessLog.objects.filter(person=person).exists()


def test_user_without_scope_sees_nobody(api, people, register):
    person = register()
    caller = api(people["unscoped"])
    assert caller.get(f"/api/persons/{person.uuid}").status_code == 404
    assert caller.get("/api/persons").json()["count"] == 0


def test_migration_status_is_shown_to_health_roles_only(api, people, register):
    person = register()
    assert (
        api(people["clinician"]).get(f"/api/persons/{person.uuid}").json()["episodes"][0]["status"]
        == "REG_LAB"
    )
    body = api(people["tak_officer"]).get(f"/api/persons/{person.uuid}").json()
    assert body["episodes"] is None
    assert "REG_LAB" not in json.dumps(body)


# -- update ----------------------------------------------------------------------------------


def test_update_changes_only_given_fields(api, people, register):
    person = register(names=[{"text": "ကျော်ဝင်း"}])
    response = api(people["clinician"]).patch(
        f"/api/persons/{person.uuid}", {"birth_date": "1985", "sex": "male"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["birth_date"] == "1985"
        and body["birth_date_precision"] == "year"
        and body["sex"] == "male"
    )
    assert body["name"] == "ကျော်ဝင်း" and len(body["identifiers"]) == 1


def test_update_names_reindexes_search(api, people, register):
    person = register(names=[{"text": "ကျော်ဝင်း"}])
    caller = api(people["clinician"])
    caller.patch(f"/api/persons/{person.uuid}", {"names": [{"text": "Thida Aye"}]})
    assert caller.get("/api/persons", q="Kyaw Win").json()["count"] == 0
    assert caller.get("/api/persons", q="thida").json()["count"] == 1


def test_update_out_of_scope_is_404_and_changes_nothing(api, people, register):
    person = register()
    response = api(people["hn_clinician"]).patch(f"/api/persons/{person.uuid}", {"sex": "male"})
    assert response.status_code == 404
    person.refresh_from_db()
    assert person.sex == "female"


def test_update_by_read_only_role_is_refused(api, people, register):
    person = register()
    response = api(people["tak_officer"]).patch(f"/api/persons/{person.uuid}", {"sex": "male"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.sex == "female"


def test_invalid_update_writes_nothing(api, people, register):
    person = register(
        birth_date="2000-01-01", episodes=[{"status": "REG_LAB", "start_date": "2018-01-01"}]
    )
    response = api(people["clinician"]).patch(
        f"/api/persons/{person.uuid}", {"sex": "male", "birth_date": "2019-01-01"}
    )
    assert response.status_code == 422
    assert ("birth_date",) in field_locs(response)
    person.refresh_from_db()
    assert person.sex == "female" and person.birth_date.year == 2000


BIRTH_DATES = [("2002", None), ("2003-01", None), ("2003-02-01", None), ("2003-02-02", None),
               ("2010-01-01", None), ("2015-06-09", None), ("2015-06-10", None),
               ("2015-06-11", None), ("2015-06", None), ("2016", None), ("2016", "estimated"),
               ("2021", "estimated"), ("2015-02-30", None), ("2999-01-01", None)]  # fmt: skip
HIDDEN_EPISODES = [
    [],
    [{"status": "IRR", "start_date": "2015-06-10"}],
    [{"status": "REF", "start_date": "2003-02-01"}, {"status": "IRR"}],
    [{"status": "RET_INT", "start_date": "2020-12-31", "end_date": "2021-03-01"}],
]


def test_a_role_that_does_not_see_migration_status_learns_nothing_of_it_from_birth_dates(
    api, client, people, register
):
    """Every date of birth is accepted or refused, with the same answer, whatever the person's
    migration episodes hold: an administrator (who sees no episode) cannot find the day a
    migration started by trying dates."""
    admin = api(people["admin"])
    answers = []
    for episodes in HIDDEN_EPISODES:
        person = register(birth_date="1990-05-01", episodes=episodes)
        seen = []
        for written, precision in BIRTH_DATES:
            response = admin.patch(f"/api/persons/{person.uuid}",
                                   {"birth_date": written, "birth_date_precision": precision})  # fmt: skip
            body = response.json()
            seen.append((written, precision, response.status_code,
                         body.get("detail") or (body["birth_date"], body["birth_date_precision"])))  # fmt: skip
            Person.objects.filter(pk=person.pk).update(birth_date="1990-05-01",
                                                       birth_date_precision="month")  # fmt: skip
        answers.append(seen)
    assert all(seen == answers[0] for seen in answers[1:])
    assert [code for *_, code, _answer in answers[0]].count(200) == len(BIRTH_DATES) - 2

    # A clinician sees the episodes: a date after one starts is still refused to them.
    person = register(birth_date="1990-05-01", episodes=HIDDEN_EPISODES[1])
    clinician = api(people["clinician"])
    refused = clinician.patch(f"/api/persons/{person.uuid}", {"birth_date": "2015-06-11"})
    assert refused.status_code == 422 and ("birth_date",) in field_locs(refused)
    # What the administrator's change leaves is shown to health staff on the person's page, and
    # is refused when one of them next saves the date of birth.
    assert admin.patch(f"/api/persons/{person.uuid}", {"birth_date": "2016"}).status_code == 200
    notice = "A migration episode starts before the date of birth"
    client.force_login(people["clinician"])
    assert notice in client.get(f"/people/{person.uuid}/").content.decode()
    changed = clinician.patch(f"/api/persons/{person.uuid}", {"birth_date": "2016-02"})
    assert changed.status_code == 422 and ("birth_date",) in field_locs(changed)
    # Saved unchanged with another change, the date does not stop it.
    unchanged = clinician.patch(
        f"/api/persons/{person.uuid}", {"birth_date": "2016", "sex": "male"}
    )
    assert unchanged.status_code == 200 and unchanged.json()["sex"] == "male"
    assert clinician.patch(f"/api/persons/{person.uuid}", {"birth_date": "1992"}).status_code == 200
    assert notice not in client.get(f"/people/{person.uuid}/").content.decode()
    client.force_login(people["admin"])
    admin.patch(f"/api/persons/{person.uuid}", {"birth_date": "2016"})
    assert notice not in client.get(f"/people/{person.uuid}/").content.decode()


def test_transfer_to_a_site_outside_scope_is_refused(api, people, register):
    person = register()
    response = api(people["clinician"]).patch(
        f"/api/persons/{person.uuid}", {"registration_site": "SPS-CAMR"}
    )
    assert response.status_code == 422
    person.refresh_from_db()
    assert person.registration_site.code == "MSOT-CLIN"


# -- schema -----------------------------------------------------------------------------------


def test_openapi_lists_the_persons_endpoints(client):
    spec = client.get("/api/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/api/persons"])
    assert {"get", "patch"} <= set(spec["paths"]["/api/persons/{person_id}"])


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs").content.decode()
    assert "cdn" not in page.lower() and "unpkg" not in page and "jsdelivr" not in page


def test_schema_errors_and_service_errors_share_one_shape(api, people, world):
    caller = api(people["clinician"])
    schema = caller.post("/api/persons", {**PersonDataFactory(), "names": "not a list"})
    service = caller.post("/api/persons", PersonDataFactory(nationality="XQ"))
    assert schema.status_code == service.status_code == 422
    assert schema.json()["detail"][0]["loc"][:2] == ["body", "names"]
    assert service.json()["detail"][0]["loc"] == ["body", "nationality"]


def test_names_with_a_stroked_o_and_acute_get_their_search_keys_rebuilt(api, people, register):
    from importlib import import_module

    from django.apps import apps

    from mhis.registry.models import NameKey

    person = register(names=[{"text": "Ǿrsted Nielsen"}])
    # Keys as folding used to make them: ǿ kept as ø.
    NameKey.objects.filter(person=person).delete()
    NameKey.objects.bulk_create(
        NameKey(person=person, key=k) for k in ("nielsen", "ørsted", "ørstednielsen")
    )
    caller = api(people["clinician"])
    assert caller.get("/api/persons", q="Orsted").json()["count"] == 0
    import_module(
        "mhis.registry.migrations.0006_refold_keys_of_letters_built_on_stroked_o"
    ).rebuild(apps, None)
    assert [r["id"] for r in caller.get("/api/persons", q="Orsted").json()["results"]] == [
        str(person.uuid)
    ]
