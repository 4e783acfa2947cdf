"""Forms that speak, in the browser: a refused save puts its problems at the top with focus on
them, each linking to its field, and keeps what was typed; a merge is confirmed first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from .conftest import go


def _focused_class(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.className") or ""


@pytest.mark.journey("forms-register")
def test_a_refused_registration_shows_the_summary_with_focus_links_and_kept_values(
    page, login, shot
):
    login(page, "clinician")
    go(page, "People")
    page.get_by_role("link", name="Register a person").click()
    page.get_by_label(re.compile(r"^Name in Latin letters")).fill("Naw Paw Htoo")
    page.get_by_label(re.compile(r"^Date of birth")).fill("2099")
    page.get_by_label(re.compile(r"^Contact")).fill("+66 81 000 2222")
    page.get_by_role("button", name="Save", exact=True).click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    # Focus moved to the summary when the page loaded, so a screen reader reads it first.
    assert "error-summary" in _focused_class(page)
    shot(page, "summary", whole=False)

    # Each message links to its field; following the link puts the cursor in the field.
    link = summary.get_by_role("link", name=re.compile(r"^Date of birth"))
    expect(link).to_have_attribute("href", "#id_birth_date")
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_birth_date"
    birth = page.get_by_label(re.compile(r"^Date of birth"))
    expect(birth).to_have_attribute("aria-invalid", "true")

    # What was typed stays.
    expect(birth).to_have_value("2099")
    expect(page.get_by_label(re.compile(r"^Name in Latin letters"))).to_have_value("Naw Paw Htoo")
    expect(page.get_by_label(re.compile(r"^Contact"))).to_have_value("+66 81 000 2222")


@pytest.mark.journey("forms-merge")
def test_a_merge_from_the_queue_is_confirmed_on_a_page_showing_what_moves(page, login, shot):
    login(page, "admin")
    go(page, "Possible duplicates")
    page.get_by_role("link", name="Compare").last.click()
    expect(page.get_by_role("heading", name="Evidence")).to_be_visible()
    page.get_by_label("Same person: merge the later record into the earlier one").check()
    page.get_by_label("Note").fill("Same permit number.")
    page.get_by_role("button", name="Record the decision").click()

    expect(page.get_by_role("heading", name="Confirm the merge", level=1)).to_be_visible()
    moves = page.get_by_role("region", name="What moves to the earlier record")
    expect(moves).to_be_visible()
    expect(moves.get_by_role("heading", name="Names and identifiers")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Nothing has moved yet")
    shot(page, "confirm")

    # Cancelling merges nothing: the pair still waits for a decision.
    page.get_by_role("link", name="Cancel: nothing is merged").click()
    expect(page.get_by_role("button", name="Record the decision")).to_be_visible()

    page.get_by_label("Same person: merge the later record into the earlier one").check()
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_role("button", name="Confirm: merge the records").click()
    expect(page.get_by_role("status")).to_contain_text("merged")
    shot(page, "merged")
    # Leave the queue as it was for the other journeys.
    page.get_by_role("button", name="Un-merge: they are different people").click()
    expect(page.get_by_role("button", name="Record the decision")).to_be_visible()


@pytest.mark.journey("forms-alert")
def test_discarding_an_alert_without_a_reason_is_refused_where_it_can_be_seen(
    page, console, login, shot
):
    console.expect(r"status of 422")  # the refused step is answered 422, as it should be
    login(page, "surveillance")
    go(page, "Alerts")
    page.get_by_role("row").filter(has_text=re.compile("New")).get_by_role("link").first.click()
    page.get_by_label("Discarded").check()
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert "error-summary" in _focused_class(page)
    expect(summary.get_by_role("link", name="Say why the alert is discarded.")).to_have_attribute(
        "href", "#note"
    )
    expect(page.get_by_label("Discarded")).to_be_checked()
    shot(page, "refused", whole=False)


# Someone registered in Mae Sot, printed as uuid.
MAE_SOT_PERSON = """
from mhis.registry.models import Person
print(Person.objects.filter(registration_site__code__startswith="TH-MSOT", merged_into=None)
      .order_by("pk").first().uuid)
"""


@pytest.mark.journey("forms-encounter")
def test_a_refused_encounter_on_the_timeline_keeps_what_was_typed_and_starts_from_today(
    page, server, login, shot
):
    uuid = server.shell(MAE_SOT_PERSON).splitlines()[-1]
    login(page, "clinician")
    page.goto(f"/care/people/{uuid}/timeline/")
    page.get_by_text("Record an encounter").click()
    encounter = page.locator("form[action$='/encounter/new/']")
    # A new encounter starts from today.
    expect(encounter.get_by_label(re.compile(r"^Date"))).to_have_value(dt.date.today().isoformat())
    encounter.get_by_label(re.compile(r"^Reason")).fill("Cough for three weeks")
    encounter.get_by_label(re.compile(r"^Diagnoses")).fill("XYZ")
    encounter.get_by_role("button", name="Save").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=re.compile(r"^Diagnoses"))
    expect(link).to_have_attribute("href", "#id_encounter-diagnoses")
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_encounter-diagnoses"
    expect(encounter.get_by_label(re.compile(r"^Reason"))).to_have_value("Cough for three weeks")
    expect(encounter.get_by_label(re.compile(r"^Diagnoses"))).to_have_value("XYZ")
    shot(page, "refused", whole=False)


@pytest.mark.journey("forms-report")
def test_the_weekly_report_stays_on_its_site_and_shows_the_alert_apart(page, login, shot):
    week = (dt.date.today() - dt.timedelta(days=7)).isocalendar()
    login(page, "surveillance")
    go(page, "Weekly report")
    page.get_by_label("Site").select_option(label="Tak mobile clinic")  # not the first site
    page.get_by_label("Week (for example 2026-W07)").fill(f"{week.year}-W{week.week:02d}")
    page.get_by_label("Measles: Female").fill("2")
    page.get_by_label("Note").fill("Two sisters with rash and fever.")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_role("status")).not_to_contain_text("alert")
    # Still on the same site and week, with what was sent.
    expect(page.get_by_label("Site")).to_have_value("TH-MSOT-MOBI")
    expect(page.get_by_label("Week (for example 2026-W07)")).to_have_value(
        f"{week.year}-W{week.week:02d}"
    )
    expect(page.get_by_label("Measles: Female")).to_have_value("2")
    expect(page.get_by_label("Note")).to_have_value("Two sisters with rash and fever.")
    # The alert it raised is a warning of its own, linking to the alert.
    warning = page.locator("section.warning")
    expect(warning).to_contain_text("changed an alert")
    shot(page, "saved", whole=False)
    warning.get_by_role("link", name="Measles").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Measles")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tak mobile clinic")
