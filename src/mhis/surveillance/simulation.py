"""The simulation design of Noufaily et al. (2013, Stat Med 32:1206), to evaluate outbreak
detection: 42 scenarios of weekly counts with baseline outbreaks in the history and one
current outbreak in the weeks evaluated.

- Baseline mean: log μ_t = θ + β·t + Σ_{j=1..m} [γ₁ cos(2πjt/52) + γ₂ sin(2πjt/52)],
  t = 1..624; counts negative binomial with mean μ_t and variance φ·μ_t (Poisson at φ = 1).
- 7 parameter groups × trend (β = 0 or the group's β) × seasonality m ∈ {0, 1, 2}.
- Weeks 1–312 are history, 313–575 hold four baseline outbreaks (k drawn from 2, 3, 5,
  10), 576–624 are the 49 weeks evaluated, with one current outbreak (k drawn from 1..10).
- An outbreak starting in week s has Poisson(k × sd) cases, sd being the baseline standard
  deviation √(φμ_s); each case falls ⌊d⌋ weeks after s, d ~ lognormal(0, 0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WEEKS = 624
HISTORY_END = 312
BASELINE_OUTBREAKS = (313, 575)
EVALUATED = (576, 624)

GROUPS = {  # θ, β, γ₁, γ₂, φ
    1: (0.1, 0.0025, 0.6, 0.6, 1.5),
    2: (-2.0, 0.005, 0.1, 0.3, 2.0),
    3: (1.5, 0.003, 0.2, -0.4, 1.0),
    4: (0.5, 0.002, 0.5, 0.5, 5.0),
    5: (2.5, 0.001, 1.0, 0.1, 3.0),
    6: (3.75, 0.001, 0.1, -0.1, 1.1),
    7: (5.0, 0.0001, 0.05, 0.01, 1.2),
}


@dataclass(frozen=True)
class Scenario:
    number: int
    group: int
    theta: float
    beta: float
    gamma1: float
    gamma2: float
    phi: float
    harmonics: int

    def label(self) -> str:
        trend = "trend" if self.beta else "no trend"
        return f"{self.number} (group {self.group}, {trend}, m = {self.harmonics})"

    def means(self) -> np.ndarray:
        """μ_t for t = 1..624."""
        t = np.arange(1, WEEKS + 1, dtype=float)
        log_mu = self.theta + self.beta * t
        for j in range(1, self.harmonics + 1):
            angle = 2 * math.pi * j * t / 52
            log_mu = log_mu + self.gamma1 * np.cos(angle) + self.gamma2 * np.sin(angle)
        return np.exp(log_mu)


def scenarios() -> list[Scenario]:
    """The 42 scenarios: for each group, without then with the trend, and m = 0, 1, 2."""
    out = []
    for group, (theta, beta, g1, g2, phi) in GROUPS.items():
        for trend in (0.0, beta):
            for m in (0, 1, 2):
                out.append(Scenario(len(out) + 1, group, theta, trend, g1, g2, phi, m))
    return out


def negative_binomial(rng: np.random.Generator, mean: np.ndarray, phi: float) -> np.ndarray:
    """Counts with this mean and variance φ × mean (Poisson when φ = 1)."""
    if phi <= 1.0:
        return rng.poisson(mean)
    size = mean / (phi - 1.0)
    return rng.negative_binomial(size, 1.0 / phi)


@dataclass
class Simulated:
    """Replicates of one scenario: counts (replicates × 624) with outbreak cases added,
    the cases of all outbreaks, those of the current one, and each current outbreak's
    start week (1-based) and k."""

    scenario: Scenario
    counts: np.ndarray
    outbreak: np.ndarray
    current_cases: np.ndarray
    current_start: np.ndarray
    current_k: np.ndarray


def _outbreak(rng, start: int, k: float, sd: float) -> np.ndarray:
    """Cases per week of one outbreak, indexed from its start week."""
    cases = rng.poisson(k * sd)
    if cases == 0:
        return np.zeros(1, dtype=int)
    delays = np.floor(rng.lognormal(0.0, 0.5, size=cases)).astype(int)
    return np.bincount(delays)


def simulate(
    scenario: Scenario,
    replicates: int = 100,
    seed: int = 2013,
    baseline_outbreaks: int = 4,
    current: bool = True,
) -> Simulated:
    rng = np.random.default_rng(seed)
    mu = scenario.means()
    sd = np.sqrt(scenario.phi * mu)
    counts = negative_binomial(rng, np.broadcast_to(mu, (replicates, WEEKS)), scenario.phi)
    outbreak = np.zeros((replicates, WEEKS), dtype=int)
    current_cases = np.zeros((replicates, WEEKS), dtype=int)
    starts = np.zeros(replicates, dtype=int)
    ks = np.zeros(replicates, dtype=int)
    for r in range(replicates):
        spread = []
        for _ in range(baseline_outbreaks):
            start = int(rng.integers(BASELINE_OUTBREAKS[0], BASELINE_OUTBREAKS[1] + 1))
            spread.append((start, rng.choice((2, 3, 5, 10))))
        if current:
            starts[r] = int(rng.integers(EVALUATED[0], EVALUATED[1] + 1))
            ks[r] = int(rng.integers(1, 11))
            spread.append((starts[r], ks[r]))
        for n, (start, k) in enumerate(spread):
            cases = _outbreak(rng, start, k, sd[start - 1])
            end = min(WEEKS, start - 1 + len(cases))
            outbreak[r, start - 1 : end] += cases[: end - start + 1]
            if current and n == len(spread) - 1:
                current_cases[r, start - 1 : end] = cases[: end - start + 1]
    return Simulated(scenario, counts + outbreak, outbreak, current_cases, starts, ks)
