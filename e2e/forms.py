"""What every refused save in a journey must show: the error summary at the top (GOV.UK
Design System's pattern, `includes/error_summary.html`), holding the focus, listing the
problem as a link that puts the cursor in its field. What was typed is checked by each
journey, as only it knows what it typed."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def error_summary(page: Page) -> Locator:
    """The page's error summary (an alert headed "There is a problem"; a weekly report's raised
    alerts are alerts too, so the heading tells them apart)."""
    return page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="There is a problem")
    )


def check_refused(page: Page, problem: str | re.Pattern[str], field: Locator) -> Locator:
    """Assert the refused save's summary is shown with the focus, that its message `problem`
    links to `field`, and that following the link puts the cursor there. Returns the
    summary."""
    summary = error_summary(page)
    expect(summary).to_be_visible()
    expect(summary).to_have_class(re.compile(r"\berror-summary\b"))
    # Focus moved to the summary when the page loaded, so a screen reader reads it first.
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=problem)
    expect(link).to_have_count(1)
    field_id = field.get_attribute("id")
    assert field_id, "the field the message links to has no id"
    expect(link).to_have_attribute("href", f"#{field_id}")
    link.click()
    expect(field).to_be_focused()
    return summary
