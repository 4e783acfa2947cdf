"""Event-based surveillance into an outbreak response, end to end: a community volunteer
reports a signal from the border (a refused send named at the top first), the surveillance
officer triages and verifies it, opens an outbreak from it, groups the border post's alert with
it and declares it (the page shows its curve, its map and its line of cases); then assesses the
risk, assigns an early-response action, sees the action escalated once it is overdue, shares the
outbreak with the twin place across the border, whose officer acknowledges it, records the
7-1-7 dates and reads the outbreak's three intervals in the 7-1-7 table."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from e2e.forms import check_refused

from .conftest import go


@pytest.mark.journey("outbreak")
def test_a_volunteers_signal_becomes_an_outbreak_responded_to_across_the_border(
    page, console, login, shot, new_context, server
):
    console.expect(r"status of 422")  # the refused send is answered 422, as it should be
    console.expect(r"status of 403")  # the volunteer is refused the signal list, as they should be
    login(page, "volunteer")
    go(page, "Report a signal")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a signal")
    page.get_by_label("Community volunteer").check()
    page.get_by_label("Place").select_option("TH-MSOT-BRDG")
    page.get_by_role("button", name="Send").click()
    check_refused(page, "This field is required.", page.get_by_label("What was seen or heard"))
    shot(page, "refused")
    page.get_by_label("What was seen or heard").fill(
        "Five porters at the bridge market with watery diarrhoea since Monday"
    )
    expect(page.get_by_label("Place")).to_have_value("TH-MSOT-BRDG")  # kept on the refusal
    page.get_by_label("Condition, if known").select_option("awd")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Signal sent.")).to_be_visible()
    shot(page, "sent")
    # The volunteer reports, and does not read or verify signals.
    response = page.goto("/surveillance/signals/")
    assert response is not None and response.status == 403

    officer = new_context().new_page()
    login(officer, "surveillance")
    go(officer, "Outbreaks")
    officer.get_by_role("link", name="Signals to triage or verify").click()
    officer.get_by_role("row").filter(has_text="Friendship Bridge").get_by_role(
        "link"
    ).first.click()
    expect(officer.get_by_text("Five porters at the bridge market")).to_be_visible()
    for step in ("Triaged", "Verified"):
        officer.get_by_label(step, exact=True).check()
        officer.get_by_role("button", name="Save").click()
        expect(officer.get_by_text("Signal updated.")).to_be_visible()
    officer.get_by_role("button", name="Open an outbreak from this signal").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Acute watery diarrhoea")
    # The border post's alert about the same condition is offered; the officer groups it.
    officer.get_by_role("button", name="Add").first.click()
    expect(officer.get_by_text("Outbreak updated.")).to_be_visible()
    officer.get_by_label("Declared", exact=True).check()
    officer.get_by_label("Note").fill("Culture positive at the hospital; two weeks above threshold")
    officer.get_by_role("button", name="Save").click()
    expect(officer.get_by_text("Outbreak updated.")).to_be_visible()
    facts = officer.locator("dl")
    expect(facts).to_contain_text("Declared")
    expect(facts).to_contain_text("surveillance")
    expect(officer.get_by_role("heading", name="Curve")).to_be_visible()
    expect(officer.get_by_role("heading", name="Line of cases")).to_be_visible()
    expect(officer.locator("figure svg")).to_have_count(2)  # the curve and the map
    # Held: the signal and the alert, each with its button to take it out again.
    expect(officer.get_by_role("button", name="Remove")).to_have_count(2)
    shot(officer, "declared")
    found = re.search(r"/surveillance/outbreaks/\d+/", officer.url)
    assert found is not None, officer.url
    outbreak_path = found.group(0)

    # Risk assessment, WHO's matrix: the level it gives is recorded.
    section = officer.get_by_role("region", name="Risk and response")
    section.get_by_role("link", name="Assess the risk").click()
    officer.get_by_label("Hazard assessment").fill("Acute watery diarrhoea, culture pending")
    officer.get_by_label("Exposure assessment").fill("Porters and traders at the bridge market")
    officer.get_by_label("Context assessment").fill("Shared latrines; daily crossings")
    officer.get_by_label("Likely", exact=True).check()
    officer.get_by_label("Major", exact=True).check()
    officer.get_by_label("High", exact=True).check()
    officer.get_by_role("button", name="Record the assessment").click()
    expect(officer.get_by_text("Risk assessment recorded: High risk.")).to_be_visible()

    # An early-response action, owned by the officer, due tomorrow.
    officer.goto(outbreak_path)
    section.get_by_role("link", name="Assign an action").click()
    officer.get_by_label("Action", exact=True).fill("Chlorinate the bridge market's water points")
    owner = officer.locator("#owner option", has_text="(surveillance)").get_attribute("value")
    officer.get_by_label("Owner").select_option(owner)
    due = dt.date.today() + dt.timedelta(days=1)
    officer.get_by_label("Due").fill(due.isoformat())
    officer.get_by_label("Early response action").check()
    officer.get_by_role("button", name="Assign").click()
    expect(officer.get_by_text("Action assigned to surveillance.", exact=True)).to_be_visible()
    shot(officer, "action")

    # Three days on, the hourly escalation finds it still open: escalated once, the owner told.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    server.shell(
        "import datetime as dt\n"
        "from mhis.response.services import escalate_actions\n"
        f"print(escalate_actions(now=dt.datetime.fromisoformat('{later}')))"
    )
    go(officer, re.compile(r"^Notifications \([1-9]\d*\)$"))
    # The notification names the condition, area and day, never the title (free text).
    officer.get_by_role(
        "link",
        name=re.compile(rf"^Overdue action: Acute watery diarrhoea, .*, due {due.isoformat()}"),
    ).first.click()
    expect(officer.get_by_text("escalated").first).to_be_visible()
    shot(officer, "escalated")
    officer.get_by_label("Done", exact=True).check()
    officer.get_by_role("button", name="Save").click()
    expect(officer.get_by_text("Action updated.")).to_be_visible()

    # Shared with the twin place across the border, after reading exactly what is sent.
    officer.goto(outbreak_path)
    border = officer.locator(
        "section", has=officer.get_by_role("heading", name="Across the border")
    )
    border.get_by_role("link", name="Share with the twin across the border").click()
    sent = officer.locator("dl.shared-content")
    expect(sent).to_contain_text("Acute watery diarrhoea")
    expect(sent).not_to_contain_text("Five porters")  # the volunteer's words stay here
    officer.get_by_label("Your message").fill("Cluster at the bridge market; please watch")
    officer.get_by_role("button", name="Send to the twin").click()
    expect(officer.get_by_text("Sent to Myawaddy.")).to_be_visible()

    twin = new_context().new_page()
    login(twin, "surveillance_mm")
    go(twin, re.compile(r"^Notifications \([1-9]\d*\)$"))
    twin.get_by_role(
        "link", name=re.compile("^Shared with us across the border: Acute watery diarrhoea")
    ).first.click()
    expect(twin.get_by_text("Cluster at the bridge market; please watch")).to_be_visible()
    twin.get_by_label("Reply").fill("Water points on our side chlorinated too")
    twin.get_by_role("button", name="Acknowledge").click()
    expect(twin.get_by_text("Acknowledged. The sender is told.")).to_be_visible()
    shot(twin, "acknowledged")
    officer.goto(outbreak_path)
    expect(border).to_contain_text("acknowledged by surveillance_mm")
    expect(border).to_contain_text("Water points on our side chlorinated too")

    # 7-1-7: emergence four days before detection, notified the next day; the early response
    # comes from the action done today.
    section.get_by_role("link", name="Record the 7-1-7 dates").click()
    detected = dt.date.fromisoformat(officer.get_by_label("Detection", exact=True).input_value())
    officer.get_by_label("Emergence", exact=True).fill(
        (detected - dt.timedelta(days=4)).isoformat()
    )
    officer.get_by_label("Notification", exact=True).fill(
        (detected + dt.timedelta(days=1)).isoformat()
    )
    responded = (dt.date.today() - detected - dt.timedelta(days=1)).days
    if responded > 7:  # the alert's week began long enough ago that the last 7 was missed
        officer.locator("#respond_bottleneck").select_option(label="Resources and supplies")
    officer.get_by_role("button", name="Save the dates").click()
    expect(officer.get_by_text("7-1-7 dates recorded.")).to_be_visible()
    go(officer, "Outbreaks")
    officer.get_by_role("link", name="7-1-7 performance").first.click()
    line = officer.get_by_role("row").filter(has=officer.locator(f'a[href="{outbreak_path}"]'))
    expect(line).to_contain_text("4 days · met")
    expect(line).to_contain_text("1 day · met")
    expect(line).to_contain_text(f"{responded} days")
    shot(officer, "717")
