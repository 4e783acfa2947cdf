"""A worker remembers API tokens, their users and scopes between requests (ADR 0034), and
forgets them as soon as any of them changes: the very next request after a token is revoked,
a user deactivated, a role or a scope changed, or a place added or moved, is answered as the
change says — whether the change is made through MHIS or straight in the database (as another
process, or an administrator at the SQL prompt, would), since the counter that says so is moved
by triggers in the database."""

import pytest
from django.db import connection
from django.utils import timezone

from mhis.access import versions
from mhis.access.models import ApiToken, Scope
from mhis.access.services import create_token, forget_tokens, revoke_token
from mhis.places.services import create_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(api, people, register):
    """The Mae Sot clinician's client, which has read a person once (the token remembered)."""
    person = register()
    client = api(people["clinician"])
    assert client.get(f"/api/persons/{person.uuid}").status_code == 200
    assert client.get(f"/api/persons/{person.uuid}").status_code == 200
    client.person = person
    return client


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_remembered_token_costs_one_query_to_check(reader, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        assert reader.get("/api/persons/not-a-uuid").status_code in (404, 422)
    assert "access_version" in captured.captured_queries[0]["sql"]


def test_a_revoked_token_is_refused_at_the_next_request(reader, people):
    revoke_token(ApiToken.objects.get(user=people["clinician"]))
    assert reader.get(f"/api/persons/{reader.person.uuid}").status_code == 401


def test_a_token_revoked_in_the_database_by_another_process_is_refused(reader, people):
    sql("UPDATE access_apitoken SET revoked_at = %s", [timezone.now()])
    assert reader.get(f"/api/persons/{reader.person.uuid}").status_code == 401


def test_a_deleted_token_is_refused(reader):
    sql("DELETE FROM access_apitoken")
    assert reader.get(f"/api/persons/{reader.person.uuid}").status_code == 401


def test_a_deactivated_user_is_refused_at_the_next_request(reader, people):
    user = people["clinician"]
    user.is_active = False
    user.save()
    assert reader.get(f"/api/persons/{reader.person.uuid}").status_code == 401


def test_a_role_changed_in_the_database_takes_effect_at_once(reader, people):
    sql("UPDATE access_user SET role = 'analyst' WHERE id = %s", [people["clinician"].pk])
    refused = reader.get("/api/persons", q="")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your role cannot see individual records."


def test_a_scope_taken_away_hides_the_person_at_the_next_request(reader, people, world):
    Scope.objects.filter(user=people["clinician"]).delete()
    Scope.objects.create(user=people["clinician"], place=world["HN"])
    assert reader.get(f"/api/persons/{reader.person.uuid}").status_code == 404


def test_a_new_site_in_the_scope_can_be_written_at_at_once(reader, world):
    body = {"site": "MSOT-NEW", "kind": "consultation", "date": timezone.localdate().isoformat(),
            "reason": "Fever", "diagnoses": [{"code": "R50.9"}]}  # fmt: skip
    path = f"/api/persons/{reader.person.uuid}/encounters"
    refused = reader.post(path, body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "site"]
    create_place(code="MSOT-NEW", name="New clinic", kind="site", parent=world["MAESOT"],
                 site_type="clinic")  # fmt: skip
    assert reader.post(path, body).status_code == 201


def test_a_site_moved_out_of_the_scope_is_refused_at_once(reader, world, register):
    body = {"site": "MSOT-BRDG", "kind": "consultation", "date": timezone.localdate().isoformat(),
            "reason": "Fever", "diagnoses": [{"code": "R50.9"}]}  # fmt: skip
    path = f"/api/persons/{reader.person.uuid}/encounters"
    assert reader.post(path, body).status_code == 201
    bridge = world["BRIDGE"]
    sql(
        "UPDATE places_place SET parent_id = %s, path = %s WHERE id = %s",
        [world["HN"].pk, f"{world['HN'].path}{bridge.pk}/", bridge.pk],
    )
    refused = reader.post(path, body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "site"]


def test_using_a_token_does_not_make_every_worker_forget_it(
    reader, people, django_assert_num_queries
):
    """The time a token was last used is written once a minute, without moving the counter:
    otherwise no worker could keep anything."""
    forget_tokens()
    ApiToken.objects.filter(user=people["clinician"]).update(last_used_at=None)
    before = versions.current()
    assert reader.get(f"/api/persons/{reader.person.uuid}").status_code == 200
    assert ApiToken.objects.get(user=people["clinician"]).last_used_at is not None
    assert versions.current() == before
    with django_assert_num_queries(1):  # still remembered
        reader.get("/api/persons/not-a-uuid")


def test_the_counter_moves_with_every_watched_table(people, world):
    create_token(people["viewer"])
    for statement, params in (
        ("UPDATE access_user SET first_name = 'X' WHERE id = %s", [people["viewer"].pk]),
        ("DELETE FROM access_scope WHERE user_id = %s", [people["viewer"].pk]),
        ("UPDATE places_place SET name = 'Renamed' WHERE id = %s", [world["BAVET"].pk]),
        ("UPDATE access_apitoken SET revoked_at = %s", [timezone.now()]),
    ):
        before = versions.current()
        sql(statement, params)
        assert versions.current() > before, statement


def test_the_triggers_are_made_again_after_a_migration_drops_them(people):
    """SQLite drops a table's triggers when a migration rebuilds it; `migrate` makes them
    again (post_migrate)."""
    if connection.vendor == "sqlite":
        sql("DROP TRIGGER access_version_access_user_update")
    else:
        sql("DROP TRIGGER access_version_access_user ON access_user")
    before = versions.current()
    sql("UPDATE access_user SET first_name = 'Y' WHERE id = %s", [people["viewer"].pk])
    assert versions.current() == before  # dropped: nothing moves it
    versions.after_migrate(sender=None, using="default")
    sql("UPDATE access_user SET first_name = 'Z' WHERE id = %s", [people["viewer"].pk])
    assert versions.current() > before
