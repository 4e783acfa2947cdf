"""Households, including family members left behind in the country of origin."""

import pytest

from mhis.access.services import create_user
from mhis.registry.models import HouseholdMember

pytestmark = pytest.mark.django_db


def test_family_left_behind_is_linked_and_listed(api, people, register):
    worker = register(names=[{"text": "ကျော်ဝင်း"}])
    wife = register(
        names=[{"text": "ခင်အေး"}], episodes=[{"status": "FAM_LB", "origin_country": "MM"}]
    )
    caller = api(people["clinician"])
    response = caller.post(
        f"/api/persons/{worker.uuid}/household",
        {
            "member": str(wife.uuid),
            "relationship": "spouse",
            "left_behind": True,
            "country_of_residence": "MM",
        },
    )
    assert response.status_code == 200, response.content
    members = {m["id"]: m for m in response.json()["members"]}
    assert members[str(worker.uuid)]["relationship"] == "head"
    assert members[str(wife.uuid)]["left_behind"] is True
    assert members[str(wife.uuid)]["country_of_residence"] == "MM"
    assert (
        caller.get(f"/api/persons/{wife.uuid}/household").json()["members"]
        == response.json()["members"]
    )


def test_members_outside_scope_are_counted_not_shown(api, people, register):
    worker = register()
    child = register(registration_site="MSOT-BRDG")
    api(people["clinician"]).post(
        f"/api/persons/{worker.uuid}/household",
        {"member": str(child.uuid), "relationship": "child"},
    )
    # The Tak officer sees both; a user scoped to the bridge only sees the child.
    from mhis.places.models import Place

    bridge_user = create_user(
        username="bridge",
        password=None,
        role="clinician",
        places=[Place.objects.get(code="MSOT-BRDG")],
    )
    body = api(bridge_user).get(f"/api/persons/{child.uuid}/household").json()
    assert [m["id"] for m in body["members"]] == [str(child.uuid)]
    assert body["hidden"] == 1


def test_linking_a_person_outside_scope_is_refused_naming_the_field(api, people, register):
    worker = register()
    stranger = register(by=people["hn_clinician"], registration_site="SPS-CAMR")
    response = api(people["clinician"]).post(
        f"/api/persons/{worker.uuid}/household",
        {"member": str(stranger.uuid), "relationship": "spouse"},
    )
    assert response.status_code == 422
    assert any(d["loc"][-1] == "member" for d in response.json()["detail"])
    assert not HouseholdMember.objects.exists()


def test_household_of_a_person_outside_scope_is_404(api, people, register):
    worker = register()
    assert (
        api(people["hn_clinician"]).get(f"/api/persons/{worker.uuid}/household").status_code == 404
    )


def test_read_only_roles_cannot_link(api, people, register):
    worker, other = register(), register()
    response = api(people["tak_officer"]).post(
        f"/api/persons/{worker.uuid}/household",
        {"member": str(other.uuid), "relationship": "sibling"},
    )
    assert response.status_code == 403
    assert not HouseholdMember.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"relationship": "cousin"}, "relationship"),
        ({"relationship": "head"}, "relationship"),
        ({"country_of_residence": "XQ"}, "country_of_residence"),
    ],
)
def test_bad_links_name_the_field_and_write_nothing(api, people, register, change, field):
    worker, other = register(), register()
    body = {"member": str(other.uuid), "relationship": "spouse", **change}
    response = api(people["clinician"]).post(f"/api/persons/{worker.uuid}/household", body)
    assert response.status_code == 422
    assert any(d["loc"][-1] == field for d in response.json()["detail"])
    assert not HouseholdMember.objects.exists()


def test_a_person_belongs_to_one_household(api, people, register):
    first, second, child = register(), register(), register()
    caller = api(people["clinician"])
    caller.post(
        f"/api/persons/{first.uuid}/household", {"member": str(child.uuid), "relationship": "child"}
    )
    response = caller.post(
        f"/api/persons/{second.uuid}/household",
        {"member": str(child.uuid), "relationship": "child"},
    )
    assert response.status_code == 422
    assert any(d["loc"][-1] == "member" for d in response.json()["detail"])


def test_person_page_lists_the_household(client, people, register):
    worker = register(names=[{"text": "Kyaw Win"}])
    wife = register(names=[{"text": "Khin Aye"}])
    from mhis.registry.households import add_household_member

    add_household_member(
        people["clinician"],
        worker,
        {
            "member": str(wife.uuid),
            "relationship": "spouse",
            "left_behind": True,
            "country_of_residence": "MM",
        },
    )
    client.force_login(people["clinician"])
    page = client.get(f"/people/{worker.uuid}/").content.decode()
    assert "Khin Aye" in page and "Spouse or partner" in page and "left behind" in page


def test_every_member_whose_name_is_shown_is_logged_as_read(api, client, people, register):
    from mhis.access.models import AccessLog
    from mhis.places.models import Place

    worker = register(names=[{"text": "Kyaw Win"}])
    wife = register(names=[{"text": "Khin Aye"}])
    child = register(names=[{"text": "Aung Aung"}], registration_site="MSOT-BRDG")
    caller = api(people["clinician"])
    for member, relationship in ((wife, "spouse"), (child, "child")):
        caller.post(f"/api/persons/{worker.uuid}/household",
                    {"member": str(member.uuid), "relationship": relationship})  # fmt: skip

    def reads(person, view, user=people["clinician"]):
        return AccessLog.objects.filter(user=user, person=person, view=view).count()

    # Each answer to a change lists the household: those listed are logged with it.
    assert reads(wife, "api:household_update") == 2 and reads(child, "api:household_update") == 1
    # Reading the wife's household through the API shows the worker's and the child's names.
    body = caller.get(f"/api/persons/{wife.uuid}/household").json()
    assert {m["name"] for m in body["members"]} == {"Kyaw Win", "Khin Aye", "Aung Aung"}
    assert reads(worker, "api:household_read") == 1 and reads(child, "api:household_read") == 1
    assert reads(wife, "api:household_read") == 1  # the person asked for, logged once
    # The worker's page lists his wife and child.
    client.force_login(people["clinician"])
    page = client.get(f"/people/{worker.uuid}/").content.decode()
    assert "Khin Aye" in page and "Aung Aung" in page
    assert reads(wife, "page:person_household") == 1 and reads(child, "page:person_household") == 1
    assert reads(worker, "page:person") == 1 and reads(worker, "page:person_household") == 0
    # Someone scoped to the bridge sees the child's household: only the child is shown, and
    # nobody hidden from them is logged as read by them.
    bridge = create_user(username="bridge", password=None, role="clinician",
                         places=[Place.objects.get(code="MSOT-BRDG")])  # fmt: skip
    body = api(bridge).get(f"/api/persons/{child.uuid}/household").json()
    assert [m["name"] for m in body["members"]] == ["Aung Aung"] and body["hidden"] == 2
    assert not AccessLog.objects.filter(user=bridge, person__in=[worker, wife]).exists()
