"""Reports that keep the truth: a correction changes only what it names, weeks and counts are
bounded, alerts follow their corrected counts, and a week not reported is missing, not 0."""

import datetime as dt
import math

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mhis.surveillance import detection, services
from mhis.surveillance.models import Alert, AlertState, ReportCount, WeeklyReport

TODAY = dt.date(2026, 11, 30)  # a Monday: 2026-W48 is over, 2026-W49 has begun


def _now(day=TODAY):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def _week(weeks_ago: int) -> str:
    """A finished week: 0 is the last one (2026-W48)."""
    return services.week_label(*services.week_of(TODAY - dt.timedelta(weeks=weeks_ago + 1)))


def _send(user, site, week, counts, evaluate=False, now=None, **extra):
    return services.submit_report(
        user,
        {"site": site, "week": week, "counts": counts, **extra},
        now=now or _now(),
        evaluate=evaluate,
    )


def _counts(site="RNG-PORT", year=2026, week=47) -> dict:
    report = WeeklyReport.objects.get(site__code=site, year=year, week=week, current=True)
    out: dict[str, int] = {}
    for cell in ReportCount.objects.filter(report=report):
        out[cell.condition] = out.get(cell.condition, 0) + cell.count
    return out


def _errors(exc) -> dict:
    return exc.value.message_dict


def _quiet_history(user, weeks=14):
    """Quiet weeks of watery diarrhoea before the last week: EARS C2's history."""
    for n in range(weeks, 0, -1):
        _send(user, "RNG-PORT", _week(n), [{"condition": "awd", "count": 2 + n % 2}])


# Corrections change only what they name ---------------------------------------------------


def test_a_form_correction_starts_from_the_current_version_and_keeps_what_is_not_retyped(
    client, people, world
):
    client.force_login(people["chw"])
    first = {"site": "RNG-PORT", "week": "2026-W47", "awd-male": "4", "dengue-female": "2",
             "scabies-female": "3", "malaria-unknown": "1"}  # fmt: skip
    assert client.post("/surveillance/report/", first).status_code == 302
    page = client.get("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47"})
    html = page.content.decode()
    assert 'name="dengue-female" value="2"' in html  # pre-filled from the current version
    assert "a blank cell keeps its count" in html
    # Only watery diarrhoea is re-typed; every other cell is left blank.
    fixed = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                                  "awd-male": "6"})  # fmt: skip
    assert fixed.status_code == 302
    assert _counts() == {"awd": 6, "dengue": 2, "scabies": 3, "malaria": 1}
    assert WeeklyReport.objects.filter(site__code="RNG-PORT", year=2026, week=47).count() == 2
    # Zero only when typed: dengue goes to 0, the rest stays.
    zero = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                                 "dengue-female": "0"})  # fmt: skip
    assert zero.status_code == 302
    counts = _counts()
    assert counts["dengue"] == 0 and counts["awd"] == 6 and counts["scabies"] == 3
    # Sending the pre-filled form back unchanged writes no new version.
    again = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": "2026-W47",
                                                  "awd-male": "6", "scabies-female": "3"})  # fmt: skip
    assert again.status_code == 302
    assert WeeklyReport.objects.filter(site__code="RNG-PORT", year=2026, week=47).count() == 3


def test_an_api_correction_changes_only_the_conditions_it_names(people, world, api):
    client = api(people["chw"])
    body = {"site": "RNG-PORT", "week": "2026-W47", "note": "Clinic closed Friday",
            "counts": [{"condition": "awd", "count": 3}, {"condition": "dengue", "count": 2}]}  # fmt: skip
    assert client.post("/api/surveillance/reports", body).status_code == 201
    fixed = client.post("/api/surveillance/reports", {"site": "RNG-PORT", "week": "2026-W47",
                                                      "counts": [{"condition": "awd", "count": 5}]})  # fmt: skip
    assert fixed.status_code == 201 and fixed.json()["version"] == 2
    assert _counts() == {"awd": 5, "dengue": 2}
    assert WeeklyReport.objects.get(current=True, week=47).note == "Clinic closed Friday"
    zero = client.post("/api/surveillance/reports", {"site": "RNG-PORT", "week": "2026-W47",
                                                     "counts": [{"condition": "dengue", "count": 0}]})  # fmt: skip
    assert zero.status_code == 201
    assert _counts() == {"awd": 5, "dengue": 0}


def test_an_imported_correction_changes_only_the_conditions_its_rows_name(people, world, tmp_path):
    table = tmp_path / "weeks.csv"
    table.write_text(
        "site,week,condition,sex,age_group,count\n"
        "RNG-PORT,2026-W47,awd,female,0-4,3\n"
        "RNG-PORT,2026-W47,dengue,male,15-49,2\n",
        encoding="utf-8",
    )
    services.import_reports(people["chw"], services.read_table(table))
    fix = tmp_path / "fix.csv"
    fix.write_text(
        "site,week,condition,sex,age_group,count\nRNG-PORT,2026-W47,awd,female,0-4,7\n",
        encoding="utf-8",
    )
    lines = services.import_reports(people["chw"], services.read_table(fix))
    assert [line["status"] for line in lines] == ["corrected"]
    assert _counts() == {"awd": 7, "dengue": 2}


# Alerts follow their corrected counts -------------------------------------------------------


def test_an_alert_whose_cases_are_corrected_away_is_closed_with_a_note(people, world):
    chw = people["chw"]
    _quiet_history(chw)
    _send(chw, "RNG-PORT", _week(0), [{"condition": "awd", "count": 60}], evaluate=True)
    alert = Alert.objects.get(condition="awd")
    assert alert.state == AlertState.NEW and alert.observed == 60
    report, _ = _send(chw, "RNG-PORT", _week(0), [{"condition": "awd", "count": 3}], evaluate=True)
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED and alert.observed == 3
    last = alert.events.order_by("at", "pk").last()
    assert (last.from_state, last.to_state) == (AlertState.NEW, AlertState.CLOSED)
    assert last.note.startswith("closed after correction (v2): observed now 3, threshold ")
    assert f"threshold {alert.threshold:g}" in last.note
    assert report.evaluation["changed"] == [(alert.pk, "closed")]


def test_an_alert_still_above_after_a_correction_gets_the_new_count_and_a_note(people, world):
    chw = people["chw"]
    _quiet_history(chw)
    _send(chw, "RNG-PORT", _week(0), [{"condition": "awd", "count": 60}], evaluate=True)
    _send(chw, "RNG-PORT", _week(0), [{"condition": "awd", "count": 80}], evaluate=True)
    alert = Alert.objects.get(condition="awd")
    assert alert.state == AlertState.NEW and alert.observed == 80
    notes = [e.note for e in alert.events.all()]
    assert any(n.startswith("updated after correction (v2): observed 60, now 80") for n in notes)


def test_a_confirmed_alert_corrected_away_keeps_its_state_with_a_note(people, world):
    chw, officer = people["chw"], people["admin"]
    _send(chw, "RNG-PORT", _week(0), [{"condition": "cholera", "count": 2}], evaluate=True)
    alert = Alert.objects.get(condition="cholera")
    services.transition(officer, alert, AlertState.VERIFYING, "Calling")
    alert.refresh_from_db()
    services.transition(officer, alert, AlertState.CONFIRMED, "Stool culture positive")
    _send(chw, "RNG-PORT", _week(0), [{"condition": "cholera", "count": 0}], evaluate=True)
    alert.refresh_from_db()
    assert alert.state == AlertState.CONFIRMED and alert.observed == 0
    last = alert.events.order_by("at", "pk").last()
    assert last.note == (
        "no longer above the threshold after correction (v2): observed now 0, threshold 0"
    )


def test_the_form_lists_only_the_alerts_its_correction_raised_or_changed(client, people, world):
    chw = people["chw"]
    _quiet_history(chw)
    client.force_login(chw)
    week = _week(0)
    first = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": week,
                                                  "awd-unknown": "60", "cholera-female": "1"})  # fmt: skip
    assert first.status_code == 302
    assert set(Alert.objects.values_list("condition", flat=True)) == {"awd", "cholera"}
    html = client.get(first.url).content.decode()
    section = html[html.index('id="raised-title"') : html.index("</section>")]
    assert "Cholera" in section and "new alert" in section
    fixed = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": week,
                                                  "awd-unknown": "4"})  # fmt: skip
    html = client.get(fixed.url).content.decode()
    section = html[html.index('id="raised-title"') : html.index("</section>")]
    assert "closed: no longer above the threshold" in section
    assert "Cholera" not in section  # still open, but not this correction's doing
    # The message is shown once, not on every later visit.
    again = client.get(fixed.url).content.decode()
    assert 'id="raised-title"' not in again


# Weeks and counts are bounded --------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("1850-W01", "Week 1850-W01 is more than "),
        ("2016-W47", "Week 2016-W47 is more than "),  # a typed 2016 for 2026
        ("2026-W49", "Week 2026-W49 is not over yet: send its report from Monday 2026-12-07."),
    ],
)
def test_a_week_before_the_horizon_or_not_over_is_refused_with_a_message(
    people, world, week, message
):
    with pytest.raises(ValidationError) as exc:
        _send(people["chw"], "RNG-PORT", week, [{"condition": "awd", "count": 1}])
    assert list(_errors(exc)) == ["week"]
    assert _errors(exc)["week"][0].startswith(message)
    assert not WeeklyReport.objects.exists()


def test_the_current_week_is_refused_on_the_form_too(client, people, world):
    client.force_login(people["chw"])
    current = services.week_label(*services.week_of(timezone.localdate()))
    page = client.post("/surveillance/report/", {"site": "RNG-PORT", "week": current,
                                                 "awd-male": "2"})  # fmt: skip
    assert page.status_code == 422
    html = page.content.decode()
    assert f"Week {current} is not over yet" in html and 'href="#week"' in html
    assert not WeeklyReport.objects.exists()


def test_the_horizon_is_a_setting(people, world, settings):
    settings.MHIS_SURVEILLANCE_HORIZON_WEEKS = 10
    with pytest.raises(ValidationError) as exc:
        _send(people["chw"], "RNG-PORT", _week(12), [])
    assert "is more than 10 weeks ago" in _errors(exc)["week"][0]
    assert _send(people["chw"], "RNG-PORT", _week(8), [])[1]


def test_a_week_before_the_sites_first_report_needs_a_confirmation(people, world, api):
    _send(people["chw"], "RNG-PORT", "2026-W40", [])
    with pytest.raises(ValidationError) as exc:
        _send(people["chw"], "RNG-PORT", "2025-W40", [])
    assert _errors(exc)["week"] == [
        "Week 2025-W40 is before this site's first report (2026-W40). Check the year; to send "
        "an earlier week, confirm it."
    ]
    assert "confirm" in _errors(exc)
    report, created = _send(people["chw"], "RNG-PORT", "2025-W40", [], confirm=True)
    assert created and (report.year, report.week) == (2025, 40)


def test_an_implausible_count_is_refused_and_an_unusual_one_needs_a_confirmation(
    people, world, api
):
    client = api(people["chw"])
    huge = {"site": "RNG-PORT", "week": "2026-W47",
            "counts": [{"condition": "dengue", "count": 1}, {"condition": "awd", "count": 3_000_000_000}]}  # fmt: skip
    refused = client.post("/api/surveillance/reports", huge)
    assert refused.status_code == 422, refused.content
    detail = refused.json()["detail"]
    assert [d["loc"][1:] for d in detail] == [["counts", 1, "count"]]
    assert detail[0]["msg"].startswith("3000000000 cases of Acute watery diarrhoea in one week")
    assert not WeeklyReport.objects.exists()

    unusual = {"site": "RNG-PORT", "week": "2026-W47",
               "counts": [{"condition": "awd", "count": 450}]}  # fmt: skip
    refused = client.post("/api/surveillance/reports", unusual)
    assert refused.status_code == 422
    fields = {tuple(d["loc"][1:]): d["msg"] for d in refused.json()["detail"]}
    assert set(fields) == {("counts", 0, "count"), ("confirm",)}
    assert "is more than usual at this site" in fields[("counts", 0, "count")]
    accepted = client.post("/api/surveillance/reports", {**unusual, "confirm": True})
    assert accepted.status_code == 201
    # Re-sending the same count, or correcting another condition, needs no new confirmation.
    other = {
        "site": "RNG-PORT",
        "week": "2026-W47",
        "counts": [{"condition": "dengue", "count": 1}],
    }
    assert client.post("/api/surveillance/reports", other).status_code == 201
    assert _counts() == {"awd": 450, "dengue": 1}


def test_a_count_above_the_sites_population_is_refused(people, world):
    services.record_population(
        people["admin"], {"site": "RNG-PORT", "since": "2026-01-01", "population": 300}
    )
    with pytest.raises(ValidationError) as exc:
        _send(people["chw"], "RNG-PORT", "2026-W47", [{"condition": "awd", "count": 301}])
    assert _errors(exc) == {
        "counts.0.count": [
            "301 cases of Acute watery diarrhoea in one week is more than the site's "
            "population (300). Check the number."
        ]
    }


def test_the_form_asks_to_confirm_an_unusual_count_and_saves_only_with_it(client, people, world):
    client.force_login(people["chw"])
    typed = {"site": "RNG-PORT", "week": "2026-W47", "awd-male": "450"}
    first = client.post("/surveillance/report/", typed)
    assert first.status_code == 422
    html = first.content.decode()
    assert "is more than usual at this site" in html and 'name="confirm"' in html
    assert 'href="#awd-male"' in html and 'href="#confirm"' in html
    assert not WeeklyReport.objects.exists()
    assert client.post("/surveillance/report/", {**typed, "confirm": "1"}).status_code == 302
    assert _counts() == {"awd": 450}


def test_an_import_row_names_its_confirmation(people, world, tmp_path):
    table = tmp_path / "weeks.csv"
    table.write_text(
        "site,week,condition,sex,age_group,count,confirm\n"
        "RNG-PORT,2026-W46,awd,female,0-4,450,\n"
        "RNG-PORT,2026-W47,awd,female,0-4,450,yes\n",
        encoding="utf-8",
    )
    lines = services.import_reports(people["chw"], services.read_table(table))
    assert [line["status"] for line in lines] == ["rejected", "new"]
    assert {(e["row"], e["field"]) for e in lines[0]["errors"]} == {(2, "count"), (2, "confirm")}


# A week not reported is missing ------------------------------------------------------------


def test_a_week_not_reported_is_missing_in_the_series_and_the_chart(client, people, world):
    chw = people["chw"]
    _send(chw, "RNG-PORT", "2026-W40", [{"condition": "cholera", "count": 3}])
    _send(chw, "RNG-PORT", "2026-W42", [{"condition": "cholera", "count": 2}], evaluate=True)
    series = services.weekly_series([world["RANONG"].pk], 2026, 42, conditions=["cholera"])
    values = series[(world["RANONG"].pk, "cholera")]
    assert values[0] == 3 and math.isnan(values[1]) and values[2] == 2
    alert = Alert.objects.get(condition="cholera", week=42)
    chart = services.alert_series(alert)
    assert [(p["week"], p["cases"]) for p in chart] == [
        ("2026-W40", 3),
        ("2026-W41", None),  # drawn as a gap, not a 0
        ("2026-W42", 2),
    ]
    client.force_login(people["admin"])
    page = client.get(f"/surveillance/alerts/{alert.pk}/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert "a week without a report is left blank" in page.content.decode()


def _seasonal(weeks: int) -> np.ndarray:
    t = np.arange(weeks)
    return np.round(6 + 3 * np.sin(2 * np.pi * t / 52)).astype(float)


# R's numbers for the seasonal series below (weeks 30, 31 and 150 not reported, 7 cases this
# week): computed with R 4.2.2, surveillance 1.20.3 (Debian r-cran-surveillance 1.20.3-1) by
# bench/surveillance/r/reference.R, farringtonFlexible with MHIS's options (b = 5, w = 3,
# noPeriods = 10, pastWeeksNotIncluded = 26, weightsThreshold = 2.58, alpha = 0.005,
# pThresholdTrend = 0.05, thresholdMethod = "nbPlugin", whose upperbound is the same
# negative binomial quantile as MHIS's threshold). R fits 234 weeks: the NA ones are dropped.
R_HOLES_EXPECTED = 7.0000000000000355  # control$expected, trend not kept
R_HOLES_THRESHOLD = 15  # upperbound
R_HOLES_ALARM = False
# The same weeks given as 0: R keeps the trend here (control$trend 1) and expects more; the
# same at pThresholdTrend = 1.
R_HOLES_AS_ZERO_EXPECTED = 7.1285056674919645
R_HOLES_AS_ZERO_THRESHOLD = 15


def test_the_improved_farrington_method_leaves_a_week_not_reported_out_of_its_fit():
    settings = detection.FarringtonSettings()
    weeks = settings.history_needed() + 1
    full = np.full(weeks, 4.0)
    gaps = full.copy()
    gaps[[55, 56, 107, 159, 160, 211]] = np.nan  # weeks around this one in past years
    as_zero = np.nan_to_num(gaps)
    missing, zeros = detection.farrington(np.vstack([gaps, as_zero]), settings).expected
    reference = detection.farrington(full[None, :], settings).expected[0]
    assert missing == pytest.approx(4.0, rel=1e-6) == reference
    assert zeros < 3.95  # counted as 0 they would pull the expectation down
    # A seasonal series: the missing weeks change the fit no more than leaving them out does,
    # i.e. the same series with those weeks at their fitted means gives the same expectation.
    seasonal = _seasonal(weeks)
    holes = seasonal.copy()
    holes[[30, 31, 150]] = np.nan
    with_holes = detection.farrington(holes[None, :], settings)
    assert with_holes.expected[0] == pytest.approx(R_HOLES_EXPECTED, rel=1e-6)
    assert with_holes.threshold[0] == R_HOLES_THRESHOLD
    assert bool(with_holes.alarm[0]) is R_HOLES_ALARM and not with_holes.trend[0]
    zeros = detection.farrington(np.nan_to_num(holes)[None, :], settings)
    assert with_holes.expected[0] != zeros.expected[0]
    assert zeros.threshold[0] == R_HOLES_AS_ZERO_THRESHOLD and not zeros.alarm[0]
    # With the zeros R keeps the trend and MHIS does not; the model with the trend is the
    # same in both (at trend level 1 both keep it and MHIS expects exactly R's count). The test
    # deciding differs: R's p-value (0.044) comes from summary.glm after farringtonFlexible
    # replaced the model's working weights by the prior ones, so its dispersion is
    # Σω(y − μ)²/μ² / df, about μ times too small; with Pearson's dispersion R's own test
    # gives p = 0.34, and MHIS's (dispersion floored at 1) 0.75. Neither keeps it at 5%.
    assert not zeros.trend[0]
    kept = detection.farrington(
        np.nan_to_num(holes)[None, :], detection.FarringtonSettings(trend_level=1.0)
    )
    assert kept.trend[0]
    assert kept.expected[0] == pytest.approx(R_HOLES_AS_ZERO_EXPECTED, rel=1e-6)
    assert kept.threshold[0] == R_HOLES_AS_ZERO_THRESHOLD


def test_a_week_not_reported_never_alarms():
    counts = np.array([[2, 3, 2, 2, 3, 2, 3, 2, 2, 3, np.nan]])
    result = detection.detect([counts[0]])[0]
    assert result["alarm"] is False and math.isnan(result["observed"])
    baseline_gap = np.array([2, 3, np.nan, 2, 3, 2, 3, 2, 2, 3, 30.0])
    result = detection.detect([baseline_gap])[0]
    assert result["method"] == "ears_c2" and result["alarm"] is True
    assert result["expected"] == pytest.approx(np.mean([2, 3, 2, 3, 2, 3]))


# The alert list and the workflow say what is wrong ------------------------------------------


def test_an_unknown_state_filter_is_an_error_not_an_empty_list(client, people, world, api):
    listed = api(people["admin"]).get("/api/surveillance/alerts", state=["bogus"])
    assert listed.status_code == 422
    assert "Unknown state: bogus." in listed.json()["detail"][0]["msg"]
    client.force_login(people["admin"])
    page = client.get("/surveillance/alerts/", {"state": "bogus"})
    assert page.status_code == 400 and "Unknown state: bogus." in page.content.decode()
    assert client.get("/surveillance/alerts/", {"state": "new"}).status_code == 200
    assert client.get("/surveillance/alerts/", {"state": ""}).status_code == 200  # no filter


def test_a_state_change_refused_on_a_closed_alert_shows_a_message(client, people, world):
    _send(
        people["chw"], "RNG-PORT", _week(0), [{"condition": "cholera", "count": 2}], evaluate=True
    )
    alert = Alert.objects.get(condition="cholera")
    officer = people["admin"]
    services.transition(officer, alert, AlertState.DISCARDED, "Rash was scabies")
    alert.refresh_from_db()
    services.transition(officer, alert, AlertState.CLOSED, "")
    client.force_login(officer)
    page = client.post(f"/surveillance/alerts/{alert.pk}/", {"state": "verifying"})
    assert page.status_code == 422
    assert "An alert that is “Closed” can go to: nowhere." in page.content.decode()


def test_an_imported_history_in_any_order_needs_no_confirmation(people, world, tmp_path):
    table = tmp_path / "history.csv"
    table.write_text(
        "site,week,condition,sex,age_group,count\n"
        "RNG-PORT,2026-W47,awd,female,0-4,3\n"
        "RNG-PORT,2026-W30,awd,female,0-4,2\n"
        "RNG-PORT,2026-W12,awd,female,0-4,4\n",
        encoding="utf-8",
    )
    lines = services.import_reports(people["chw"], services.read_table(table))
    assert [(line["week"], line["status"]) for line in lines] == [
        ("2026-W47", "new"),  # in the file's order, written oldest first
        ("2026-W30", "new"),
        ("2026-W12", "new"),
    ]
    later = tmp_path / "older.csv"
    later.write_text("site,week,condition,count\nRNG-PORT,2026-W02,awd,1\n", encoding="utf-8")
    (line,) = services.import_reports(people["chw"], services.read_table(later))
    assert line["status"] == "rejected"
    assert {(e["row"], e["field"]) for e in line["errors"]} == {(2, "week"), (2, "confirm")}


def test_without_a_trend_the_expectation_is_the_mean_of_the_reported_weeks_around_this_one():
    """With the trend dropped and no past outbreak down-weighted, the improved Farrington
    model's expectation for the current week is the mean of the baseline weeks in its seasonal
    window (a factor level's Poisson estimate is its mean): with weeks not reported, the mean
    of the reported ones — what R's `glm` gives with NA rows left out."""
    settings = detection.FarringtonSettings()
    weeks = settings.history_needed() + 1
    rng = np.random.default_rng(31)
    counts = rng.poisson(6.0, weeks).astype(float)
    weeks_back = np.arange(settings.history_needed(), settings.excluded_weeks, -1)
    window = weeks_back[detection.seasonal_periods(weeks_back, settings) == 0]
    positions = weeks - 1 - window
    counts[positions[::3]] = np.nan  # a third of the window's weeks not reported
    result = detection.farrington(counts[None, :], settings)
    assert not result.trend[0]  # the premise: no trend kept
    reported = counts[positions]
    assert np.isnan(reported).sum() == len(positions[::3]) > 0
    assert result.expected[0] == pytest.approx(np.nanmean(reported), rel=1e-6)
    as_zero = detection.farrington(np.nan_to_num(counts)[None, :], settings)
    assert as_zero.expected[0] == pytest.approx(np.nansum(reported) / len(reported), rel=1e-6)
