"""Registering and finding a person by the names and dates people say."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import go


@pytest.mark.journey("clinician")
def test_clinician_registers_a_karen_name_checks_its_latin_spelling_and_finds_her(
    page, login, shot
):
    login(page, "clinician")
    go(page, "People")
    page.get_by_role("link", name="Register a person").click()
    page.get_by_label("Name as written").fill("နော်ဝါဝါမိုး")
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label("Date of birth").fill("31/02/1991")
    page.get_by_role("button", name="Save").click()

    # Refused: the date does not exist, and the Latin spelling made from the name is to check.
    expect(
        page.get_by_text(re.compile("Date of birth: This date does not exist")).first
    ).to_be_visible()
    expect(page.get_by_label("Name in Latin letters")).to_have_value("Naw Wa Wa Moe")
    expect(page.get_by_label("Name as written")).to_have_value("နော်ဝါဝါမိုး")
    shot(page, "latin-to-check")

    page.get_by_label("Date of birth").fill("April 1991")
    page.get_by_role("button", name="Save").click()
    anyway = page.get_by_role("button", name="This is a different person: register anyway")
    if anyway.count():
        anyway.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("နော်ဝါဝါမိုး")
    expect(page.get_by_text("Naw Wa Wa Moe").first).to_be_visible()
    shot(page, "registered")

    for typed in ("ဝါဝါမိုး", "Naw Wa Wa Moe"):
        go(page, "People")
        page.get_by_label("Name or identifier").fill(typed)
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("link", name="နော်ဝါဝါမိုး").first).to_be_visible()
    shot(page, "found-without-title")
