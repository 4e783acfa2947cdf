"""The surveillance officer's lists and reporting page: filters the outbreak list to the
declared acute watery diarrhoea, sees it on the map with its counts as a table, opens the
completeness page where the camp that has not sent its last full week is highlighted, and
sends its reporters a reminder — once: the button then has nothing left to send."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import go


@pytest.mark.journey("lists")
def test_the_officer_filters_maps_and_reminds_the_missing_site(page, login, shot):
    login(page, "surveillance")
    go(page, "Outbreaks")
    page.get_by_label("Condition").select_option("awd")
    page.get_by_label("State").select_option("declared")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"condition=awd.*state=declared"))
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Mae Sot")
    expect(rows.first).to_contain_text("Declared")
    shot(page, "filtered")
    page.get_by_role("link", name="Show on a map").click()
    expect(page.get_by_role("heading", name="Map")).to_be_visible()
    expect(page.get_by_role("img", name="Outbreaks")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Mae Sot")
    expect(page.get_by_label("State")).to_have_value("declared")  # the filters stay
    shot(page, "map")

    go(page, "Report completeness")
    expect(page.get_by_role("heading", level=1)).to_have_text("Completeness and timeliness")
    expect(page.get_by_role("heading", name=re.compile("Not reported for"))).to_be_visible()
    missing = page.locator("main ul").filter(has_text="Mae La camp health post")
    expect(missing).to_be_visible()
    expect(
        page.get_by_role("row").filter(has_text="Mae La camp health post").first
    ).to_contain_text("(last week missing)")
    shot(page, "completeness")
    page.get_by_role("button", name="Send a reminder for 1 site").click()
    expect(
        page.get_by_text(re.compile(r"Reminder sent for 1 site to \d+ people\."))
    ).to_be_visible()
    expect(missing).to_contain_text("reminded")
    expect(page.get_by_text("Every site missing this week has been reminded.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Send"))).to_have_count(0)
    shot(page, "reminded")
