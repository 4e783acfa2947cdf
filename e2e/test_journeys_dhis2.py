"""The DHIS2 page: an analyst checks a mapping with a mistake in it, sees the line at fault,
corrects it, saves it, and asks for a dry run (this server has no DHIS2 set: said plainly)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import go


@pytest.mark.journey("dhis2-mapping")
def test_analyst_checks_a_mapping_line_by_line_saves_it_and_asks_for_a_dry_run(page, login, shot):
    login(page, "analyst")
    go(page, "Indicators")
    page.get_by_role("link", name="DHIS2: mapping and sending").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DHIS2: mapping and sending")
    text = page.get_by_label("Mapping (TOML)")
    original = text.input_value()
    assert 'data_set = "MHIS_MIGRANT_HEALTH"' in original
    shot(page, "mapping")

    # A category code with a space would make malformed ADX: refused with its line.
    text.fill(original.replace('code = "SEX"', 'code = "SEX GROUP"'))
    page.get_by_role("button", name="Check and save").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("categories.sex.code")
    expect(summary).to_contain_text("cannot name an ADX category")
    expect(page.locator("ul.problems")).to_contain_text("Line ")
    shot(page, "refused")

    page.get_by_label("Mapping (TOML)").fill(original.replace("MHIS_MIGRANT_HEALTH", "NATIONAL"))
    page.get_by_role("button", name="Check and save").click()
    expect(page.get_by_role("status").filter(has_text="Mapping saved")).to_be_visible()
    expect(page.get_by_label("Mapping (TOML)")).to_have_value(re.compile('data_set = "NATIONAL"'))
    expect(page.get_by_text("In force: the mapping saved on")).to_be_visible()

    page.get_by_label("Period").fill("2026-Q1")
    page.get_by_role("button", name="Dry run", exact=True).click()
    expect(page.locator("[data-error-summary]")).to_contain_text("No DHIS2 server is set")
    shot(page, "no-server")
