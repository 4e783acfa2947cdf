"""A clinician classifies TB by the destination programme's instructions: a contradiction is
refused at the top of the page, with what was typed kept, then the class is corrected."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .test_journeys import _person


def _select(page, label, option):
    page.get_by_label(label, exact=True).select_option(label=option)


@pytest.mark.journey("tb-classification")
def test_a_positive_culture_cannot_be_saved_as_no_tb_and_fit_to_travel(page, server, login, shot):
    uuid, _name, _latin = _person(server)
    login(page, "clinician")
    page.goto(f"/care/people/{uuid}/timeline/")
    page.get_by_text("Start a health assessment").click()
    start = page.locator("form[action$='/assessment/new/']")
    start.get_by_label("Site:", exact=True).select_option(label="Mae Sot Migrant Clinic")
    start.get_by_label("Type:", exact=True).select_option(label="Pre-departure")
    start.get_by_role("button", name="Save").click()
    expect(
        page.get_by_role("heading", name=re.compile("Health assessment: Pre-departure")).first
    ).to_be_visible()
    page.get_by_role("link", name="Add results").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Health assessment")
    _select(page, "Destination programme:", "United States (CDC technical instructions)")

    _select(page, "TB symptoms:", "Yes")
    _select(page, "Chest X-ray:", "Abnormal, suggestive of TB")
    for n in (1, 2, 3):
        page.get_by_label(f"Sputum {n} collected on:", exact=True).fill(
            page.get_by_label("Examination date:", exact=True).input_value()
        )
        _select(page, f"Smear {n}:", "Negative")
        _select(page, f"Culture {n}:", "M. tuberculosis complex" if n == 1 else "Negative")
    _select(page, "Drug-susceptibility testing:", "Susceptible to first-line drugs")
    _select(page, "TB classification:", "US: No TB classification")
    _select(page, "Fit to travel:", "Fit to travel")
    page.get_by_role("button", name="Save").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("contradicts the results")
    expect(summary).to_contain_text("Culture 1: M. tuberculosis complex")
    expect(page.locator("#still-missing")).to_contain_text("not fit to travel until treated")
    expect(page.get_by_label("Culture 1:", exact=True)).to_have_value("mtb")  # kept
    expect(page.locator("#tb-proposal")).to_contain_text("Class A: TB disease, infectious")
    shot(page, "refused", whole=False)

    summary.get_by_role("link", name=re.compile("TB classification")).click()
    _select(page, "TB classification:", "US: Class A: TB disease, infectious")
    _select(page, "Fit to travel:", "Temporarily unfit")
    page.get_by_label("Reason:", exact=True).fill("TB treatment under DOT")
    _select(page, "TB treatment:", "TB treatment ongoing")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#timeline")).to_contain_text("Class A: TB disease, infectious")
    shot(page, "classified")
