"""An outreach contact in one screen: the form a volunteer fills on a phone, checked by the
same service (and contract) as the imports; other roles and other places are refused."""

import datetime as dt

import pytest
from django.utils import timezone

from mhis.outreach import services
from mhis.outreach.models import Contact

URL = "/outreach/contacts/new/"


@pytest.fixture
def workers(people):
    admin = people["admin"]
    services.save_worker(admin, {"code": "VOL-RNG", "name": "Ma Aye", "kind": "volunteer", "site": "RNG-PORT"})  # fmt: skip
    services.save_worker(admin, {"code": "CHW-MSOT", "name": "Ko Zaw", "kind": "chw", "site": "MSOT-CLIN"})  # fmt: skip


def test_the_overview_links_to_the_form_for_roles_that_record(client, people):
    client.force_login(people["chw"])
    assert URL in client.get("/outreach/").content.decode()
    client.force_login(people["hn_analyst"])
    assert URL not in client.get("/outreach/").content.decode()


def test_the_form_starts_from_today_and_the_users_site(client, people, workers):
    client.force_login(people["chw"])
    page = client.get(URL).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page
    assert '<option value="RNG-PORT" selected>' in page  # the volunteer's only site
    assert "MSOT-CLIN" not in page and "CHW-MSOT" not in page  # nothing outside their places
    assert "VOL-RNG" in page


def test_a_contact_is_saved_and_the_next_form_keeps_the_day_site_and_worker(
    client, people, workers
):
    client.force_login(people["chw"])
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(URL, {"date": day, "topic": "tb", "sex": "female", "age_group": "Y25T49",
                                 "referred": "on", "site": "RNG-PORT", "worker": "VOL-RNG"})  # fmt: skip
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.date.isoformat(), contact.topic, contact.sex, contact.age_group) == (day, "tb", "female", "Y25T49")  # fmt: skip
    assert contact.referred and contact.site.code == "RNG-PORT" and contact.worker.code == "VOL-RNG"
    assert contact.recorded_by == people["chw"] and contact.person is None
    assert response["Location"] == f"{URL}?date={day}&site=RNG-PORT&worker=VOL-RNG"
    page = client.get(response["Location"]).content.decode()
    assert f'value="{day}"' in page and '<option value="VOL-RNG" selected>' in page


def test_a_refused_contact_names_each_field_and_keeps_what_was_typed(client, people, workers):
    client.force_login(people["chw"])
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.post(URL, {"date": future, "topic": "", "sex": "female", "site": "RNG-PORT",
                                 "person": "not-an-id"})  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_topic"' in page
    assert not Contact.objects.exists()
    # the form is complete: the service (the import's rules) names the rest
    response = client.post(URL, {"date": future, "topic": "tb", "sex": "female", "site": "RNG-PORT",
                                 "person": "not-an-id"})  # fmt: skip
    page = response.content.decode()
    assert 'href="#id_date"' in page and 'href="#id_person"' in page
    assert "No person with this id in your places." in page
    assert f'value="{future}"' in page and 'value="not-an-id"' in page
    assert '<option value="female" selected>' in page
    assert not Contact.objects.exists()


def test_the_same_rules_as_an_import(people, workers):
    """What the page refuses is what `record_contact` refuses for an import row."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.record_contact(people["chw"], {"date": "2025-01-01", "topic": "tb", "site": "RNG-PORT", "worker": "CHW-MSOT"})  # fmt: skip
    assert set(caught.value.message_dict) == {"worker"}


def test_a_worker_or_site_outside_the_users_places_is_refused(client, people, workers):
    client.force_login(people["chw"])
    day = timezone.localdate().isoformat()
    response = client.post(URL, {"date": day, "topic": "tb", "site": "MSOT-CLIN", "worker": "CHW-MSOT"})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and 'href="#id_site"' in page and 'href="#id_worker"' in page
    assert not Contact.objects.exists()


@pytest.mark.parametrize("persona", ["tak_officer", "hn_analyst", "viewer"])
def test_other_roles_are_refused(client, people, workers, persona):
    client.force_login(people[persona])
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"date": "2025-01-01", "topic": "tb", "site": "RNG-PORT"}).status_code == 403  # fmt: skip
    assert not Contact.objects.exists()


def test_a_user_without_places_records_nothing(client, people):
    client.force_login(people["unscoped"])  # a clinician with no place scope
    response = client.post(URL, {"date": "2025-01-01", "topic": "tb", "site": "RNG-PORT"})
    assert response.status_code == 200 and 'href="#id_site"' in response.content.decode()
    assert not Contact.objects.exists()


def test_the_site_offered_first_is_that_of_the_users_last_contact(client, people, workers):
    user = people["clinician"]  # Mae Sot: the clinic and the bridge
    services.record_contact(user, {"date": "2025-01-01", "topic": "tb", "site": "MSOT-BRDG"})
    client.force_login(user)
    assert '<option value="MSOT-BRDG" selected>' in client.get(URL).content.decode()


def test_only_the_topic_need_be_chosen(client, people):
    client.force_login(people["chw"])
    day = timezone.localdate().isoformat()
    response = client.post(URL, {"date": day, "topic": "hygiene", "sex": "", "age_group": "",
                                 "site": "RNG-PORT", "worker": "", "corner": "", "person": ""})  # fmt: skip
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.sex, contact.age_group, contact.referred) == ("unknown", "UNK", False)
    assert contact.worker is None and contact.corner is None
