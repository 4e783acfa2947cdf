"""Outbreak detection: each method's threshold on small series worked out by hand (with the
standard library, independently of numpy), its options (the trend level, the
no-extrapolation rule, limit54, unreported weeks) — the rule and unreported weeks also
against numbers computed with R's `surveillance` — and the simulation's scenario means."""

import math
import statistics

import numpy as np
import pytest

from mhis.surveillance import detection, simulation


def test_ears_c1_uses_the_seven_weeks_before():
    counts = [1, 2, 3, 4, 5, 6, 7, 12]
    # Mean 4, sample standard deviation √(28/6) = 2.1602; threshold 4 + 3 × 2.1602.
    result = detection.ears_c1(counts)
    assert result.expected[0] == pytest.approx(4.0)
    assert result.threshold[0] == pytest.approx(4 + 3 * math.sqrt(28 / 6))
    assert result.threshold[0] == pytest.approx(10.4807, abs=1e-4)
    assert bool(result.alarm[0])
    assert not detection.ears_c1([1, 2, 3, 4, 5, 6, 7, 10]).alarm[0]


def test_ears_c2_leaves_a_guard_band_of_two_weeks():
    # The two weeks before the current one are huge: C2 must not read them.
    counts = [2, 2, 2, 2, 2, 2, 4, 100, 100, 9]
    baseline = counts[:7]
    threshold = statistics.mean(baseline) + 3 * statistics.stdev(baseline)
    result = detection.ears_c2(counts)
    assert result.expected[0] == pytest.approx(16 / 7)
    assert result.threshold[0] == pytest.approx(threshold)
    assert result.threshold[0] == pytest.approx(4.5535, abs=1e-4)
    assert bool(result.alarm[0])
    # C1 reads the two huge weeks and stays quiet.
    assert not detection.ears_c1(counts).alarm[0]


def _c2(counts, t):
    base = counts[t - 9 : t - 2]
    return (counts[t] - statistics.mean(base)) / statistics.stdev(base)


@pytest.mark.parametrize("last", [1, 3, 4, 5, 7])
def test_ears_c3_sums_the_excess_of_three_weeks(last):
    counts = [1, 3, 1, 3, 1, 3, 1, 3, 1, 4, 4, last]
    t = len(counts) - 1
    c3 = sum(max(0.0, _c2(counts, t - i) - 1) for i in range(3))
    result = detection.ears_c3(counts)
    assert bool(result.alarm[0]) == (c3 > 2)
    earlier = sum(max(0.0, _c2(counts, t - i) - 1) for i in (1, 2))
    base = counts[t - 9 : t - 2]
    expected_threshold = statistics.mean(base) + (1 + 2 - earlier) * statistics.stdev(base)
    assert result.threshold[0] == pytest.approx(expected_threshold)
    assert bool(result.alarm[0]) == (last > expected_threshold)


def test_ears_c3_alarms_on_these_series_both_ways():
    quiet = detection.ears_c3([1, 3, 1, 3, 1, 3, 1, 3, 1, 2, 2, 2])
    loud = detection.ears_c3([1, 3, 1, 3, 1, 3, 1, 3, 1, 4, 4, 7])
    assert not quiet.alarm[0] and loud.alarm[0]


def _poisson_quantile(mean, q):
    k, cdf, term = 0, math.exp(-mean), math.exp(-mean)
    while cdf < q:
        k += 1
        term *= mean / k
        cdf += term
    return k


def _negbin_quantile(mean, phi, q):
    size, p = mean / (phi - 1), 1 / phi
    k, cdf = 0, 0.0
    while True:
        cdf += math.exp(math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1)
                        + size * math.log(p) + k * math.log(1 - p))  # fmt: skip
        if cdf >= q:
            return k
        k += 1


def test_the_plug_in_threshold_is_the_negative_binomial_quantile():
    assert detection.negative_binomial_threshold(4.0, 1.0, 0.005) == _poisson_quantile(4.0, 0.995)
    assert detection.negative_binomial_threshold(4.0, 1.0, 0.005) == 10
    for mean, phi in [(4.0, 2.0), (0.7, 3.0), (25.0, 1.5)]:
        assert detection.negative_binomial_threshold(mean, phi, 0.005) == _negbin_quantile(
            mean, phi, 0.995
        )


def _weeks():
    return detection.FarringtonSettings().history_needed() + 1  # 264


def test_farrington_on_a_flat_series_is_the_poisson_quantile_of_its_mean():
    counts = np.full(_weeks(), 4.0)
    result = detection.farrington(counts)
    assert result.expected[0] == pytest.approx(4.0)
    assert result.dispersion[0] == 1.0
    assert result.threshold[0] == 10  # Poisson(4): P(X ≤ 9) = 0.9919, P(X ≤ 10) = 0.9972
    counts[-1] = 11
    assert detection.farrington(counts).alarm[0]
    counts[-1] = 10
    assert not detection.farrington(counts).alarm[0]


def test_farrington_follows_a_significant_trend_that_stays_within_the_baseline():
    t = np.arange(_weeks(), dtype=float)
    counts = np.exp(3.0 - 0.005 * t)  # a falling mean, itself: a perfect fit
    result = detection.farrington(counts)
    assert result.trend[0]
    assert result.expected[0] == pytest.approx(math.exp(3.0 - 0.005 * t[-1]), rel=1e-6)
    # Without the trend it would expect the baseline's level, far higher.
    flat = detection.farrington(np.where(t < t[-1], counts.mean(), counts[-1]))
    assert not flat.trend[0]


def test_a_rising_trend_is_followed_only_without_the_no_extrapolation_rule():
    t = np.arange(_weeks(), dtype=float)
    counts = np.exp(1.0 + 0.005 * t)  # rising: its prediction is above every baseline week
    assert not detection.farrington(counts).trend[0]
    free = detection.FarringtonSettings(no_extrapolation=False)
    result = detection.farrington(counts, free)
    assert result.trend[0]
    assert result.expected[0] == pytest.approx(math.exp(1.0 + 0.005 * t[-1]), rel=1e-6)


# R's numbers for the series below: computed with R 4.2.2, surveillance 1.20.3 (Debian
# r-cran-surveillance 1.20.3-1) by bench/surveillance/r/reference.R (`make r-reference`),
# running farringtonFlexible with MHIS's options: b = 5, w = 3, noPeriods = 10,
# pastWeeksNotIncluded = 26, weightsThreshold = 2.58, alpha = 0.005, pThresholdTrend = 0.05,
# thresholdMethod = "nbPlugin", on an sts of 264 weeks with frequency 52 (2021-W44 to
# 2026-W47). With "nbPlugin" R's upperbound is the upper 1 − α quantile of the negative
# binomial (Poisson when φ = 1) with the predicted mean — the integer MHIS reports as its
# threshold — and R's alarm (score (y − η₀)/(U − η₀) > 1, η₀ the log mean) is y > U, as
# MHIS's. (R's default "delta" method gives a continuous bound: not what MHIS computes.)
# From 1.20.3 to 1.26.0 the diff of cran/surveillance's R/farringtonFlexible.R changes how
# the code is written, not what it computes for these options.
R_RULE_EXPECTED = 17.157522223709829  # control$expected; the trend dropped (control$trend 0)
R_RULE_THRESHOLD = 29  # upperbound
R_RULE_ALARM = True  # alarm; the same at pThresholdTrend = 1
R_RULE_DISPERSION = 1.0  # control$phiVector
R_RULE_TREND_PREDICTION = 20.000000000000007  # the model with the trend, before the rule
R_RULE_LARGEST = 19.467224830486735  # max(dataGLM$response): the baseline's largest count


def test_the_no_extrapolation_rule_decides_the_alarm_as_r_surveillance_does():
    """A series where Farrington et al.'s no-extrapolation rule decides whether a week
    alarms, compared with R's ``surveillance::farringtonFlexible`` (numbers above).

    R cannot turn the rule off, so its side of the comparison is the decision and the
    current week with the rule; its model with the trend (printed by the script) shows why
    the rule decides. The steps below work the case out by hand, with the standard library,
    to explain the numbers.

    The series: 20·exp(−0.001·k) cases k weeks before the current week (a gentle rise
    towards the present), the current week 30.
    """
    weeks_back = list(range(_weeks() - 1, -1, -1))  # 263 … 0
    counts = [20 * math.exp(-0.001 * k) for k in weeks_back]
    counts[-1] = 30
    # Step 1. The baseline: weeks 263 to 27 back (the 26 most recent are left out). Its
    # largest count is the most recent one, 27 weeks back.
    largest = 20 * math.exp(-0.001 * 27)
    assert largest == pytest.approx(19.4672, abs=1e-4)
    # Step 2. With the trend, the log-linear model fits this series exactly (the seasonal
    # levels all 0, the dispersion 1), so its prediction for the current week is 20.
    # Step 3. 20 > 19.4672: the prediction is above every baseline week. Without the rule
    # (and the trend significant: an exact fit over 237 weeks) the expected count is 20 and
    # the threshold the Poisson(20) 99.5% quantile, 32: 30 cases do not alarm.
    free = detection.farrington(counts, detection.FarringtonSettings(no_extrapolation=False))
    assert free.trend[0]
    assert free.expected[0] == pytest.approx(20.0, rel=1e-6)
    assert _poisson_quantile(20.0, 0.995) == 32
    assert free.threshold[0] == 32 and not free.alarm[0]
    # Step 4. With the rule, the model without the trend: the seasonal factor alone, whose
    # fitted mean in each level is that level's average. The current week's level is the
    # windows of ±3 weeks around 52, 104, 156, 208 and 260 weeks back: 35 weeks.
    windows = [k for year in range(1, 6) for k in range(52 * year - 3, 52 * year + 4)]
    assert len(windows) == 35
    expected = sum(20 * math.exp(-0.001 * k) for k in windows) / 35
    assert expected == pytest.approx(17.1575, abs=1e-4)
    # Step 5. The Anscombe residuals of this fit are all far below 2.58 (the counts move by
    # less than ±1.5 around their level's mean, whose square root is above 4): nothing is
    # down-weighted. The Pearson statistic over 237 − 10 degrees of freedom is below 1, so
    # the dispersion is 1 and the threshold the Poisson 99.5% quantile of 17.1575: 29.
    levels = detection.seasonal_periods(np.arange(263, 26, -1), detection.FarringtonSettings())
    baseline = [20 * math.exp(-0.001 * k) for k in range(263, 26, -1)]
    means = {
        level: statistics.mean(c for c, lv in zip(baseline, levels, strict=True) if lv == level)
        for level in set(levels.tolist())
    }
    pearson = sum(
        (c - means[lv]) ** 2 / means[lv] for c, lv in zip(baseline, levels, strict=True)
    ) / (237 - 10)
    assert pearson < 1
    assert _poisson_quantile(expected, 0.995) == 29
    ruled = detection.farrington(counts)
    assert ruled.expected[0] == pytest.approx(expected, rel=1e-6)
    # 30 cases alarm with the rule (above 29), not without it (not above 32).
    # R: its trend model predicts 20 for the current week, above the baseline's largest
    # count; it drops the trend and gives what MHIS gives.
    assert free.expected[0] == pytest.approx(R_RULE_TREND_PREDICTION, rel=1e-6)
    assert largest == pytest.approx(R_RULE_LARGEST, rel=1e-9)
    assert ruled.expected[0] == pytest.approx(R_RULE_EXPECTED, rel=1e-6)
    assert ruled.threshold[0] == R_RULE_THRESHOLD
    assert bool(ruled.alarm[0]) is R_RULE_ALARM
    assert bool(ruled.trend[0]) is False  # R's control$trend: 0
    assert ruled.dispersion[0] == R_RULE_DISPERSION
    # At trend level 1 (R's advice for the improved method) the rule still decides, in R too.
    at_1 = detection.farrington(counts, detection.FarringtonSettings(trend_level=1.0))
    assert at_1.expected[0] == pytest.approx(R_RULE_EXPECTED, rel=1e-6)
    assert (at_1.threshold[0], bool(at_1.alarm[0]), bool(at_1.trend[0])) == (29, True, False)


def test_the_trend_level_chooses_whether_a_weak_trend_is_kept():
    # A gently falling mean, 10 cases now: too weak a trend to be significant at 5% (z is
    # about 0.7), kept at level 1 (R's advice for the improved method) since it predicts
    # below the baseline's largest count.
    weeks_back = np.arange(_weeks() - 1, -1, -1, dtype=float)
    counts = 10 * np.exp(0.0002 * weeks_back)
    at_5 = detection.farrington(counts)
    at_1 = detection.farrington(counts, detection.FarringtonSettings(trend_level=1.0))
    assert not at_5.trend[0]
    assert at_1.trend[0]
    assert at_1.expected[0] == pytest.approx(10.0, rel=1e-6)
    windows = [k for year in range(1, 6) for k in range(52 * year - 3, 52 * year + 4)]
    assert at_5.expected[0] == pytest.approx(
        statistics.mean(10 * math.exp(0.0002 * k) for k in windows), rel=1e-6
    )


@pytest.mark.parametrize(
    ("field", "value"), [("trend_level", 0.0), ("trend_level", 1.5), ("limit54", (-1, 4)),
                         ("limit54", (5, 0))],
)  # fmt: skip
def test_out_of_range_settings_are_refused_naming_the_setting(field, value):
    with pytest.raises(ValueError, match=field):
        detection.FarringtonSettings(**{field: value})


# R's numbers (same script, options and version as above): 4 cases every week, 40 baseline
# weeks NA, 11 this week. R's algo.farrington.data.glm drops NA responses from the GLM's data
# (the script prints 197 weeks fitted of 237).
R_UNREPORTED_EXPECTED = 3.9999999999999893
R_UNREPORTED_THRESHOLD = 10
R_UNREPORTED_ALARM = True
R_UNREPORTED_DISPERSION = 1.0
# The same 40 weeks given as 0 instead.
R_ZEROS_EXPECTED = 3.1999999999999895
R_ZEROS_THRESHOLD = 9
R_ZEROS_ALARM = True


def test_an_unreported_week_is_left_out_of_the_fit_as_r_surveillance_does():
    counts = np.full(_weeks(), 4.0)
    counts[-1] = 11
    # Forty weeks of the baseline without a report, window weeks among them.
    gaps = np.r_[10:30, 200:220]
    missing = counts.copy()
    missing[gaps] = np.nan
    result = detection.farrington(missing)
    # Left out: the 197 reported weeks are all 4, so the fit is 4 and the threshold the
    # Poisson(4) 99.5% quantile, 10; 11 cases alarm. R gives the same.
    assert result.expected[0] == pytest.approx(R_UNREPORTED_EXPECTED, rel=1e-6)
    assert result.expected[0] == pytest.approx(4.0)
    assert result.dispersion[0] == R_UNREPORTED_DISPERSION
    assert result.threshold[0] == R_UNREPORTED_THRESHOLD == _poisson_quantile(4.0, 0.995)
    assert bool(result.alarm[0]) is R_UNREPORTED_ALARM
    # R reports the trend kept here and MHIS not, with no effect: every reported week is 4,
    # the fitted trend is 0 and its prediction 4 either way. R's p-value (0.0018) is noise of
    # an exact fit (the residuals are rounding errors); MHIS's test floors the dispersion at 1
    # and finds nothing. At trend level 1 MHIS keeps it too, and still expects 4.
    assert not result.trend[0]
    at_1 = detection.farrington(missing, detection.FarringtonSettings(trend_level=1.0))
    assert at_1.trend[0] and at_1.expected[0] == pytest.approx(R_UNREPORTED_EXPECTED, rel=1e-6)
    # Counted as zero they would drag the expected count down: R's numbers again.
    zeros = counts.copy()
    zeros[gaps] = 0
    as_zero = detection.farrington(zeros)
    assert as_zero.expected[0] == pytest.approx(R_ZEROS_EXPECTED, rel=1e-6)
    assert as_zero.threshold[0] == R_ZEROS_THRESHOLD
    assert bool(as_zero.alarm[0]) is R_ZEROS_ALARM
    # An unreported current week is evaluated and never alarms.
    missing[-1] = np.nan
    assert not detection.farrington(missing).alarm[0]
    # EARS leaves an unreported week out of its baseline: the mean of the six reported
    # weeks t-9..t-3 (1, 2, 3, 4, 5, 6), not of seven with a zero.
    ears = detection.ears_c2([1, 2, np.nan, 3, 4, 5, 6, 7, 8, 9])
    assert ears.expected[0] == pytest.approx(3.5)


def test_limit54_needs_enough_cases_in_the_last_weeks_per_series():
    quiet = np.full(_weeks(), 0.2)  # about one case in five weeks
    quiet[-4:] = [0, 0, 0, 3]  # 3 cases in the last 4 weeks: above the threshold, too few
    loud = np.full(_weeks(), 0.2)
    loud[-4:] = [1, 0, 1, 3]  # 5 in the last 4 weeks
    assert detection.farrington(quiet).alarm[0]  # the method alone alarms
    default, none = detection.FarringtonSettings(), detection.FarringtonSettings(limit54=None)
    results = detection.detect([quiet, loud, quiet], [default, default, none])
    assert [r["alarm"] for r in results] == [False, True, True]
    assert detection.enough_cases([[0, 0, 0, 3], [1, 0, 1, 3]], (5, 4)).tolist() == [False, True]
    assert detection.enough_cases([[9, 0, 0, 0, 3]], (5, 4)).tolist() == [False]  # 4 weeks only
    assert detection.enough_cases([[1, np.nan, 1, 3]], (5, 4)).tolist() == [True]
    with pytest.raises(ValueError, match="settings: one per series"):
        detection.detect([quiet, loud], [default])


def test_farrington_leaves_out_the_26_recent_weeks_and_down_weights_past_outbreaks():
    base = np.full(_weeks(), 4.0)
    recent = base.copy()
    recent[-20:-1] = 40  # an outbreak under way: left out of the baseline
    assert detection.farrington(recent).expected[0] == pytest.approx(4.0)
    past = base.copy()
    past[100:104] = 60  # an outbreak two years ago
    reweighted = detection.farrington(past)
    kept = detection.farrington(past, detection.FarringtonSettings(reweight_above=math.inf))
    assert reweighted.expected[0] < kept.expected[0]
    assert reweighted.threshold[0] < kept.threshold[0]
    assert reweighted.dispersion[0] < kept.dispersion[0]


def test_farrington_with_a_population_offset_expects_the_rate_of_the_new_population():
    weeks = _weeks()
    population = np.where(np.arange(weeks) < weeks - 20, 1000.0, 5000.0)  # an influx
    counts = 0.004 * population
    with_offset = detection.farrington(counts, population=population)
    assert with_offset.expected[0] == pytest.approx(20.0, rel=1e-6)
    assert detection.farrington(counts).expected[0] == pytest.approx(4.0, rel=1e-6)


def test_a_baseline_without_any_case_alarms_on_the_first_one():
    counts = np.zeros(_weeks())
    assert detection.farrington(counts).threshold[0] == 0
    counts[-1] = 1
    assert detection.farrington(counts).alarm[0]


def test_bad_counts_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="counts"):
        detection.ears_c1([1, 2, -1, 3, 4, 5, 6, 7])
    with pytest.raises(ValueError, match="counts: the improved Farrington method needs 264"):
        detection.farrington(np.ones(100))


@pytest.mark.parametrize(
    ("weeks", "method", "years"),
    [(264, "farrington", 5), (600, "farrington", 5), (263, "farrington", 4),
     (56, "farrington", 1), (55, "ears_c2", None), (10, "ears_c2", None), (9, None, None)],
)  # fmt: skip
def test_a_short_history_falls_back_to_what_it_can_carry(weeks, method, years):
    assert detection.method_for(weeks) == (method, years)


def test_detect_evaluates_series_of_mixed_lengths_by_their_own_method():
    long = np.full(300, 4.0)
    long[-1] = 11
    short = [2, 2, 2, 2, 2, 2, 4, 100, 100, 9, 3, 3, 9]
    results = detection.detect([long, short, [1, 2]])
    assert results[0]["method"] == "farrington" and results[0]["alarm"]
    assert results[0]["threshold"] == 10
    assert results[1]["method"] == "ears_c2"
    assert results[1]["threshold"] == pytest.approx(detection.ears_c2(short).threshold[0])
    assert results[2] == {"method": None, "years": None, "observed": 2.0, "expected": None,
                          "threshold": None, "alarm": False}  # fmt: skip


def test_the_simulation_reproduces_the_scenario_means():
    every = simulation.scenarios()
    assert len(every) == 42
    assert len({(s.group, s.beta, s.harmonics) for s in every}) == 42
    # Group 5 with trend and m = 2: counts without outbreaks average μ_t, variance φμ_t.
    scenario = next(s for s in every if s.group == 5 and s.beta and s.harmonics == 2)
    t = np.arange(1, simulation.WEEKS + 1)
    mu = np.exp(2.5 + 0.001 * t + sum(1.0 * np.cos(2 * np.pi * j * t / 52)
                                      + 0.1 * np.sin(2 * np.pi * j * t / 52) for j in (1, 2)))  # fmt: skip
    assert np.allclose(scenario.means(), mu)
    run = simulation.simulate(scenario, replicates=2000, seed=1, baseline_outbreaks=0,
                              current=False)  # fmt: skip
    assert not run.outbreak.any()
    for week in (10, 200, 600):
        sample = run.counts[:, week - 1]
        se = math.sqrt(3.0 * mu[week - 1] / 2000)
        assert abs(sample.mean() - mu[week - 1]) < 4 * se, week
        assert sample.var() == pytest.approx(3.0 * mu[week - 1], rel=0.15)


def test_outbreaks_land_where_the_design_puts_them():
    scenario = simulation.scenarios()[20]
    run = simulation.simulate(scenario, replicates=50, seed=3)
    first, last = simulation.EVALUATED
    assert not run.outbreak[:, : simulation.BASELINE_OUTBREAKS[0] - 1].any()
    assert ((run.current_start >= first) & (run.current_start <= last)).all()
    assert ((run.current_k >= 1) & (run.current_k <= 10)).all()
    # The current outbreak's cases start in its start week, never before.
    for r in range(50):
        weeks = np.flatnonzero(run.current_cases[r])
        if weeks.size:
            assert weeks[0] >= run.current_start[r] - 1
