"""The response to the demo outbreak: the surveillance officer opens the Mae Sot outbreak, sees
its assessment, actions and 7-1-7 dates, re-assesses the risk (a refused save named at the top
first), assigns an action, finds the overdue action escalated and marks it done, and reads the 7-1-7 table with
the outbreak's three intervals and its bottleneck named."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .conftest import go


@pytest.mark.journey("response")
def test_the_officer_assesses_assigns_and_reads_the_717_table(page, console, login, shot):
    console.expect(r"status of 422")  # the refused save is answered 422, as it should be
    login(page, "surveillance")
    go(page, "Outbreaks")
    # The demo's outbreak: the oldest (other journeys may open newer ones in this world).
    page.get_by_role("link", name="Acute watery diarrhoea").last.click()
    section = page.get_by_role("region", name="Risk and response")
    expect(section.get_by_text("High risk").first).to_be_visible()
    late = section.get_by_role("row").filter(has_text="Oral rehydration supplies")
    expect(late).to_contain_text("overdue")
    shot(page, "outbreak")

    section.get_by_role("link", name="Re-assess the risk").click()
    page.get_by_label("Hazard assessment").fill("Vibrio cholerae O1 confirmed by culture")
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.locator(".error-summary")).to_contain_text("This field is required.")
    shot(page, "refused")
    page.get_by_label("Exposure assessment").fill("About 2,000 porters and traders")
    page.get_by_label("Context assessment").fill("Shared latrines; daily crossings")
    page.get_by_label("Almost certain").check()
    page.get_by_label("Major", exact=True).check()
    page.get_by_label("High", exact=True).check()
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.get_by_text("Risk assessment recorded: Very high risk.")).to_be_visible()

    page.get_by_role("link", name="Assign an action").click()
    page.get_by_label("Action", exact=True).fill("Oral cholera vaccination at the market")
    owner = page.locator("#owner option", has_text="(surveillance)").get_attribute("value")
    page.get_by_label("Owner").select_option(owner)
    due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    page.get_by_label("Due").fill(due)
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Action assigned to surveillance.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Oral cholera vaccination at the market")).to_be_visible()
    shot(page, "assigned")

    page.goto("/surveillance/response/actions/overdue/")
    row = page.get_by_role("row").filter(has_text="Oral rehydration supplies")
    expect(row).to_be_visible()
    shot(page, "overdue")
    row.get_by_role("link", name="Oral rehydration supplies to the border post").click()
    expect(page.get_by_text("escalated", exact=False).first).to_be_visible()
    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Action updated.")).to_be_visible()
    page.goto("/surveillance/response/actions/overdue/")
    expect(page.get_by_text("Oral rehydration supplies")).to_have_count(0)

    page.goto("/surveillance/response/717/")
    expect(page.get_by_role("heading", level=1)).to_have_text("7-1-7 performance")
    # The demo outbreak's row (another journey may add an outbreak of the same condition).
    line = page.get_by_role("row").filter(has_text="Reporting and information systems")
    expect(line).to_contain_text("7 days")  # emergence to detection: met
    expect(line).to_contain_text("2 days")  # detection to notification: not met
    expect(line).to_contain_text("5 days")  # notification to early response: met
    expect(line).to_contain_text("Reporting and information systems")
    shot(page, "717")
