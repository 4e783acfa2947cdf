"""Identifier types that tell a migration status (a refugee or asylum number, a work permit, a
case number) are an "identity document" to roles that may not see status — and so is the
national ID, so that the label itself says nothing."""

from __future__ import annotations

import pytest

from mhis.access.policy import Can, allowed
from mhis.access.services import create_user
from mhis.registry.models import Identifier

IDENTIFIERS = [
    {"type": "refugee_number", "issuing_country": "TH", "value": "RF-2219-07"},
    {"type": "national_id", "issuing_country": "MM", "value": "12/KAMANA-123456"},
    {"type": "passport", "issuing_country": "MM", "value": "MB1234567"},
]


@pytest.fixture
def refugee(register):
    return register(identifiers=IDENTIFIERS)


@pytest.mark.parametrize(
    "role", ["clinician", "chw", "administrator", "surveillance_officer", "viewer"]
)
def test_each_role_is_shown_the_types_it_may_see(api, client, world, refugee, role):
    user = create_user(username=f"th_{role}", password=None, role=role, places=[world["TH"]])
    shown = {
        i["value"]: i["type"]
        for i in api(user).get(f"/api/persons/{refugee.uuid}").json()["identifiers"]
    }
    client.force_login(user)
    page = client.get(f"/people/{refugee.uuid}/").content.decode()
    if allowed(user, Can.SEE_MIGRATION_STATUS):
        assert shown == {"RF-2219-07": "refugee_number", "12/KAMANA-123456": "national_id",
                         "MB1234567": "passport"}  # fmt: skip
        assert "Refugee or asylum number" in page
    else:
        assert shown == {"RF-2219-07": "identity_document", "12/KAMANA-123456": "identity_document",
                         "MB1234567": "passport"}  # fmt: skip
        assert "Refugee or asylum number" not in page and "National ID" not in page
        # Each of the two, in the patient banner and in the table of identifiers.
        assert page.count("Identity document") == 4


def test_an_identity_document_sent_back_keeps_the_type_stored(api, world, people, refugee):
    admin = api(people["admin"])
    shown = admin.get(f"/api/persons/{refugee.uuid}").json()["identifiers"]
    response = admin.patch(f"/api/persons/{refugee.uuid}", {"identifiers": shown})
    assert response.status_code == 200, response.content
    kept = dict(Identifier.objects.filter(person=refugee).values_list("value", "type"))
    assert kept == {"RF-2219-07": "refugee_number", "12/KAMANA-123456": "national_id",
                    "MB1234567": "passport"}  # fmt: skip


def test_an_identity_document_not_on_the_record_is_refused_naming_the_field(api, people, refugee):
    response = api(people["admin"]).patch(
        f"/api/persons/{refugee.uuid}",
        {"identifiers": [{"type": "identity_document", "issuing_country": "TH", "value": "X-1"}]},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-2:] == [0, "type"]
