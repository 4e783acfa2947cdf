"""Field and office tasks done in the browser: a programme manager keeps a project's workplan
and records who came to an event; an analyst downloads an indicator for DHIS2."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import Page, expect


def _go(page: Page, name: str) -> None:
    """Follow the main navigation's link `name`, opening the menu first where the screen is
    too narrow to show it (a phone)."""
    menu = page.locator("header details.menu > summary")
    if menu.count() and menu.is_visible() and not page.locator("header details.menu[open]").count():
        menu.click()
    page.locator("header").get_by_role("link", name=name, exact=True).first.click()


@pytest.mark.journey("workplan")
def test_programme_manager_adds_a_workplan_activity_after_a_refused_save(page, login, shot):
    login(page, "manager")
    _go(page, "Programmes")
    page.get_by_role("link", name="TH-MHP").first.click()
    page.get_by_role("link", name="The workplan: add or change activities").click()
    page.get_by_role("link", name="Add an activity").click()
    today = dt.date.today()
    expect(page.get_by_label("Planned start")).to_have_value(today.isoformat())
    page.get_by_label("Activity").fill("Refresher training for health volunteers")
    page.get_by_label("Owner").fill("Tak provincial health office")
    page.get_by_label("Planned end").fill((today - dt.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Save the activity").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The planned end cannot be before the planned start.")
    expect(page.get_by_label("Activity")).to_have_value("Refresher training for health volunteers")
    shot(page, "refused", whole=False)
    summary.get_by_role("link", name=re.compile("Planned end")).click()
    expect(page.get_by_label("Planned end")).to_be_focused()
    page.get_by_label("Planned end").fill((today + dt.timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Save the activity").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    row = page.locator("tr", has_text="Refresher training for health volunteers")
    expect(row).to_contain_text("Tak provincial health office")
    expect(row).to_contain_text("Planned")
    shot(page, "saved")


@pytest.mark.journey("attendance")
def test_programme_manager_records_who_came_to_an_event(page, login, shot):
    login(page, "manager")
    _go(page, "Programmes")
    page.get_by_role("link", name="Events and attendance").click()
    page.get_by_role("link", name="Community health volunteer training, border provinces").click()
    before = int(re.search(r"([\d,]+) people came", page.locator(".total").inner_text())[1]
                 .replace(",", ""))  # fmt: skip
    page.get_by_role("link", name="Add attendance").click()
    expect(page.get_by_label("Country they came from")).to_have_value("TH")
    page.get_by_label("Number of people").fill("0")
    page.get_by_label("Role").select_option(label="Government official")
    page.get_by_role("button", name="Save the attendance").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("Number of people"))).to_be_visible()
    expect(page.get_by_label("Role")).to_have_value("official")
    shot(page, "refused", whole=False)
    page.get_by_label("Number of people").fill("12")
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_role("button", name="Save the attendance").click()
    expect(page.get_by_role("status")).to_contain_text("Attendance saved: 12 Government official")
    expect(page.locator(".total")).to_contain_text(f"{before + 12:,} people came")
    shot(page, "saved")


@pytest.mark.journey("dhis2")
def test_analyst_downloads_an_indicator_for_dhis2_without_small_counts(page, login, shot):
    login(page, "analyst")
    _go(page, "Indicators")
    page.get_by_role("link", name="Encounters", exact=True).click()
    page.get_by_role("link", name="DHIS2 (JSON)").scroll_into_view_if_needed()
    shot(page, "downloads", whole=False)
    with page.expect_download() as download:
        page.get_by_role("link", name="DHIS2 (JSON)").click()
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert document["dataValues"], "nothing was sent"
    for value in document["dataValues"]:
        if "value" not in value:  # withheld: a comment DHIS2 keeps, no value
            assert value["comment"].startswith("Withheld"), value
            continue
        number = float(value["value"])
        assert number == 0 or number >= 5, f"a small count left for DHIS2: {value}"
    with page.expect_download() as download:
        page.get_by_role("link", name="ADX (XML)").click()
    body = download.value.path().read_text(encoding="utf-8")
    assert body.startswith("<?xml") and "urn:ihe:qrph:adx:2015" in body
