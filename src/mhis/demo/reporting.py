"""The demo's missing weekly report: one reporting site in Tak (not the outbreak's, not one
with an alert that week) has not sent its last full week, so that the completeness page has
a site to highlight and remind (docs/decisions/0033)."""

from __future__ import annotations

from datetime import date

from mhis.places.models import Place
from mhis.surveillance import services as surveillance
from mhis.surveillance.models import Alert, WeeklyReport


def build_missing_report(sites: list[Place], today: date) -> Place | None:
    """Take back the last full week's report of the first of `sites` without an alert that
    week; the site it was, or None."""
    year, week = surveillance.last_full_week(today)
    alerted = set(Alert.objects.filter(year=year, week=week).values_list("site_id", flat=True))
    for site in sites:
        if site.pk in alerted:
            continue
        WeeklyReport.objects.filter(site=site, year=year, week=week).delete()
        return site
    return None
