"""Journeys of choosing: an ICD-10 code found by words, languages picked by name in French,
an indicator's table and chart read by age band with withheld cells marked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

A_PERSON = """
from mhis.registry.models import Person
p = Person.objects.filter(registration_site__code__startswith="TH-MSOT", merged_into=None).order_by("pk").first()
print(p.uuid)
"""


def _encounter_form(page, server):
    uuid = server.shell(A_PERSON).splitlines()[-1]
    page.goto(f"/care/people/{uuid}/timeline/")
    page.get_by_text("Record an encounter").click()
    form = page.locator("form[action$='/encounter/new/']")
    form.get_by_label("Site").select_option(label="Mae Sot Migrant Clinic")
    form.get_by_label("Kind").select_option(label="Consultation")
    form.get_by_label("Date", exact=False).first.fill(dt.date.today().isoformat())
    form.get_by_label("Paid by").select_option(label="Free or waived")
    return form


@pytest.mark.journey("icd10-words")
def test_clinician_saves_a_diagnosis_typed_in_words_and_picks_the_code(page, server, login, shot):
    login(page, "clinician")
    form = _encounter_form(page, server)
    form.get_by_label("Diagnoses (ICD-10)").fill("tuberculosis")
    form.get_by_role("button", name="Save").click()
    # Refused: the words match several codes, listed to pick; what was typed is kept.
    form = page.locator("form[action$='/encounter/new/']")
    # The error summary names the field and links to it; the field says what to do.
    summary = form.get_by_role("link", name=re.compile("matches several ICD-10 codes"))
    expect(summary).to_be_visible()
    expect(form.get_by_text(re.compile("^“tuberculosis” matches several"))).to_be_visible()
    expect(form.get_by_label("Diagnoses (ICD-10)")).to_have_value("tuberculosis")
    pick = form.get_by_role("radio", name=re.compile(r"^A16 "))
    expect(pick).to_be_visible()
    shot(page, "codes-to-pick")
    pick.check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Respiratory tuberculosis, not confirmed").first).to_be_visible()
    shot(page, "saved")


@pytest.mark.journey("icd10-suggestions")
def test_suggestions_appear_as_the_clinician_types_and_fill_in_the_code(page, server, login, shot):
    login(page, "clinician")
    form = _encounter_form(page, server)
    field = form.get_by_label("Diagnoses (ICD-10)")
    field.fill("R05, miliary tub")
    suggestion = form.get_by_role("button", name=re.compile(r"^A19 Miliary tuberculosis$"))
    expect(suggestion).to_be_visible()
    shot(page, "suggestions")
    suggestion.click()
    expect(field).to_have_value("R05, A19")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Miliary tuberculosis").first).to_be_visible()


@pytest.mark.journey("languages-fr")
def test_a_person_is_registered_in_french_with_languages_picked_by_name(page, server, login, shot):
    login(page, "clinician")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": server.url}])
    page.goto("/people/new/")
    nationality = page.get_by_label("Nationalité")
    expect(nationality.locator("option", has_text="Birmanie")).to_have_count(1)
    nationality.select_option(label="Birmanie")
    page.locator("#id_name").fill("Naw Paw Htoo")
    page.locator("#id_languages").fill("Birman (my)")
    page.locator("#id_languages_2").fill("thaï")
    shot(page, "form")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    anyway = page.get_by_role("button", name=re.compile("enregistrer quand même"))
    if anyway.count():
        anyway.click()
    expect(page.get_by_text("Birman, Thaï")).to_be_visible()
    shot(page, "registered")


@pytest.mark.journey("indicator-marks")
def test_an_analyst_reads_an_indicator_by_age_band_with_withheld_cells_marked(page, login, shot):
    login(page, "analyst")
    page.goto("/indicators/ENCOUNTERS/?by=age_group")
    rows = page.locator("table.indicator tbody th[scope=row]")
    labels = rows.all_inner_texts()
    assert labels.index("5–14 years") < labels.index("15–24 years") < labels.index("Unknown")
    expect(page.locator(".charts svg").first).to_be_visible()
    expect(page.get_by_text("no data: nothing was recorded")).to_be_visible()
    shot(page, "by-age")
