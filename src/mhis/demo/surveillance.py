"""The demo world's weekly surveillance: three years of reports from the sites that report
(health corners, border posts, camps and mobile clinics), with seasonal counts, a current
outbreak of acute watery diarrhoea at a border post (with a volunteer's signal, its alerts and
its history, declared) and a suspected measles case, then the last full week evaluated so that
the alert list has something to show: the outbreak's alert owned by the officer, the measles
alert overdue and escalated."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mhis.demo.reporting import build_missing_report
from mhis.places.models import Place
from mhis.response.demo import build_response
from mhis.surveillance import owners
from mhis.surveillance import services as surveillance
from mhis.surveillance.models import Alert, ReportCount, ReportSource, WeeklyReport

# Typical weekly cases at a reporting site, and the week of the year they peak (rainy season).
LEVELS = {"awd": (3.0, 30), "ili": (4.0, 5), "dengue": (1.0, 32), "malaria": (0.8, 28),
          "scabies": (1.5, 10), "tb": (0.3, None), "bloody_diarrhoea": (0.3, 30),
          "jaundice": (0.1, None), "covid19": (0.5, 2)}  # fmt: skip
REPORTING = {"health_corner", "border_post", "camp", "mobile_clinic", "assessment_centre"}
YEARS = 3


def build_surveillance(seed: int, today: date | None = None) -> dict[str, int]:
    rng = random.Random(seed + 48)
    sites = list(Place.objects.filter(kind="site", site_type__in=REPORTING).order_by("code"))
    if not sites:
        return {"reports": 0, "alerts": 0}
    today = today or timezone.localdate()
    last = surveillance.last_full_week(today)
    end = surveillance.monday(*last)
    tak = Place.objects.filter(code="TH-63").first()
    in_tak = [s for s in sites if tak and s.path.startswith(tak.path)] or sites
    # Where the demo's surveillance officer looks: the outbreak at a border post (ADR 0029).
    border = [s for s in in_tak if s.site_type == "border_post"]
    outbreak, measles = (border or in_tak)[0], in_tak[-1]
    reports, counts = [], []
    with transaction.atomic():
        for site in sites:
            size = rng.uniform(0.5, 2.0)
            for n in range(YEARS * 52, -1, -1):
                if rng.random() < 0.08 and n > 1:
                    continue  # a week the site did not report
                monday = end - timedelta(weeks=n)
                year, week = surveillance.week_of(monday)
                reports.append(
                    WeeklyReport(
                        site=site,
                        year=year,
                        week=week,
                        source=ReportSource.FORM,
                        on_time=rng.random() < 0.85 or monday + timedelta(days=7) > today,
                    )
                )
                cells = {}
                for code, (level, peak) in LEVELS.items():
                    season = (
                        1.0
                        if peak is None
                        else math.exp(0.6 * math.cos(2 * math.pi * (week - peak) / 52))
                    )
                    cases = _poisson(rng, level * size * season)
                    if code == "awd" and site == outbreak and n <= 1:
                        cases += 25 + rng.randrange(10)  # the current outbreak
                    if cases:
                        cells[code] = cases
                if site == measles and n == 0:
                    cells["measles"] = 1
                counts.append(cells)
        WeeklyReport.objects.bulk_create(reports, batch_size=2000)
        rows = []
        for report, cells in zip(reports, counts, strict=True):
            for code, cases in cells.items():
                rows.append(ReportCount(report=report, condition=code, count=cases))
        ReportCount.objects.bulk_create(rows, batch_size=5000)
    result = surveillance.evaluate_week(*last)
    # The week before at the outbreak's site too: the outbreak holds two weeks' alerts.
    surveillance.evaluate_week(*surveillance.week_of(end - timedelta(weeks=1)), [outbreak.pk])
    _owners_and_deadlines(outbreak, measles, last)
    build_outbreak(outbreak, today)
    build_missing_report([s for s in in_tak if s not in (outbreak, measles)], today)
    return {"reports": len(reports), "alerts": result["new_alerts"]}


def build_outbreak(site: Place, today: date) -> None:
    """The outbreak at the border post, as a response would have left it: a volunteer's
    signal, triaged and verified by the surveillance officer, an outbreak opened from it that
    holds the site's acute watery diarrhoea alerts, declared."""
    from mhis.access.models import User
    from mhis.crossborder import demo as crossborder_demo
    from mhis.surveillance import outbreaks
    from mhis.surveillance.models import Alert

    volunteer = User.objects.filter(username="volunteer").first()
    officer = User.objects.filter(username="surveillance").first()
    if (
        volunteer is None
        or officer is None
        or not site.path.startswith(
            Place.objects.filter(code="TH-63-MSOT").values_list("path", flat=True).first() or "-"
        )
    ):
        return
    signal = outbreaks.report_signal(
        volunteer,
        {
            "text": "Many people with watery diarrhoea in the dormitories by the bridge market; "
            "two taken to hospital.",
            "source": "community",
            "place": site.code,
            "date": (today - timedelta(days=9)).isoformat(),
        },
    )
    signal = outbreaks.move_signal(officer, signal, "triaged", "Called the volunteer back.")
    signal = outbreaks.move_signal(
        officer, signal, "verified", "Confirmed by the border post's nurse.", "awd"
    )
    outbreak = outbreaks.open_outbreak(officer, signal=signal)
    for alert in Alert.objects.filter(site=site, condition="awd").order_by("year", "week"):
        outbreaks.link(officer, outbreak, alert_id=alert.pk)
    outbreaks.move_outbreak(
        officer, outbreak, "declared", "Two weeks above threshold, a verified cluster."
    )
    build_response(outbreak, officer)
    crossborder_demo.share_outbreak(outbreak, officer)


def _owners_and_deadlines(outbreak, measles, week) -> None:
    """The outbreak's alert owned by the demo's officer; the measles alert left unverified
    past its deadline, and escalated (the officer and the administrator are notified)."""
    officer = get_user_model().objects.filter(username="surveillance").first()
    alerts = Alert.objects.filter(year=week[0], week=week[1])
    first = alerts.filter(site=outbreak, condition="awd").first()
    if officer is not None and first is not None:
        owners.assign_owner(officer, first, officer.pk)
    late = alerts.filter(site=measles, condition="measles")
    late.update(due_at=timezone.now() - timedelta(hours=2))
    owners.escalate()


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the demo's means are small."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
