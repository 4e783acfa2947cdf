"""Consents recorded and withdrawn from the person's page: the history is kept, a role that
does not change records or a user outside the person's places is refused, recording the
consent to sharing opens SMART Health Links, and withdrawing it revokes them."""

import datetime as dt

import pytest
from django.utils import timezone

from mhis.portable import links
from mhis.portable.models import SharedLink
from mhis.registry.models import Consent


@pytest.fixture
def person(register):
    return register(consents=[{"scope": "care", "given_on": "2026-01-15"}])


def _url(person, *rest):
    return "/".join([f"/people/{person.uuid}", *rest, ""])


def _share(person):
    return f"/record/{person.uuid}/links/"


def test_the_person_page_offers_recording_a_consent(client, people, person):
    client.force_login(people["clinician"])
    page = client.get(_url(person)).content.decode()
    assert f'action="{_url(person, "consents")}"' in page
    assert "Care and record keeping" in page  # the consent already recorded is listed


def test_a_consent_is_recorded_with_its_scope_date_and_recorder(client, people, person):
    client.force_login(people["clinician"])
    day = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    response = client.post(_url(person, "consents"), {"scope": "sharing", "given_on": day})
    assert response.status_code == 302 and response["Location"].endswith("/#consents")
    consent = person.consents.get(scope="sharing")
    assert consent.given_on.isoformat() == day
    assert consent.recorded_by == people["clinician"] and consent.withdrawn_on is None
    assert "Sharing the record with other providers" in client.get(_url(person)).content.decode()


def test_a_consent_without_a_date_is_given_today(client, people, person):
    client.force_login(people["clinician"])
    client.post(_url(person, "consents"), {"scope": "contact", "given_on": ""})
    assert person.consents.get(scope="contact").given_on == timezone.localdate()


def test_a_refused_consent_names_the_field_and_keeps_what_was_typed(client, people, person):
    client.force_login(people["clinician"])
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(_url(person, "consents"), {"scope": "sharing", "given_on": future})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_given_on"' in page and "Consent cannot be given in the future." in page
    assert f'value="{future}"' in page  # kept
    assert not person.consents.filter(scope="sharing").exists()

    response = client.post(_url(person, "consents"), {"scope": "", "given_on": ""})
    assert 'href="#id_scope"' in response.content.decode()


def test_a_consent_that_stands_is_not_recorded_twice(client, people, person):
    client.force_login(people["clinician"])
    response = client.post(_url(person, "consents"), {"scope": "care", "given_on": ""})
    assert response.status_code == 200 and 'href="#id_scope"' in response.content.decode()
    assert person.consents.filter(scope="care").count() == 1


def test_recording_the_consent_to_sharing_lets_a_link_be_made(client, people, person):
    client.force_login(people["clinician"])
    page = client.get(_share(person)).content.decode()
    assert "has not consented" in page and f"{_url(person, 'consents')}?scope=sharing" in page
    assert client.post(_share(person), {"expires": "30d"}).status_code == 200
    assert not SharedLink.objects.exists()  # refused without the consent

    client.post(_url(person, "consents"), {"scope": "sharing", "given_on": ""})
    response = client.post(_share(person), {"expires": "30d"})
    assert response.status_code == 302
    assert SharedLink.objects.get().person == person


def test_withdrawing_a_consent_keeps_it_in_the_history(client, people, person):
    client.force_login(people["clinician"])
    consent = person.consents.get(scope="care")
    day = timezone.localdate().isoformat()
    response = client.post(
        _url(person, "consents", str(consent.pk), "withdraw"),
        {f"consent-{consent.pk}-withdrawn_on": day},
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on.isoformat() == day and consent.withdrawn_by == people["clinician"]
    assert consent.recorded_by == people["clinician"]  # who recorded the consent itself stays
    page = client.get(_url(person)).content.decode()
    assert "Withdrawn" in page and "Care and record keeping" in page
    # withdrawn: it can be given again, and both stay
    client.post(_url(person, "consents"), {"scope": "care", "given_on": ""})
    assert person.consents.filter(scope="care").count() == 2


def test_a_withdrawal_before_the_consent_is_refused_by_name(client, people, person):
    client.force_login(people["clinician"])
    consent = person.consents.get(scope="care")
    field = f"consent-{consent.pk}-withdrawn_on"
    response = client.post(_url(person, "consents", str(consent.pk), "withdraw"), {field: "2025-01-01"})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and f'href="#id_{field}"' in page
    assert (
        "Consent cannot be withdrawn before it was given." in page and 'value="2025-01-01"' in page
    )
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_a_consent_already_withdrawn_is_not_withdrawn_again(client, people, person):
    client.force_login(people["clinician"])
    consent = person.consents.get(scope="care")
    Consent.objects.filter(pk=consent.pk).update(withdrawn_on=dt.date(2026, 2, 1))
    field = f"consent-{consent.pk}-withdrawn_on"
    response = client.post(_url(person, "consents", str(consent.pk), "withdraw"), {field: ""})
    assert "This consent is already withdrawn." in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_on == dt.date(2026, 2, 1)


def test_withdrawing_the_consent_to_sharing_revokes_the_links(client, people, person):
    client.force_login(people["clinician"])
    client.post(_url(person, "consents"), {"scope": "sharing", "given_on": ""})
    link = links.create_link(people["clinician"], person.uuid, expires="30d")
    sharing = person.consents.get(scope="sharing")
    client.post(_url(person, "consents", str(sharing.pk), "withdraw"), {})
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_reason == SharedLink.Revocation.CONSENT
    assert link.revoked_by == people["clinician"]
    assert client.post(_share(person), {"expires": "30d"}).status_code == 200
    assert SharedLink.objects.count() == 1  # no new link


def test_a_role_that_does_not_change_records_is_refused(client, people, person):
    officer = people["tak_officer"]  # reads the record in Tak, changes nothing
    client.force_login(officer)
    page = client.get(_url(person)).content.decode()
    assert "Record the consent" not in page and "Care and record keeping" in page
    consent = person.consents.get(scope="care")
    assert client.post(_url(person, "consents"), {"scope": "sharing"}).status_code == 403
    response = client.post(_url(person, "consents", str(consent.pk), "withdraw"), {})
    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_on is None and person.consents.count() == 1


def test_a_user_outside_the_persons_places_is_refused(client, people, person):
    client.force_login(people["hn_clinician"])
    consent = person.consents.get(scope="care")
    assert client.get(_url(person, "consents")).status_code == 404
    assert client.post(_url(person, "consents"), {"scope": "sharing"}).status_code == 404
    response = client.post(_url(person, "consents", str(consent.pk), "withdraw"), {})
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_on is None and person.consents.count() == 1


def test_the_consent_of_another_person_is_not_withdrawn_through_this_one(
    client, people, person, register
):
    other = register(consents=[{"scope": "care", "given_on": "2026-01-15"}])
    consent = other.consents.get()
    client.force_login(people["clinician"])
    response = client.post(_url(person, "consents", str(consent.pk), "withdraw"), {})
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_the_services_refuse_other_roles_and_places_whatever_the_door(people, person):
    from django.core.exceptions import PermissionDenied

    from mhis.registry import services

    consent = person.consents.get(scope="care")
    for user in (people["tak_officer"], people["hn_clinician"]):
        with pytest.raises(PermissionDenied):
            services.record_consent(user, person, {"scope": "sharing"})
        with pytest.raises(PermissionDenied):
            services.withdraw_consent(user, consent, {})
    assert person.consents.count() == 1 and person.consents.get().withdrawn_on is None
