"""Journey: a clinician reads a summary a person brought from another country (a real
Austrian ELGA connectathon document, tests/fixtures/real/ips), sees its panels and
medications on the person's page, and reading it again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

AUSTRIAN = (
    Path(__file__).resolve().parent.parent
    / "tests" / "fixtures" / "real" / "ips" / "connectathon" / "AT_ELGA_GmbH_01.json"
)  # fmt: skip


@pytest.mark.journey("ips-read")
def test_clinician_reads_a_foreign_summary_once_and_sees_its_nested_content(
    page, server, login, shot
):
    login(page, "clinician")
    page.goto("/record/import/")
    page.get_by_label("Summary file (FHIR JSON)").set_input_files(str(AUSTRIAN))
    site = page.get_by_label("Site registering a new person")
    site.select_option(index=1)
    page.get_by_role("button", name="Read the summary").click()
    notice = page.locator("section.notice")
    expect(notice).to_contain_text("27 entries read from IPS Generator")
    shot(page, "read")

    notice.get_by_role("link").first.click()
    received = page.locator("section.received")
    expect(received).to_contain_text("Ingredient: Acetylsalicylsäure")
    expect(received).to_contain_text("Member:")
    page.get_by_text("Ingredient:").first.scroll_into_view_if_needed()
    shot(page, "nested", whole=False)

    page.goto("/record/import/")
    page.get_by_label("Summary file (FHIR JSON)").set_input_files(str(AUSTRIAN))
    page.get_by_label("Site registering a new person").select_option(index=1)
    page.get_by_role("button", name="Read the summary").click()
    expect(page.locator("section.notice")).to_contain_text(
        "This summary had been read before: nothing changed."
    )
    shot(page, "again")
