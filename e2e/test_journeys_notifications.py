"""An alert's owner and deadline in the browser: the officer assigns an owner, the owner finds
the notification under the header's count, and an alert left unverified past its deadline is
escalated onto the overdue list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import go

# An open alert at a site under Tak (the demo officer's province), made new and unowned, due
# in a day: printed as id|condition|site.
OPEN_ALERT = """
import datetime as dt
from django.utils import timezone
from mhis.surveillance.models import Alert
a = Alert.objects.filter(site__path__startswith=Alert.objects.model._meta.apps.get_model(
    "places", "Place").objects.get(code="TH-63").path).order_by("-year", "-week", "pk").first()
Alert.objects.filter(pk=a.pk).update(state="new", owner=None, escalated_at=None,
    due_at=timezone.now() + dt.timedelta(days=1))
print(f"{a.pk}|{a.get_condition_display()}|{a.site.name}")
"""

# The deadline passes (as if a day went by), then the worker's escalation runs.
ESCALATE = """
import datetime as dt
from django.core.management import call_command
from django.utils import timezone
from mhis.surveillance.models import Alert
Alert.objects.filter(pk={pk}).update(due_at=timezone.now() - dt.timedelta(hours=1))
call_command("surveillance", "escalate")
"""


@pytest.mark.journey("alert-owner")
def test_officer_assigns_an_owner_who_is_notified_and_a_late_alert_is_escalated(
    server, new_context, page, login, shot
):
    pk, condition, site = server.shell(OPEN_ALERT).splitlines()[-1].split("|")
    login(page, "surveillance")
    go(page, "Alerts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open alerts")
    page.goto(f"/surveillance/alerts/{pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(condition)
    expect(page.locator("dl")).to_contain_text("nobody yet")
    page.get_by_label("Owner").select_option(label="admin")
    shot(page, "assign")
    page.get_by_role("button", name="Assign owner").click()
    expect(page.locator("dl")).to_contain_text("admin")
    expect(page.locator("ol")).to_contain_text("owner: admin")

    owner = new_context().new_page()
    login(owner, "admin")
    go(owner, re.compile(r"^Notifications \([1-9]\d*\)$"))
    expect(owner.get_by_role("heading", level=1)).to_have_text("Notifications")
    note = owner.get_by_role("link", name=re.compile(f"^Alert assigned to you: {condition} at"))
    expect(note.first).to_contain_text(site)
    shot(owner, "notified")
    owner.get_by_role("button", name="Mark all read").click()
    expect(owner.locator("header nav")).to_contain_text("Notifications (0)")
    note.first.click()
    expect(owner.get_by_role("heading", level=1)).to_contain_text(condition)

    server.shell(ESCALATE.format(pk=pk))
    go(page, "Alerts")
    page.get_by_role("link", name="Overdue alerts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue alerts")
    row = page.get_by_role("row").filter(has=page.locator(f'a[href="/surveillance/alerts/{pk}/"]'))
    expect(row).to_contain_text("escalated")
    expect(row).to_contain_text("admin")
    shot(page, "overdue")
    # The officer over the province is told too.
    go(page, re.compile(r"^Notifications \([1-9]\d*\)$"))
    expect(
        page.get_by_role("link", name=re.compile(f"^Overdue alert: {condition}")).first
    ).to_be_visible()
