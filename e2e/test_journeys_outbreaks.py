"""Event-based surveillance into an outbreak: a community volunteer reports a signal from the
border (a refused send named at the top first), the surveillance officer triages and verifies
it, opens an outbreak from it, groups the border post's alert with it and declares it; the
outbreak page shows its curve, its map and its line of cases."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.forms import check_refused

from .conftest import go


@pytest.mark.journey("outbreak")
def test_a_volunteers_signal_becomes_a_declared_outbreak(page, console, login, shot, new_context):
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
