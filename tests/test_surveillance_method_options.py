"""Each condition's method options reach the week's evaluation: the no-extrapolation rule,
the trend test level and limit54 are settings of the condition (conditions.py)."""

import dataclasses
import datetime as dt
import math

import pytest

from mhis.surveillance import conditions, detection, services
from mhis.surveillance.models import Alert, ReportCount, WeeklyReport

LAST_WEEK = services.week_of(dt.date(2026, 11, 16))  # 2026-W47, a finished week


def _reports(site, code, count):
    """Reports for 2026-W47 and the 300 weeks before it, `count(n)` cases n weeks back."""
    end = services.monday(*LAST_WEEK)
    reports = []
    for n in range(300, -1, -1):
        year, week = services.week_of(end - dt.timedelta(weeks=n))
        reports.append(WeeklyReport(site=site, year=year, week=week, source="import", on_time=True))
    WeeklyReport.objects.bulk_create(reports)
    ReportCount.objects.bulk_create(
        ReportCount(report=r, condition=code, count=count(300 - i)) for i, r in enumerate(reports)
    )


def _with(monkeypatch, code, **options):
    condition = conditions.BY_CODE[code]
    changed = dataclasses.replace(condition.settings, **options)
    monkeypatch.setitem(conditions.BY_CODE, code, dataclasses.replace(condition, settings=changed))


def test_every_statistical_condition_carries_valid_method_options():
    for condition in conditions.CONDITIONS:
        assert isinstance(condition.settings, detection.FarringtonSettings), condition.code
    # The defaults, as ADR 0007 documents them against R's advice.
    default = detection.FarringtonSettings()
    assert (default.trend_level, default.no_extrapolation, default.limit54) == (0.05, True, (5, 4))


@pytest.mark.parametrize(("rule", "alerts"), [(True, 1), (False, 0)])
def test_the_no_extrapolation_rule_of_the_condition_decides_the_alert(
    people, world, monkeypatch, rule, alerts
):
    # Dengue rising gently towards the present (round(20·e^(−0.002·n)) n weeks back), 30
    # cases this week. With the trend, 20 are expected and the threshold is 32; the trend
    # predicts above every baseline week, so the rule drops it: 14.8 expected, threshold 26.
    # R's farringtonFlexible on the same 264 weeks (bench/surveillance/r/reference.R, R 4.2.2,
    # surveillance 1.20.3): trend model 20.027 > 19, dropped; expected 14.800000000000123,
    # upperbound 26, alarm.
    _reports(
        world["BRIDGE"], "dengue", lambda n: 30 if n == 0 else round(20 * math.exp(-0.002 * n))
    )
    _with(monkeypatch, "dengue", no_extrapolation=rule)
    assert services.evaluate_week(*LAST_WEEK)["new_alerts"] == alerts
    if alerts:
        alert = Alert.objects.get(condition="dengue")
        assert alert.method == "farrington" and alert.observed == 30
        assert alert.expected == pytest.approx(14.8) and alert.threshold == 26


@pytest.mark.parametrize(("limit54", "alerts"), [((5, 4), 0), ((3, 4), 1), (None, 1)])
def test_limit54_of_the_condition_decides_whether_few_cases_alert(
    people, world, monkeypatch, limit54, alerts
):
    # Scabies about once in five weeks (a case every fifth week), 3 cases this week: above
    # the method's threshold, below the default 5 cases in 4 weeks.
    _reports(world["BRIDGE"], "scabies", lambda n: 3 if n == 0 else int(n % 5 == 0))
    _with(monkeypatch, "scabies", limit54=limit54)
    assert services.evaluate_week(*LAST_WEEK)["new_alerts"] == alerts
