"""Outbreak detection on weekly counts: EARS C1, C2, C3 and the improved Farrington method.

Plain numpy and scipy, no Django: each function takes the counts of many series at once
(a 2-D array, one row per series, oldest week first, the week under test last) and returns
the expected count, the threshold and whether the week alarms, for every series. A week
alarms when its count is above the threshold.

References
----------
- Hutwagner L, Thompson W, Seeman GM, Treadwell T. The bioterrorism preparedness and
  response Early Aberration Reporting System (EARS). J Urban Health 2003;80(2 Suppl 1):
  i89–i96.
- Fricker RD, Hegler BL, Dunfee DA. Comparing syndromic surveillance detection methods:
  EARS' versus a CUSUM-based methodology. Stat Med 2008;27:3407–3429.
- Farrington CP, Andrews NJ, Beale AD, Catchpole MA. A statistical algorithm for the early
  detection of outbreaks of infectious disease. J R Stat Soc A 1996;159:547–563.
- Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A. An improved
  algorithm for outbreak detection in multiple surveillance systems. Stat Med
  2013;32:1206–1222.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

WEEKS_PER_YEAR = 52


@dataclass
class Detection:
    """One week of many series: what was expected, the count above which the week alarms,
    and the verdict. Arrays of one value per series."""

    method: str
    observed: np.ndarray
    expected: np.ndarray
    threshold: np.ndarray
    alarm: np.ndarray
    # Improved Farrington only: the dispersion and whether the trend was kept.
    dispersion: np.ndarray | None = None
    trend: np.ndarray | None = None


def _as_2d(counts, missing: bool = False) -> np.ndarray:
    """Counts as a 2-D array. `missing`: a week without a report may be NaN (the improved
    Farrington method leaves it out of its fit, EARS out of its baseline's mean and spread;
    an unreported week never alarms)."""
    array = np.asarray(counts, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError("counts: one row of weekly counts per series")
    if np.any(array < 0):
        raise ValueError("counts: weekly counts cannot be negative")
    if not missing and np.any(np.isnan(array)):
        raise ValueError("counts: weekly counts cannot be missing for this method")
    return array


# EARS ----------------------------------------------------------------------------------


def _ears_statistic(counts: np.ndarray, lag: int, baseline: int = 7):
    """Mean and standard deviation of the `baseline` weeks ending `lag` weeks before the last
    one, and the last week's standardised count (C1 when lag is 0, C2 when lag is 2). A
    baseline that never varies has no spread: its C is 0 at the mean and infinite above."""
    end = counts.shape[1] - 1 - lag
    window = counts[:, end - baseline : end]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a window without any reported week
        mean = np.nanmean(window, axis=1)  # weeks not reported are left out
        sd = np.nanstd(window, axis=1, ddof=1)
    excess = counts[:, -1] - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(sd > 0, excess / np.where(sd > 0, sd, 1.0), np.sign(excess) * np.inf)
    c = np.nan_to_num(c, nan=0.0, posinf=np.inf, neginf=-np.inf)
    return mean, sd, c


def ears_c1(counts, limit: float = 3.0) -> Detection:
    """EARS C1 (Hutwagner et al. 2003): the week's count standardised by the mean and the
    standard deviation of the 7 weeks just before it; alarm when above 3."""
    counts = _as_2d(counts, missing=True)
    _need(counts, 8, "C1")
    mean, sd, c = _ears_statistic(counts, lag=0)
    return Detection("ears_c1", counts[:, -1], mean, mean + limit * sd, c > limit)


def ears_c2(counts, limit: float = 3.0) -> Detection:
    """EARS C2 (Hutwagner et al. 2003): as C1 with a guard band of 2 weeks, the baseline
    being weeks t−9 to t−3, so that an outbreak's first days do not raise its own baseline."""
    counts = _as_2d(counts, missing=True)
    _need(counts, 10, "C2")
    mean, sd, c = _ears_statistic(counts, lag=2)
    return Detection("ears_c2", counts[:, -1], mean, mean + limit * sd, c > limit)


def ears_c3(counts, limit: float = 2.0) -> Detection:
    """EARS C3 (Hutwagner et al. 2003; Fricker et al. 2008): C3(t) = Σ_{i=0..2}
    max(0, C2(t−i) − 1), alarm when above 2. The threshold is the count of week t above
    which C3 exceeds 2 given the two weeks before; after a run of high weeks any count
    alarms (the threshold is then −1)."""
    counts = _as_2d(counts, missing=True)
    _need(counts, 12, "C3")
    mean, sd, c_now = _ears_statistic(counts, lag=2)
    earlier = sum(np.maximum(0.0, _ears_statistic(counts[:, :-i], lag=2)[2] - 1.0) for i in (1, 2))
    c3 = np.maximum(0.0, c_now - 1.0) + earlier
    room = limit - earlier  # how far C2 − 1 may go this week before C3 passes the limit
    threshold = np.where(room >= 0, mean + (1.0 + room) * sd, -1.0)
    return Detection("ears_c3", counts[:, -1], mean, threshold, c3 > limit)


def _need(counts: np.ndarray, weeks: int, method: str) -> None:
    if counts.shape[1] < weeks:
        raise ValueError(f"counts: {method} needs {weeks} weeks, this series has {counts.shape[1]}")


# Improved Farrington --------------------------------------------------------------------


@dataclass(frozen=True)
class FarringtonSettings:
    """The improved method's parameters as Noufaily et al. (2013) recommend them, and the
    options R's `surveillance::farringtonFlexible` offers around them (names in brackets):

    - `trend_level` (`pThresholdTrend`): the trend is kept when its two-sided p-value is
      below this. Farrington et al. (1996) used 0.05; R's documentation advises 1 for the
      improved method (the trend is then kept whenever the two other conditions hold).
    - `no_extrapolation`: Farrington et al.'s third condition, kept by R: the trend is
      dropped (the model refitted without it) when its prediction for the current week is
      above the largest count of the baseline weeks, so that a trend does not extrapolate
      beyond anything seen.
    - `limit54` (`limit54`, R's `c(cases, weeks)`): no alarm unless at least `cases` cases
      were counted in the last `weeks` weeks, the current one included; None for none.
      Applied by :func:`detect`, to EARS as well.
    """

    years: int = 5  # b: years of history
    half_window: int = 3  # w: weeks either side of the current week in past years
    periods: int = 10  # seasonal factor levels: the windows, and 9 periods of the rest
    excluded_weeks: int = 26  # the most recent weeks, left out of the baseline
    reweight_above: float = 2.58  # Anscombe residual above which a past week is down-weighted
    alpha: float = 0.005  # one-sided
    trend_level: float = 0.05  # the trend is kept when significant at this level
    no_extrapolation: bool = True  # drop the trend when it predicts above the baseline's max
    limit54: tuple[int, int] | None = (5, 4)  # (cases, weeks): no alarm with fewer

    def __post_init__(self):
        if not 0 < self.trend_level <= 1:
            raise ValueError("trend_level: a p-value threshold above 0, at most 1")
        if self.limit54 is not None:
            cases, weeks = self.limit54
            if cases < 0 or weeks < 1:
                raise ValueError("limit54: cases 0 or more, over 1 week or more")

    def history_needed(self) -> int:
        """Weeks before the current one that the method reads (263 at b = 5, w = 3)."""
        return WEEKS_PER_YEAR * self.years + self.half_window


def seasonal_periods(weeks_back: np.ndarray, settings: FarringtonSettings) -> np.ndarray:
    """The seasonal level (0 to periods − 1) of each baseline week, given how many weeks it
    lies before the current week: 0 for the 2w + 1 weeks around the same week of a past
    year, then the rest of each year cut into `periods − 1` blocks of about equal length."""
    w = settings.half_window
    window = 2 * w + 1
    rest = WEEKS_PER_YEAR - window
    # Position within the year, counted forward from the start of a window.
    position = (w - weeks_back) % WEEKS_PER_YEAR
    block = 1 + ((position - window) * (settings.periods - 1)) // rest
    return np.where(position < window, 0, block)


def _design(weeks_back: np.ndarray, settings: FarringtonSettings, trend: bool) -> np.ndarray:
    levels = seasonal_periods(weeks_back, settings)
    columns = [np.ones(len(weeks_back))]
    if trend:
        columns.append(-weeks_back.astype(float))  # time, increasing towards the present
    columns += [(levels == k).astype(float) for k in range(1, settings.periods)]
    return np.column_stack(columns)


def _irls(x: np.ndarray, y: np.ndarray, prior: np.ndarray, offset: np.ndarray, iterations=30):
    """Poisson log-linear fits by iteratively reweighted least squares, one per row of `y`,
    sharing the design `x`. Returns the coefficients, fitted means and (X'WX)⁻¹. A fit is
    done when no fitted mean moves by more than a millionth (a seasonal level without any
    case drifts towards minus infinity while its means settle at zero)."""
    s = y.shape[0]
    p = x.shape[1]
    mu = np.where(y > 0, y, 0.1) * 1.0
    eta = np.log(mu) - offset
    ridge = 1e-8 * np.eye(p)
    beta = np.zeros((s, p))
    active = np.arange(s)
    for _ in range(iterations):
        ya, ma, ea = y[active], mu[active], eta[active]
        z = ea + (ya - ma) / ma
        xtw = x.T[None, :, :] * (prior[active] * ma)[:, None, :]  # (s, p, n)
        new = np.linalg.solve(xtw @ x + ridge, xtw @ z[..., None])[..., 0]
        new_eta = np.clip(new @ x.T, -30, 30)
        new_mu = np.exp(new_eta + offset[active])
        beta[active], eta[active], mu[active] = new, new_eta, new_mu
        moving = np.max(np.abs(new_mu - ma) / (1.0 + ma), axis=1) > 1e-6
        active = active[moving]
        if not active.size:
            break
    xtw = x.T[None, :, :] * (prior * mu)[:, None, :]
    inverse = np.linalg.inv(xtw @ x + ridge)
    return beta, mu, inverse


def _fit(x, y, offset, settings: FarringtonSettings, seen=None):
    """Farrington's two fits: unweighted, then with past outbreaks down-weighted by their
    Anscombe residuals. Returns coefficients, (X'WX)⁻¹ and the dispersion. `seen` (same
    shape as `y`, optional): False for a week without a report, which weighs nothing in
    either fit and does not count among the weeks."""
    seen = np.ones(y.shape, dtype=bool) if seen is None else seen
    n = seen.sum(axis=1, keepdims=True).astype(float)
    p = x.shape[1]
    prior = seen.astype(float)
    for step in range(2):
        beta, mu, inverse = _irls(x, y, prior, offset)
        phi = np.maximum(1.0, (prior * (y - mu) ** 2 / mu).sum(axis=1) / np.maximum(n[:, 0] - p, 1))
        if step == 1:
            break
        # Leverage h_ii = w_i x_i' (X'WX)⁻¹ x_i, with w = prior · μ.
        h = ((x @ inverse) * x).sum(axis=2) * prior * mu
        anscombe = 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / np.power(mu, 1 / 6)
        anscombe /= np.sqrt(phi[:, None] * np.clip(1 - h, 1e-6, None))
        high = seen & (anscombe > settings.reweight_above)
        prior = np.where(high, 1.0 / np.where(high, anscombe, 1.0) ** 2, seen.astype(float))
        prior *= n / np.maximum(prior.sum(axis=1, keepdims=True), 1e-12)  # they sum to n
    return beta, inverse, phi


def farrington(counts, settings: FarringtonSettings | None = None, population=None) -> Detection:
    """The improved Farrington method (Noufaily et al. 2013) on each row of `counts`, the
    last column being the week under test.

    1. The baseline: every week from b years and w weeks before the current week up to the
       26 weeks just before it, which are left out (an outbreak under way must not raise its
       own baseline).
    2. A quasi-Poisson log-linear model with a linear trend and a 10-level seasonal factor
       (the windows of 2w + 1 weeks around the same week of past years, and 9 periods for
       the rest of each year), fitted once, then again with the weeks whose Anscombe residual
       exceeds 2.58 down-weighted by the inverse of its square (weights scaled to sum to the
       number of weeks).
    3. The trend is kept when all three of Farrington et al.'s conditions hold: it is
       significant at `trend_level` (5% by default), there are 3 years of history or more,
       and (`no_extrapolation`) its prediction for the current week is not above the largest
       count of the baseline weeks. Otherwise the model fitted without it is used.
    4. The dispersion φ (at least 1) from the weighted Pearson statistic.
    5. The threshold: the upper 1 − α quantile of the negative binomial with the predicted
       mean μ₀ and variance φμ₀ (Poisson when φ = 1), a plug-in that ignores the error of the
       prediction. The week alarms when its count is above it.

    `population` (same shape as `counts`, optional): the population each week, for sites
    whose size changes (a camp's influx); the model then fits rates, with log population as
    an offset. The no-extrapolation condition then compares the predicted count (at the
    current population) with the largest count, as R does.

    A week without a report is NaN in `counts`: it is left out of both fits and of the
    number of weeks (as R's `farringtonFlexible` drops missing responses); an unreported
    current week never alarms. `limit54` is not applied here (see :func:`detect`).
    """
    settings = settings or FarringtonSettings()
    counts = _as_2d(counts, missing=True)
    needed = settings.history_needed() + 1
    _need(counts, needed, "the improved Farrington method")
    current = counts.shape[1] - 1
    weeks_back = np.arange(settings.history_needed(), settings.excluded_weeks, -1)
    y = counts[:, current - weeks_back]
    seen = ~np.isnan(y)
    y = np.where(seen, y, 0.0)
    if population is None:
        offset = np.zeros_like(y)
        offset_now = np.zeros(counts.shape[0])
    else:
        population = np.asarray(population, dtype=float).reshape(counts.shape)
        if np.any(~(population > 0)):
            raise ValueError("population: must be positive in every week")
        offset = np.log(population[:, current - weeks_back])
        offset_now = np.log(population[:, current])

    now_trend = _design(np.array([0]), settings, trend=True)[0]
    now_flat = _design(np.array([0]), settings, trend=False)[0]
    x_trend = _design(weeks_back, settings, trend=True)
    x_flat = _design(weeks_back, settings, trend=False)
    beta_t, inverse_t, phi_t = _fit(x_trend, y, offset, settings, seen)
    beta_f, _, phi_f = _fit(x_flat, y, offset, settings, seen)
    eta_t = np.clip(beta_t @ now_trend + offset_now, -30, 30)
    z = beta_t[:, 1] / np.sqrt(phi_t * inverse_t[:, 1, 1])
    p_value = 2 * stats.norm.sf(np.abs(z))
    keep = p_value < settings.trend_level
    if settings.years < 3:  # as Farrington et al.: too short a history to tell a trend
        keep[:] = False
    if settings.no_extrapolation:  # Farrington et al.'s third condition
        keep &= np.exp(eta_t) <= np.max(y, axis=1)
    eta = np.where(keep, eta_t, beta_f @ now_flat + offset_now)
    expected = np.exp(np.clip(eta, -30, 30))
    phi = np.where(keep, phi_t, phi_f)
    threshold = negative_binomial_threshold(expected, phi, settings.alpha)
    silent = y.sum(axis=1) == 0  # no case in the whole baseline: nothing to fit
    expected = np.where(silent, 0.0, expected)
    threshold = np.where(silent, 0.0, threshold)
    observed = counts[:, current]
    return Detection(
        "farrington",
        observed,
        expected,
        threshold,
        np.nan_to_num(observed, nan=-1.0) > threshold,  # an unreported week never alarms
        dispersion=phi,
        trend=keep & ~silent,
    )


def enough_cases(counts, limit54: tuple[int, int] | None) -> np.ndarray:
    """Farrington et al.'s (1996) low-count rule, R's `limit54`: per series, whether at
    least `cases` cases were counted in the last `weeks` weeks, the current one included
    (True for every series when `limit54` is None). A week without a report adds no case
    (R's `farringtonFlexible` would give no alarm at all when one of those weeks is
    missing; a missed report must not silence an outbreak reported this week)."""
    counts = _as_2d(counts, missing=True)
    if limit54 is None:
        return np.ones(counts.shape[0], dtype=bool)
    cases, weeks = limit54
    return np.nansum(counts[:, -weeks:], axis=1) >= cases


def negative_binomial_threshold(mean, dispersion, alpha: float) -> np.ndarray:
    """The upper 1 − α quantile of a count with this mean and variance dispersion × mean:
    negative binomial with size mean / (dispersion − 1), or Poisson when dispersion is 1."""
    mean = np.asarray(mean, dtype=float)
    dispersion = np.asarray(dispersion, dtype=float) * np.ones_like(mean)
    poisson = stats.poisson.ppf(1 - alpha, mean)
    over = dispersion > 1 + 1e-9
    size = mean / np.where(over, dispersion - 1, 1.0)
    negbin = stats.nbinom.ppf(1 - alpha, size, 1 / np.where(over, dispersion, 2.0))
    return np.where(over, negbin, poisson)


# Choosing a method for a series ---------------------------------------------------------

EARS_WEEKS = 10  # C2 reads 7 weeks before a guard band of 2


def method_for(weeks: int, settings: FarringtonSettings | None = None):
    """The method a series with `weeks` weeks of counts (the current one included) can
    carry: the improved Farrington method with as many whole years as it has, up to b (at
    least one year beyond the 26 weeks left out); EARS C2 for a shorter history (a new site,
    a camp opened this year); nothing under 10 weeks. Returns ("farrington", years),
    ("ears_c2", None) or (None, None)."""
    settings = settings or FarringtonSettings()
    years = min(settings.years, (weeks - 1 - settings.half_window) // WEEKS_PER_YEAR)
    if years >= 1:
        return "farrington", years
    if weeks >= EARS_WEEKS:
        return "ears_c2", None
    return None, None


def detect(series: list, settings=None, populations=None):
    """The current week of each series in `series` (lists or arrays of weekly counts, oldest
    first, of any lengths; NaN for a week without a report) by the method its history allows
    (:func:`method_for`), series of the same method, history and settings evaluated
    together. `settings`: one :class:`FarringtonSettings` for all, or a list of one per
    series (a condition's own options); its `limit54` applies to every method.
    `populations` (optional, one entry per series: the weekly population, or None) gives
    Farrington its offset; EARS ignores it. Returns one dict per series: method, years,
    observed, expected, threshold, alarm (None for the last three when the history is too
    short for any method)."""
    if settings is None or isinstance(settings, FarringtonSettings):
        each = [settings or FarringtonSettings()] * len(series)
    else:
        each = list(settings)
        if len(each) != len(series):
            raise ValueError("settings: one per series")
    out: list[dict | None] = [None] * len(series)
    groups: dict[tuple, list[int]] = {}
    for i, counts in enumerate(series):
        known = populations is not None and populations[i] is not None
        key = (*method_for(len(counts), each[i]), known, each[i])
        groups.setdefault(key, []).append(i)
    for (method, years, known, chosen), members in groups.items():
        if method is None:
            for i in members:
                out[i] = {
                    "method": None,
                    "years": None,
                    "observed": float(series[i][-1]) if len(series[i]) else None,
                    "expected": None,
                    "threshold": None,
                    "alarm": False,
                }
            continue
        if method == "farrington":
            chosen = replace(chosen, years=years)
            width = chosen.history_needed() + 1
            block = np.array([np.asarray(series[i], dtype=float)[-width:] for i in members])
            pops = None
            if known:  # the same group holds only series with populations, or none
                pops = np.array([np.asarray(populations[i], dtype=float)[-width:] for i in members])
            result = farrington(block, chosen, population=pops)
        else:
            block = np.array([np.asarray(series[i], dtype=float)[-EARS_WEEKS:] for i in members])
            result = ears_c2(block)
        enough = enough_cases(block, chosen.limit54)
        for j, i in enumerate(members):
            out[i] = {
                "method": method,
                "years": years,
                "observed": float(result.observed[j]),
                "expected": float(result.expected[j]),
                "threshold": float(result.threshold[j]),
                "alarm": bool(result.alarm[j] and enough[j]),
            }
    return out
