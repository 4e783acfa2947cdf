"""A role that may not see migration status (administrator, surveillance officer, viewer) never
writes it — migration episodes, and where a household member lives, are written only by the
roles shown status — nor reads it in a household or in the length of an "identity document"."""

from __future__ import annotations

import pytest

from mhis.access.policy import Can, roles_with
from mhis.access.services import create_user
from mhis.registry.models import HouseholdMember, MigrationEpisode, Person

NEUTRAL = ["national_id", "work_permit", "refugee_number", "case_number"]
BLIND = sorted(roles_with(Can.READ_PERSON) - roles_with(Can.SEE_MIGRATION_STATUS))
BLIND_WRITERS = sorted(set(BLIND) & roles_with(Can.WRITE_PERSON))


def _blind(role, world):
    return create_user(username=f"blind_{role}", password=None, role=role, places=[world["TH"]])


# -- the API and the pages --------------------------------------------------------------------


@pytest.mark.parametrize("role", BLIND_WRITERS)
def test_a_role_that_may_not_see_status_cannot_write_episodes(world, people, register, api, role):
    """docs/security.md: episodes are written only by the roles shown them. Replacing (or
    erasing) a person's episodes, or registering a person with one, is refused naming
    `episodes`; registering with none is taken."""
    person = register(episodes=[{"status": "ASY", "origin_country": "MM",
                                  "destination_country": "TH", "start_date": "2020-01-01"}])  # fmt: skip
    writer = api(_blind(role, world))
    for episodes in ([{"status": "HOST", "origin_country": "TH"}], [], None):
        response = writer.patch(f"/api/persons/{person.uuid}", {"episodes": episodes})
        assert response.status_code == 422, response.content
        assert [d["loc"][-1] for d in response.json()["detail"]] == ["episodes"]
    assert list(MigrationEpisode.objects.filter(person=person).values_list("status", flat=True)) == ["ASY"]  # fmt: skip
    body = {"registration_site": "MSOT-CLIN", "names": [{"text": "Naw Eh Say"}]}
    response = writer.post("/api/persons", {**body, "episodes": [{"status": "HOST"}]})
    assert response.status_code == 422
    assert [d["loc"][-1] for d in response.json()["detail"]] == ["episodes"]
    assert writer.post("/api/persons", body).status_code == 201
    assert writer.patch(f"/api/persons/{person.uuid}", {"contact": "0812345678"}).status_code == 200
    assert MigrationEpisode.objects.count() == 1


def test_a_role_shown_status_still_writes_episodes(people, register, api):
    person = register(episodes=[{"status": "ASY", "origin_country": "MM"}])
    response = api(people["clinician"]).patch(f"/api/persons/{person.uuid}",
                                              {"episodes": [{"status": "REF", "origin_country": "MM"}]})  # fmt: skip
    assert response.status_code == 200
    assert [e["status"] for e in response.json()["episodes"]] == ["REF"]


@pytest.mark.parametrize("role", BLIND_WRITERS)
def test_the_registration_and_edit_pages_send_no_episode_for_a_role_not_shown_status(
    world, client, register, role
):
    user = _blind(role, world)
    client.force_login(user)
    form = client.get("/people/new/").content.decode()
    assert 'name="migration_status"' not in form and 'name="origin_country"' not in form
    response = client.post("/people/new/", {"registration_site": "MSOT-CLIN", "name": "Naw Eh Say",
                                            "sex": "female", "migration_status": "IRR",
                                            "origin_country": "MM"})  # fmt: skip
    assert response.status_code == 302
    person = Person.objects.get(display_name="Naw Eh Say")
    assert not person.episodes.exists()
    refugee = register(episodes=[{"status": "REF", "origin_country": "MM"}])
    response = client.post(f"/people/{refugee.uuid}/edit/", {"registration_site": "MSOT-CLIN",
                                                             "name": "Changed", "sex": "male"})  # fmt: skip
    assert response.status_code == 302
    assert list(refugee.episodes.values_list("status", flat=True)) == ["REF"]


# -- households -------------------------------------------------------------------------------


@pytest.fixture
def left_behind(people, register, api):
    worker = register(names=[{"text": "Kyaw Win"}])
    wife = register(names=[{"text": "Khin Aye"}], episodes=[{"status": "FAM_LB", "origin_country": "MM"}])  # fmt: skip
    api(people["clinician"]).post(f"/api/persons/{worker.uuid}/household",
                                  {"member": str(wife.uuid), "relationship": "spouse",
                                   "left_behind": True, "country_of_residence": "MM"})  # fmt: skip
    return worker, wife


@pytest.mark.parametrize("role", BLIND)
def test_where_a_household_member_lives_is_not_shown_to_a_role_not_shown_status(
    world, api, client, left_behind, role
):
    """A member left behind in the country of origin is the status "family member left
    behind" (FAM_LB): to a role not shown status, `left_behind` and `country_of_residence` are
    null, and the person page has no "Lives in" column."""
    worker, wife = left_behind
    user = _blind(role, world)
    members = {m["id"]: m for m in api(user).get(f"/api/persons/{worker.uuid}/household").json()["members"]}  # fmt: skip
    assert {(m["left_behind"], m["country_of_residence"]) for m in members.values()} == {
        (None, None)
    }
    assert members[str(wife.uuid)]["name"] == "Khin Aye"
    client.force_login(user)
    page = client.get(f"/people/{worker.uuid}/").content.decode()
    assert "Khin Aye" in page and "left behind" not in page and "Lives in" not in page


@pytest.mark.parametrize("role", BLIND_WRITERS)
def test_a_role_not_shown_status_does_not_write_where_a_member_lives(
    world, api, register, left_behind, role
):
    worker, wife = left_behind
    writer = api(_blind(role, world))
    for given in ({"left_behind": True}, {"country_of_residence": "MM"}):
        body = {"member": str(wife.uuid), "relationship": "spouse", **given}
        response = writer.post(f"/api/persons/{worker.uuid}/household", body)
        assert response.status_code == 422
        assert [d["loc"][-1] for d in response.json()["detail"]] == list(given)
    # Adding the member again (here: another relationship) keeps where she lives.
    response = writer.post(f"/api/persons/{worker.uuid}/household",
                           {"member": str(wife.uuid), "relationship": "other"})  # fmt: skip
    assert response.status_code == 200, response.content
    row = HouseholdMember.objects.get(person=wife)
    assert (row.relationship, row.left_behind, row.country_of_residence) == ("other", True, "MM")
    child = register()
    response = writer.post(f"/api/persons/{worker.uuid}/household",
                           {"member": str(child.uuid), "relationship": "child"})  # fmt: skip
    assert response.status_code == 200
    assert not HouseholdMember.objects.get(person=child).left_behind


# -- identifiers ------------------------------------------------------------------------------


def test_the_types_shown_as_an_identity_document_have_the_same_lengths():
    from mhis.registry.codes import NEUTRAL_IDENTIFIER_TYPES
    from mhis.registry.validation import IDENTIFIER_LENGTHS

    assert len({IDENTIFIER_LENGTHS[kind] for kind in NEUTRAL_IDENTIFIER_TYPES}) == 1


@pytest.mark.parametrize("role", BLIND)
def test_the_length_of_an_identity_document_says_nothing_of_its_type(world, register, api, role):
    """An identity document of 3 characters could be any of the types shown that way, and each
    of them is taken with 3 characters."""
    from mhis.registry.validation import IDENTIFIER_LENGTHS, clean_identifier, normalise_identifier

    person = register(
        identifiers=[{"type": "case_number", "issuing_country": "TH", "value": "K79"}]
    )
    [shown] = api(_blind(role, world)).get(f"/api/persons/{person.uuid}").json()["identifiers"]
    assert shown["type"] == "identity_document"
    length = len(normalise_identifier(shown["value"]))
    assert all(IDENTIFIER_LENGTHS[k][0] <= length <= IDENTIFIER_LENGTHS[k][1] for k in NEUTRAL)
    for kind in NEUTRAL:
        assert clean_identifier(kind, "K79") == ("K79", "K79")
