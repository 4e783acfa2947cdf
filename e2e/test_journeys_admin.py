"""The administrator's journey: a new community health worker for one site, from the account
to their first search, which finds the people of their site and nobody else's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import go

# A site with people; one of them (unique Latin name); and someone known at no site of theirs,
# in another country: printed as site name|trail|in-site name|other name.
SITES = """
from django.db.models import Count
from mhis.places.services import trails
from mhis.registry.models import Person, PersonSite
site = (Person.objects.filter(registration_site__code__startswith="TH-MSOT", merged_into=None)
        .values_list("registration_site", flat=True).first())
def unique(people):
    for p in people.order_by("pk")[:200]:
        if Person.objects.filter(display_latin=p.display_latin).count() == 1:
            return p
inside = unique(Person.objects.filter(registration_site=site, merged_into=None)
                .exclude(display_latin=""))
elsewhere = unique(Person.objects.filter(registration_site__country_code="HN", merged_into=None)
                   .exclude(site_links__site=site).exclude(display_latin=""))
place = inside.registration_site
print(f"{place.name}|{trails([place])[place.pk]}|{inside.display_latin}|{elsewhere.display_latin}")
"""


@pytest.mark.journey("administrator")
def test_an_administrator_creates_a_chw_for_one_site_who_then_sees_only_that_sites_people(
    page, server, login, shot, console
):
    console.expect(r"status of 422")  # the refused first try answers 422, as it should
    site, trail, inside, elsewhere = server.shell(SITES).splitlines()[-1].split("|")
    login(page, "admin")
    go(page, "Users and places")
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    page.get_by_role("link", name="Add a user").click()

    # A first try without a place is refused: the summary says so, has the focus, and what
    # was typed stays.
    page.get_by_label("User name").fill("nawhtoo")
    page.get_by_label("First name").fill("Naw")
    page.get_by_label("Last name").fill("Htoo")
    page.get_by_label("Role").select_option(label="Community health worker")
    page.get_by_role("button", name="Add the user").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("^Places:"))).to_be_visible()
    expect(page.get_by_label("User name")).to_have_value("nawhtoo")
    expect(page.get_by_label("Role")).to_have_value("chw")
    shot(page, "refused", whole=False)

    page.get_by_label(trail, exact=True).check()
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Temporary password for nawhtoo")
    temporary = page.locator("#temporary-password").inner_text().strip()
    assert len(temporary) >= 12
    shot(page, "temporary-password", whole=False)

    # The new CHW logs in with it and must choose their own password first.
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("Username").fill("nawhtoo")
    page.get_by_label("Password").fill(temporary)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("Old password").fill(temporary)
    page.get_by_label(re.compile(r"^New password:?$")).fill("a mango tree by the river")
    page.get_by_label("New password confirmation").fill("a mango tree by the river")
    shot(page, "choose-password", whole=False)
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_role("status").first).to_contain_text("Your new password is saved")

    # Their site's people are found; someone known only elsewhere is not.
    go(page, "People")
    page.get_by_label("Name or identifier").fill(inside)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name=inside, exact=True).first).to_be_visible()
    expect(page.get_by_role("cell", name=site).first).to_be_visible()
    page.get_by_label("Name or identifier").fill(elsewhere)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("0 people")).to_be_visible()
    expect(page.get_by_role("cell", name=elsewhere)).to_have_count(0)
    shot(page, "nobody-elsewhere", whole=False)
