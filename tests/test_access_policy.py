"""The access policy: one table of capabilities by role, one `require`, one scope rule for
reading and writing a person (ADR 0013)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from mhis.access.models import Role
from mhis.access.policy import POLICY, TABLE, Can, _parse, allowed, require, roles_with
from mhis.access.services import create_user
from mhis.care import services as care
from mhis.registry.models import Person


def test_every_role_has_a_column_and_every_capability_a_line():
    assert set(POLICY) == set(Role.values)
    granted = set().union(*POLICY.values())
    assert granted == set(Can)  # no capability is granted to nobody


def test_a_table_that_forgets_a_capability_or_misspells_a_mark_is_refused():
    lines = TABLE.strip().splitlines()
    with pytest.raises(ValueError, match="every capability"):
        _parse("\n".join(lines[:-1]))
    with pytest.raises(ValueError, match="malformed"):
        _parse("\n".join([*lines[:-1], lines[-1].replace(".", "?", 1)]))


def test_migration_status_is_seen_only_by_those_who_care_for_people():
    assert roles_with(Can.SEE_MIGRATION_STATUS) == {"clinician", "chw"}
    # Roles that read individuals without their status never break aggregates down by it.
    readers_blind = roles_with(Can.READ_PERSON) - roles_with(Can.SEE_MIGRATION_STATUS)
    assert readers_blind and not readers_blind & roles_with(Can.INDICATORS_BY_STATUS)
    # Exact counts only for roles that see the people counted anyway.
    assert roles_with(Can.EXACT_INDICATORS) <= roles_with(Can.SEE_MIGRATION_STATUS)


def test_require_refuses_by_capability_then_by_scope(world, people, register):
    person = register()  # at the Mae Sot clinic
    require(people["clinician"], Can.WRITE_PERSON, person)
    with pytest.raises(PermissionDenied, match="cannot register or change"):
        require(people["tak_officer"], Can.WRITE_PERSON, person)
    with pytest.raises(PermissionDenied, match="not in your places"):
        require(people["hn_clinician"], Can.WRITE_PERSON, person)
    inactive = people["clinician"]
    inactive.is_active = False
    assert not allowed(inactive, Can.READ_PERSON)


@pytest.fixture
def referred(world, people, register):
    """A person registered in Mae Sot and referred to the Ranong port health corner."""
    person = register()
    care.refer(people["clinician"], person, {"site": "MSOT-CLIN", "kind": "medical",
                                             "reason": "Follow-up", "to_site": "RNG-PORT"})  # fmt: skip
    return person


def test_the_receiving_site_edits_the_person_it_can_open(client, api, world, people, referred):
    """Reading and writing follow one rule: a clinician at the receiving site, who can open the
    person, can also correct their record (it answered 500 when writing asked for the
    registration site instead)."""
    ranong = create_user(username="ranong_clinician", password=None, role="clinician",
                         places=[world["RANONG"]])  # fmt: skip
    path = f"/api/persons/{referred.uuid}"
    assert api(ranong).get(path).status_code == 200
    response = api(ranong).patch(path, {"contact": "+66 81 234 5678"})
    assert response.status_code == 200, response.content
    assert Person.objects.get(pk=referred.pk).contact == "+66 81 234 5678"
    # The page too: the form keeps the registration site, which is not Ranong's.
    client.force_login(ranong)
    page = client.get(f"/people/{referred.uuid}/edit/")
    assert page.status_code == 200
    form = dict(page.context["form"].initial)
    form.update(contact="+66 81 000 0000")
    response = client.post(f"/people/{referred.uuid}/edit/", form)
    assert response.status_code == 302, response.context["form"].errors
    assert Person.objects.get(pk=referred.pk).contact == "+66 81 000 0000"
    # Moving the registration to a site outside Ranong's places is still refused.
    response = api(ranong).patch(path, {"registration_site": "MSOT-BRDG"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "registration_site"


@pytest.mark.parametrize("role", Role.values)
def test_every_role_at_the_receiving_site_is_answered_by_the_policy(api, world, referred, role):
    user = create_user(username=f"receiving_{role}", password=None, role=role,
                       places=[world["RANONG"]])  # fmt: skip
    response = api(user).patch(f"/api/persons/{referred.uuid}", {"contact": "x"})
    if allowed(user, Can.WRITE_PERSON):
        assert response.status_code == 200
    elif allowed(user, Can.READ_PERSON):
        assert response.status_code == 403  # seen, not changed: the policy's refusal
    else:
        assert response.status_code == 404  # not even seen


def test_out_of_scope_editors_never_find_the_person(api, people, referred):
    response = api(people["hn_clinician"]).patch(f"/api/persons/{referred.uuid}", {"contact": "x"})
    assert response.status_code == 404
