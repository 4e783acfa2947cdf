"""Journeys of tasks that had no page: consent recorded on the person's page before a
SMART Health Link is made, and an outreach contact recorded by a volunteer on a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

# A person registered in Mae Sot who has not consented to sharing their record (no consent
# to sharing that stands): printed as uuid|name.
WITHOUT_SHARING = """
from mhis.registry.models import Consent, Person
sharing = Consent.objects.filter(scope="sharing", withdrawn_on=None).values("person")
p = (Person.objects.filter(registration_site__code__startswith="TH-MSOT", merged_into=None)
     .exclude(pk__in=sharing).order_by("pk").first())
print(f"{p.uuid}|{p.display_name}")
"""

CONTACTS_BY_VOLUNTEER = """
from mhis.outreach.models import Contact
print(Contact.objects.filter(recorded_by__username="volunteer", topic="dengue",
                             age_group="Y15T24", referred=True).count())
"""


@pytest.mark.journey("consent")
def test_clinician_records_consent_to_sharing_then_creates_a_link_and_withdrawal_revokes_it(
    page, server, login, shot
):
    uuid, name = server.shell(WITHOUT_SHARING).splitlines()[-1].split("|")
    login(page, "clinician")
    page.goto(f"/people/{uuid}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)

    # Without the consent, the sharing page says so and leads back to recording it.
    page.get_by_role("link", name="Share the record").first.click()
    expect(page.get_by_role("button", name="Create the link")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("has not consented to sharing")
    page.get_by_role("link", name="Record").first.click()

    # A refused save: a consent dated tomorrow.
    form = page.locator("form[action$='/consents/']")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    form.get_by_label("Consent to").select_option(label="Sharing the record with other providers")
    form.get_by_label("Given on").fill(tomorrow)
    form.get_by_role("button", name="Record the consent").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Consent cannot be given in the future.")
    expect(summary).to_be_focused()
    form = page.locator("form[action$='/consents/']")
    expect(form.get_by_label("Given on")).to_have_value(tomorrow)  # what was typed is kept
    expect(form.get_by_label("Consent to")).to_have_value("sharing")
    shot(page, "refused")
    summary.get_by_role("link", name=re.compile("Given on")).click()
    expect(form.get_by_label("Given on")).to_be_focused()

    form.get_by_label("Given on").fill(dt.date.today().isoformat())
    form.get_by_role("button", name="Record the consent").click()
    expect(page.locator("main")).to_contain_text("Consent recorded")
    sharing = page.locator(".consents .card").filter(
        has_text="Sharing the record with other providers"
    )
    expect(sharing).to_contain_text("Stands")
    shot(page, "recorded")

    page.get_by_role("link", name="Share the record").first.click()
    page.get_by_label("Label:").fill("For the TB clinic in Tak")
    page.get_by_role("button", name="Create the link").click()
    card = page.locator("section.card").filter(has_text="For the TB clinic in Tak")
    expect(card.locator(".qr svg")).to_be_visible()
    shot(page, "link")

    # The person withdraws their consent: the link stops opening at once.
    page.get_by_role("link", name="Record").first.click()
    sharing = page.locator(".consents .card").filter(
        has_text="Sharing the record with other providers"
    )
    sharing.get_by_role("button", name=re.compile("Record the withdrawal")).click()
    expect(page.locator("main")).to_contain_text("Withdrawal recorded")
    sharing = page.locator(".consents .card").filter(
        has_text="Sharing the record with other providers"
    )
    expect(sharing).to_contain_text("Withdrawn")
    page.get_by_role("link", name="Share the record").first.click()
    card = page.locator("section.card").filter(has_text="For the TB clinic in Tak")
    expect(card).to_contain_text("Revoked")
    expect(card.locator(".qr svg")).to_have_count(0)
    shot(page, "revoked")


@pytest.mark.journey("outreach-contact")
def test_volunteer_records_an_outreach_contact_on_a_phone(page, server, login, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    before = int(server.shell(CONTACTS_BY_VOLUNTEER).splitlines()[-1])
    login(page, "volunteer")
    page.goto("/outreach/")
    page.get_by_role("link", name="Record an outreach contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an outreach contact")
    expect(page.get_by_label("Date")).to_have_value(dt.date.today().isoformat())  # today
    shot(page, "form")

    # A refused save: no topic.
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label("Age group").select_option(label="15–24 years")
    page.get_by_label("Referred to a health service").check()
    page.get_by_role("button", name="Save the contact").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("Topic"))).to_be_visible()
    expect(page.get_by_label("Sex")).to_have_value("female")  # kept
    expect(page.get_by_label("Age group")).to_have_value("Y15T24")
    expect(page.get_by_label("Referred to a health service")).to_be_checked()
    shot(page, "refused")

    page.get_by_label("Topic").select_option(label="Dengue")
    page.get_by_role("button", name="Save the contact").click()
    expect(page.locator("main")).to_contain_text("Contact recorded")
    expect(page.get_by_label("Date")).to_have_value(dt.date.today().isoformat())
    shot(page, "saved")
    assert int(server.shell(CONTACTS_BY_VOLUNTEER).splitlines()[-1]) == before + 1
    # No horizontal scrolling on the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
