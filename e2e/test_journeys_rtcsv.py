"""Weekly reports downloaded in the import's own columns: from the weekly report page, a
refused range named at the top and linked to its field, then the file itself."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from e2e.forms import check_refused

from .conftest import go


def _week(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@pytest.mark.journey("surveillance-download")
def test_an_officer_downloads_weekly_reports_the_import_reads(page, console, login, shot):
    console.expect(r"status of 422")  # the refused range is answered 422, as it should be
    today = dt.date.today()
    first, last = _week(today - dt.timedelta(weeks=10)), _week(today - dt.timedelta(weeks=1))
    login(page, "surveillance")
    go(page, "Weekly report")
    page.get_by_role("link", name="Download weekly reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download weekly reports")
    # The last week before the first: named at the top, linked to its field, values kept.
    page.get_by_label("From week (for example 2026-W01)").fill(last)
    page.get_by_label("To week (for example 2026-W10)").fill(first)
    page.get_by_role("button", name="Download").click()
    check_refused(
        page,
        "The last week comes before the first.",
        page.get_by_label("To week (for example 2026-W10)"),
    )
    expect(page.get_by_label("From week (for example 2026-W01)")).to_have_value(last)
    shot(page, "refused")
    page.get_by_label("From week (for example 2026-W01)").fill(first)
    page.get_by_label("To week (for example 2026-W10)").fill(last)
    page.get_by_label("CSV (UTF-8, comma-separated)").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename.startswith("weekly-reports-")
    assert download.suggested_filename.endswith(f"-{first}-{last}.csv")
    with open(download.path(), "rb") as handle:
        body = handle.read()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == ["site", "week", "condition", "sex", "age_group", "count", "note"]
    assert all(first <= row[1] <= last for row in rows[1:])
    shot(page, "form")
