"""A programme manager reads another publisher's IATI file (USAID's, as published) and sees
its activities as partners', then is told by name what stops the IATI export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import go

REAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real" / "iati"


@pytest.mark.journey("iati")
def test_a_publishers_file_stays_theirs_and_the_export_names_what_breaks_the_ruleset(
    page, server, console, login, shot
):
    login(page, "manager")
    go(page, "Programmes")
    page.get_by_role("link", name="Import IATI").click()
    page.get_by_label("IATI activities file (XML)").set_input_files(REAL / "usaid-cd.xml")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("of which 3 are partners' activities")
    report = page.locator("#import-report")
    expect(report).to_contain_text("US-GOV-1-720FDA18CA00052")
    expect(report).to_contain_text("U.S. Agency for International Development")
    expect(report).to_contain_text("sectors given on transactions only")
    shot(page, "import-report")

    go(page, "Programmes")
    partners = page.locator("#partners + p + table")
    expect(partners).to_contain_text("U.S. Agency for International Development")
    partners.get_by_role("link", name="US-GOV-1-720FDA18CA00052").click()
    expect(page.locator("#partner-activity")).to_contain_text(
        "published by U.S. Agency for International Development (US-GOV-1)"
    )
    shot(page, "partner-activity")

    server.shell(
        "from mhis.programmes.models import Project\n"
        "Project.objects.create(code='E2E-NOWHERE', title='No place, no start', type='policy')"
    )
    console.expect(r"status of 400")  # the refused export is answered 400, as it should be
    page.goto("/programmes/iati/activities.xml")
    expect(page.get_by_role("heading", level=1)).to_have_text("The IATI export is not offered yet")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(
        "E2E-NOWHERE — recipient-country: give a benefiting country or region (recipient-region)."
    )
    expect(summary).to_contain_text(re.compile(r"E2E-NOWHERE — activity-date: give a planned"))
    shot(page, "export-refused")
