"""Across a border: the Mae Sot officer shares the border post's outbreak with Myawaddy after
reading exactly what will be sent; Myawaddy's officer finds it under the notifications,
reads the snapshot (the original stays closed to them) and acknowledges it with a reply; the
Mae Sot officer sees the acknowledgement on the outbreak's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import go
from .test_pages import LIMIT, UNLABELLED

OUTBREAK = """
from mhis.surveillance.models import Outbreak
print(Outbreak.objects.get(area__code="TH-63-MSOT", condition="awd").pk)
"""
MESSAGE = "Porters cross the bridge daily; please watch for watery diarrhoea"
REPLY = "Seen: three cases at Myawaddy Hospital this week, water points chlorinated"


@pytest.mark.journey("crossborder")
def test_an_outbreak_is_shared_across_the_border_and_acknowledged(
    server, page, new_context, console, login, shot
):
    console.expect(r"status of 404")  # the twin is refused the original, as it should be
    pk = server.shell(OUTBREAK).splitlines()[-1]
    login(page, "surveillance")
    page.goto(f"/surveillance/outbreaks/{pk}/")
    section = page.locator("section", has=page.get_by_role("heading", name="Across the border"))
    expect(section).to_contain_text("Myawaddy")
    section.get_by_role("link", name="Share with the twin across the border").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Share with the twin across the border"
    )
    sent = page.locator("dl.shared-content")
    for text in ("Acute watery diarrhoea", "Mae Sot (TH)", "Myawaddy", "Declared"):
        expect(sent).to_contain_text(text)
    expect(page.get_by_role("table")).to_contain_text("ISO week")  # the curve
    page.get_by_label("Your message").fill(MESSAGE)
    shot(page, "confirm")
    page.get_by_role("button", name="Send to the twin").click()
    expect(page.get_by_text("Sent to Myawaddy.")).to_be_visible()
    expect(page.get_by_text(MESSAGE)).to_be_visible()

    twin = new_context().new_page()
    login(twin, "surveillance_mm")
    go(twin, re.compile(r"^Notifications \([1-9]\d*\)$"))
    twin.get_by_role(
        "link", name=re.compile("^Shared with us across the border: Acute watery diarrhoea")
    ).first.click()
    expect(twin.get_by_role("heading", level=1)).to_contain_text("Shared across the border")
    expect(twin.get_by_text(MESSAGE)).to_be_visible()
    twin.get_by_label("Reply").fill(REPLY)
    shot(twin, "received")
    twin.get_by_role("button", name="Acknowledge").click()
    expect(twin.get_by_text("Acknowledged. The sender is told.")).to_be_visible()
    expect(twin.get_by_text("Acknowledged by surveillance_mm")).to_be_visible()
    go(twin, "Across borders")
    expect(twin.get_by_role("heading", level=1)).to_have_text("Shared with us")
    expect(twin.get_by_role("row").filter(has_text="Mae Sot").first).to_be_visible()
    # The snapshot only: the outbreak itself stays in Mae Sot's places.
    response = twin.goto(f"/surveillance/outbreaks/{pk}/")
    assert response is not None and response.status == 404

    page.goto(f"/surveillance/outbreaks/{pk}/")
    expect(section).to_contain_text("acknowledged by surveillance_mm")
    expect(section).to_contain_text(REPLY)
    expect(page.locator("ol")).to_contain_text("Acknowledged by Myawaddy")
    shot(page, "acknowledged")


SHARE = """
from mhis.crossborder.models import Share
print(Share.objects.filter(to_place__code="MM-13-MWD").order_by("pk").first().pk)
"""


@pytest.mark.viewports("desktop")
def test_the_cross_border_pages_read_without_javascript_with_every_field_labelled(
    browser, server, login
):
    outbreak = server.shell(OUTBREAK).splitlines()[-1]
    share = server.shell(SHARE).splitlines()[-1]
    addresses = [
        ("surveillance", "/across-borders/sent/?state=acknowledged"),
        ("surveillance", f"/across-borders/share/outbreak/{outbreak}/"),
        ("surveillance_mm", "/across-borders/"),
        ("surveillance_mm", f"/across-borders/shares/{share}/"),
        ("admin", "/across-borders/twinnings/"),
    ]
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        for user, path in addresses:
            login(page, user)
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert not page.evaluate(UNLABELLED), path
            assert len(page.content().encode()) < LIMIT, path
        # The twinned pair is listed for the administrator, with its agreement.
        expect(page.get_by_role("row").filter(has_text="MBDS Mae Sot–Myawaddy")).to_be_visible()
    finally:
        context.close()
