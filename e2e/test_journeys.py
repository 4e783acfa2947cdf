"""The journeys of the people MHIS is for, each as its user sees it in the browser."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect

from e2e.forms import check_refused

from .conftest import go, open_menu

# A person registered in Mae Sot under a Burmese name with a Latin spelling of three or more
# words that starts with "Maung", who consented to sharing: printed as uuid|name|latin.
MAE_SOT_PERSON = """
from mhis.registry.models import Person
p = (Person.objects.filter(registration_site__code__startswith="TH-MSOT", merged_into=None,
        names__script="Mymr", display_latin__startswith="Maung ",
        consents__scope="sharing", consents__withdrawn_on=None)
     .exclude(display_latin__regex=r"^\\S+ \\S+$").order_by("pk").first())
print(f"{p.uuid}|{p.display_name}|{p.display_latin}")
"""


def _person(server, code=MAE_SOT_PERSON):
    uuid, name, latin = server.shell(code).splitlines()[-1].split("|")
    return uuid, name, latin


@pytest.mark.journey("clinician")
def test_clinician_finds_a_person_by_a_latin_spelling_assesses_and_refers_across_the_border(
    page, server, login, shot
):
    _uuid, name, latin = _person(server)
    spelling = "Mg " + latin.split(" ", 1)[1]  # "Maung" as it is often shortened
    login(page, "clinician")
    go(page, "People")
    page.get_by_label("Name or identifier").fill(spelling)
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("link", name=name)
    expect(result).to_be_visible()
    shot(page, "search")

    result.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    page.get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("heading", name="Timeline", level=2)).to_be_visible()
    shot(page, "timeline")

    page.get_by_text("Start a health assessment").click()
    assessment = page.locator("form[action$='/assessment/new/']")
    assessment.get_by_label("Site:").select_option(label="Mae Sot Migrant Clinic")
    assessment.get_by_label("Type:").select_option(label="On arrival")
    date = assessment.get_by_label(re.compile(r"^Examination date"))
    date.fill("2026-02-30")  # no such day: refused, and what was typed stays
    assessment.get_by_label("History:").fill("Cough for one week, no fever.")
    assessment.get_by_role("button", name="Save").click()
    check_refused(page, re.compile(r"^Examination date"), date)
    expect(date).to_have_value("2026-02-30")
    expect(assessment.get_by_label("Site:")).to_have_value("TH-MSOT-CLIN")
    expect(assessment.get_by_label("Type:")).to_have_value("on_arrival")
    expect(assessment.get_by_label("History:")).to_have_value("Cough for one week, no fever.")
    date.fill("")  # today
    assessment.get_by_role("button", name="Save").click()
    assessment = page.get_by_role("heading", name=re.compile("Health assessment: On arrival"))
    expect(assessment).to_be_visible()
    shot(page, "assessment")

    page.get_by_text("Refer", exact=True).click()
    referral = page.locator("form[action$='/referral/new/']")
    referral.get_by_label("From site:").select_option(label="Mae Sot Migrant Clinic")
    referral.get_by_label("Kind:").select_option(label="Medical referral")
    referral.get_by_label("To site:").select_option(label="Myawaddy Hospital (MM)")
    referral.get_by_role("button", name="Save").click()  # without a reason: refused
    check_refused(page, re.compile(r"^Reason"), referral.get_by_label("Reason:"))
    expect(referral.get_by_label("From site:")).to_have_value("TH-MSOT-CLIN")
    expect(referral.get_by_label("Kind:")).to_have_value("medical")
    expect(referral.get_by_label("To site:")).to_have_value("MM-MWD-HOSP")
    referral.get_by_label("Reason:").fill("Chest X-ray and sputum tests at the hospital.")
    referral.get_by_role("button", name="Save").click()
    sent = page.get_by_role(
        "heading", name=re.compile("Mae Sot Migrant Clinic → Myawaddy Hospital")
    )
    expect(sent).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Sent")
    shot(page, "referral")


@pytest.mark.journey("surveillance")
def test_volunteers_weekly_report_raises_an_alert_an_officer_verifies_and_closes(
    new_context, page, console, login, shot
):
    console.expect(r"status of 422")  # the refused report is answered 422, as it should be
    week = (dt.date.today() - dt.timedelta(days=7)).isocalendar()  # the last full week
    current = dt.date.today().isocalendar()
    ahead = (dt.date.today() + dt.timedelta(days=14)).isocalendar()
    login(page, "volunteer")
    go(page, "Weekly report")
    page.get_by_label("Site").select_option(label="Mae Sot Migrant Clinic")
    page.get_by_label("Week (for example 2026-W07)").fill(f"{week.year}-W{week.week:02d}")
    page.get_by_label("Cholera: Male").fill("1")
    page.get_by_label("Acute watery diarrhoea: Female").fill("3")
    shot(page, "report")
    # A week that has not begun is refused; the counts typed stay.
    page.get_by_label("Week (for example 2026-W07)").fill(f"{ahead.year}-W{ahead.week:02d}")
    page.get_by_role("button", name="Send").click()
    check_refused(
        page, "This week has not begun yet.", page.get_by_label("Week (for example 2026-W07)")
    )
    expect(page.get_by_label("Site")).to_have_value("TH-MSOT-CLIN")
    expect(page.get_by_label("Cholera: Male")).to_have_value("1")
    expect(page.get_by_label("Acute watery diarrhoea: Female")).to_have_value("3")
    # So is the week under way: it is sent once it is over.
    page.get_by_label("Week (for example 2026-W07)").fill(f"{current.year}-W{current.week:02d}")
    page.get_by_role("button", name="Send").click()
    # (The page's address now ends in #week, from following the first summary's link, so the
    # browser puts the focus there rather than on the summary.)
    expect(page.locator(".error-summary")).to_contain_text(
        f"Week {current.year}-W{current.week:02d} is not over yet"
    )
    expect(page.get_by_label("Cholera: Male")).to_have_value("1")
    page.get_by_label("Week (for example 2026-W07)").fill(f"{week.year}-W{week.week:02d}")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("alert")
    shot(page, "sent")

    desk = new_context().new_page()  # the officer's
    login(desk, "surveillance")
    go(desk, "Alerts")
    row = (
        desk.get_by_role("row").filter(has_text="Cholera").filter(has_text="Mae Sot Migrant Clinic")
    )
    expect(row).to_have_count(1)
    shot(desk, "alerts")
    row.get_by_role("link").first.click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Cholera")
    # Discarding without saying why is refused, and the choice stays.
    desk.get_by_label("Discarded").check()
    desk.get_by_role("button", name="Save").click()
    check_refused(desk, "Say why the alert is discarded.", desk.get_by_label("Note"))
    expect(desk.get_by_label("Discarded")).to_be_checked()
    expect(desk.locator("dl")).to_contain_text("New")  # nothing moved
    for state, note in (
        ("Under verification", "Called the clinic: one man with rice-water stools."),
        ("Confirmed", "Rapid test positive."),
        ("Closed", "No further cases in two incubation periods."),
    ):
        desk.get_by_label(state).check()
        desk.get_by_label("Note").fill(note)
        desk.get_by_role("button", name="Save").click()
        expect(desk.locator("dl")).to_contain_text(state)
    expect(desk.get_by_role("radio")).to_have_count(0)  # closed: nowhere to go
    shot(desk, "closed")


@pytest.mark.journey("analyst")
def test_analyst_changes_the_period_downloads_the_csv_and_finds_small_counts_hidden(
    page, login, shot
):
    login(page, "analyst")
    go(page, "Indicators")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Honduras")
    shot(page, "overview")
    page.get_by_role("link", name="Encounters", exact=True).click()
    page.get_by_role("link", name="Place", exact=True).click()
    page.get_by_role("link", name="Ocotepeque").first.click()
    page.get_by_role("link", name="Age group", exact=True).click()
    page.get_by_label("Periods").select_option(label="Month")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("navigation", name="Place")).to_contain_text("Ocotepeque")
    expect(page.get_by_label("Periods")).to_have_value("month")
    table = page.locator("table").last
    # Step back month by month until a small count appears (at most two years).
    for _ in range(24):
        if "<5" in table.inner_text():
            break
        page.get_by_role("link", name="← Earlier").click()
    cells = [c.strip() for c in table.locator("td").all_inner_texts()]
    assert "<5" in cells
    shot(page, "small-counts")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    values = [cell for row in rows[1:] for cell in row]
    assert "<5" in values
    for cell in values:
        if cell.isdigit():
            assert int(cell) == 0 or int(cell) >= 5, f"a small count leaked into the CSV: {cell}"


@pytest.mark.journey("linkage")
def test_reviewer_merges_a_pair_from_the_queue_and_un_merges_it(page, console, login, shot):
    console.expect(r"status of 422")  # the refused decision is answered 422, as it should be
    login(page, "admin")
    go(page, "Possible duplicates")
    shot(page, "queue", whole=False)
    page.get_by_role("link", name="Compare").first.click()
    expect(page.get_by_role("heading", name="Evidence")).to_be_visible()
    later = page.locator("table tbody tr").first.locator("td").nth(1).inner_text()
    shot(page, "pair")
    # Recording without choosing is refused; the note typed stays.
    page.get_by_label("Note").fill("Same date of birth and work permit.")
    page.get_by_role("button", name="Record the decision").click()
    same = page.get_by_label("Same person: merge the later record into the earlier one")
    check_refused(page, re.compile("same person"), same)
    expect(page.get_by_label("Note")).to_have_value("Same date of birth and work permit.")
    same.check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="Confirm the merge")).to_be_visible()
    page.get_by_role("button", name="Confirm: merge the records").click()
    expect(page.get_by_role("status")).to_contain_text("merged")

    page.get_by_role("link", name=later).click()  # the later record leads to the earlier
    expect(page.get_by_role("status")).to_contain_text("merged into this one")
    page.go_back()
    page.get_by_role("button", name="Un-merge: they are different people").click()
    expect(page.get_by_role("status")).to_contain_text("stand on their own again")
    expect(page.get_by_role("button", name="Record the decision")).to_be_visible()
    shot(page, "unmerged")
    page.get_by_role("link", name=later).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(later)


@pytest.mark.journey("shl")
def test_a_persons_smart_health_link_qr_is_created_and_opened_in_the_viewer(
    new_context, page, server, login, shot
):
    uuid, name, _latin = _person(server)
    login(page, "clinician")
    page.goto(f"/people/{uuid}/")
    page.get_by_role("link", name="Share the record").click()
    page.get_by_label("Label:").fill("Summary for the TB clinic")
    page.get_by_label("Expires:").fill("1 month")  # not a duration it knows: refused
    page.get_by_label("Passcode:").fill("4711")
    page.get_by_role("button", name="Create the link").click()
    check_refused(page, re.compile(r"^Expires"), page.get_by_label("Expires:"))
    expect(page.get_by_label("Label:")).to_have_value("Summary for the TB clinic")
    expect(page.get_by_label("Expires:")).to_have_value("1 month")
    expect(page.get_by_label("Passcode:")).to_have_value("")  # a passcode is never sent back
    page.get_by_label("Expires:").fill("30d")
    page.get_by_label("Passcode:").fill("4711")
    page.get_by_role("button", name="Create the link").click()
    card = page.locator("section.card").filter(has_text="Summary for the TB clinic")
    expect(card.locator(".qr svg")).to_be_visible()
    shot(page, "qr")
    link = card.get_by_role("link", name="Open in the viewer").get_attribute("href")
    assert "#shlink:/" in link

    viewer = new_context().new_page()  # whoever scans the code
    viewer.goto(link)
    viewer.get_by_label("Passcode").fill("4711")
    viewer.get_by_role("button", name="Open").click()
    expect(viewer.get_by_role("heading", level=1)).to_contain_text("Summary for the TB clinic")
    expect(viewer.locator("dl.facts")).to_contain_text(name)
    shot(viewer, "viewer")


@pytest.mark.journey("programmes")
def test_programme_manager_records_a_result_actual_and_exports_iati(page, console, login, shot):
    console.expect(r"status of 422")  # the refused actual is answered 422, as it should be
    login(page, "manager")
    go(page, "Programmes")
    page.get_by_role("link", name="TH-MHP").first.click()
    field = page.get_by_label(re.compile(r"^Actual, ")).first
    field.fill("about 1450")  # not a number: refused, and what was typed stays
    field.press("Enter")
    check_refused(page, re.compile(r"^Actual for .*Give a number"), field)
    expect(field).to_have_value("about 1450")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("1450")
    field.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Actual recorded")
    expect(page.get_by_label(re.compile(r"^Actual, ")).first).to_have_value("1450")
    shot(page, "actual")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export IATI (XML)").click()
    xml = download.value.path().read_text(encoding="utf-8")
    assert xml.startswith("<?xml") and '<actual value="1450"' in xml


@pytest.mark.journey("scope")
def test_a_record_outside_the_users_places_cannot_be_reached_by_its_address(
    page, server, login, console, shot
):
    honduras = """
from mhis.registry.models import Person
print(Person.objects.filter(registration_site__code__startswith="HN-").first().uuid)
"""
    uuid = server.shell(honduras).splitlines()[-1]
    login(page, "clinician")  # Mae Sot only
    console.expect(r"status of 404")
    for address in (f"/people/{uuid}/", f"/care/people/{uuid}/timeline/",
                    f"/record/{uuid}/summary.json", f"/record/{uuid}/links/"):  # fmt: skip
        response = page.goto(address)
        assert response.status == 404, address
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    shot(page, "not-found")


@pytest.mark.journey("language")
def test_switching_to_thai_changes_the_person_page_and_the_dashboard(page, server, login, shot):
    uuid, _name, _latin = _person(server)
    login(page, "clinician")
    page.goto(f"/people/{uuid}/")
    expect(page.get_by_text("Date of birth", exact=True)).to_be_visible()
    open_menu(page)
    page.get_by_label("Language").select_option("th")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.get_by_text("วันเกิด", exact=True)).to_be_visible()  # date of birth
    expect(page.get_by_role("heading", name="ช่วงการย้ายถิ่น")).to_be_visible()  # migration
    expect(page.get_by_role("link", name="ลำดับเหตุการณ์")).to_be_visible()  # timeline
    assert "Date of birth" not in page.locator("main").inner_text()
    shot(page, "person")
    go(page, "ตัวชี้วัด")  # indicators
    expect(page.get_by_role("heading", level=1)).to_contain_text("ตัวชี้วัดของ")
    expect(page.get_by_role("link", name="การรับบริการ", exact=True)).to_be_visible()  # encounters
    expect(page.get_by_label("รอบเวลา")).to_be_visible()  # periods
    shot(page, "dashboard")
    open_menu(page)
    page.get_by_label("ภาษา").select_option("en")
    page.get_by_role("button", name="เปลี่ยน").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
