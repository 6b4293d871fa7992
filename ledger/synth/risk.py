"""The hidden credit story of each synthetic customer, and the ground truth it implies.

State at each month start: risk ``z = anchor + noise``. The noise is a mean-reverting AR(1);
the anchor is the long-run risk ``z0`` and, once a customer starts deteriorating (a Markov event
with a fixed monthly probability), it climbs by a customer-specific drift every month.

Default mechanics, chosen so that the truth can be computed from the state alone and matches
the downstream label ("some invoice reaches 90 days past due unpaid"):

* The customer *stops paying* on day ``F``: a continuous-time event whose rate in month ``t`` is
  ``exp(a + b·z_t) × newness``, constant within the month.
* From ``F`` on it pays nothing that falls due on or after ``F``; an invoice due exactly on
  ``F`` always exists (the activity module guarantees it), so the first invoice to reach 90 days
  past due unpaid does so on ``D = F + 90``: ``defaulted_on``.
* Hence ``D`` falls in ``(T, T + 12 months]`` iff ``F`` falls in
  ``(T - 90 days, T + 12 months - 90 days]``.
  At a month start ``T`` a customer that has already stopped (``F < T``) defaults for sure
  (PD = 1); otherwise PD is one minus the survival of the stop process up to
  ``W = T + 12 months - 90 days``, integrated over the future of the state given what is known
  at ``T``: the current anchor, noise, deterioration flag and drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledger.synth.config import DAYS_PER_MONTH, NO_DAY, Calendar, SynthConfig
from ledger.synth.customers import Customers

DEFAULT_DPD = 90  # days past due that make an unpaid invoice a default
HORIZON_MONTHS = 12  # truth horizon of true_pd_12m
NEWNESS_MONTHS = 6.0  # decay of the new-customer hazard boost, months
# Existing customers already deteriorating at the ledger start started within this many months.
PRIOR_DETERIORATION_MONTHS = 6


@dataclass(frozen=True)
class RiskPath:
    """Monthly state of one chunk of customers over the ledger months."""

    anchor: np.ndarray  # (n, months)
    noise: np.ndarray  # (n, months)
    deteriorating: np.ndarray  # (n, months) bool, at the month start
    drift: np.ndarray  # (n,) monthly anchor increase once deteriorating
    first_month: np.ndarray  # (n,) first month whose start is on/after onboarding (may = months)
    stop_day: np.ndarray  # (n,) day F the customer stops paying, NO_DAY if not in the ledger
    stop_month: np.ndarray  # (n,) month of F, ``months`` if none

    @property
    def z(self) -> np.ndarray:
        return self.anchor + self.noise

    @property
    def default_day(self) -> np.ndarray:
        """``F + 90`` (may lie after the ledger end), NO_DAY when the customer never stops."""
        return np.where(self.stop_day == NO_DAY, NO_DAY, self.stop_day + DEFAULT_DPD)


def newness(config: SynthConfig, months_since_onboarding: np.ndarray) -> np.ndarray:
    """Hazard multiplier of young accounts: new customers fail more often in their first year."""
    age = np.maximum(months_since_onboarding, 0.0)
    return 1.0 + config.new_customer_hazard_boost * np.exp(-age / NEWNESS_MONTHS)


def simulate_risk(
    customers: Customers, config: SynthConfig, cal: Calendar, rng: np.random.Generator
) -> RiskPath:
    """Run the monthly state and the stop-paying process over the ledger months."""
    n, months = len(customers), cal.months
    phi, sigma, q = config.state_persistence, config.state_volatility, config.monthly_deterioration
    onboarding = customers.onboarding_day
    first_month = np.searchsorted(cal.month_start[:months], onboarding, side="left")

    noise = rng.normal(0.0, sigma / np.sqrt(1.0 - phi**2), n)  # stationary start
    drift = rng.uniform(config.drift_min, config.drift_max, n)
    existing = onboarding < cal.start_day
    deteriorating = existing & (rng.random(n) < min(1.0, PRIOR_DETERIORATION_MONTHS * q))
    elapsed = rng.integers(1, PRIOR_DETERIORATION_MONTHS + 1, n)
    anchor = customers.z0 + np.where(deteriorating, drift * elapsed, 0.0)

    anchors = np.empty((n, months))
    noises = np.empty((n, months))
    flags = np.empty((n, months), dtype=bool)
    stop_day = np.full(n, NO_DAY, dtype=np.int64)
    stop_month = np.full(n, months, dtype=np.int64)
    days = cal.month_days
    for m in range(months):
        anchors[:, m], noises[:, m], flags[:, m] = anchor, noise, deteriorating
        age = (cal.month_start[m] - onboarding) / DAYS_PER_MONTH
        rate = monthly_rate(config, anchor + noise, newness(config, age))
        exposure = rng.exponential(1.0, n)
        stops = (m >= first_month) & (stop_month == months) & (exposure < rate)
        # Time of the first event of a Poisson process with a constant rate over the month.
        offset = np.floor(exposure / rate * days[m]).astype(np.int64)
        stop_day = np.where(stops, cal.month_start[m] + offset, stop_day)
        stop_month = np.where(stops, m, stop_month)
        onset = ~deteriorating & (rng.random(n) < q)
        deteriorating = deteriorating | onset
        anchor = anchor + np.where(deteriorating, drift, 0.0)
        noise = phi * noise + sigma * rng.standard_normal(n)
    return RiskPath(anchors, noises, flags, drift, first_month, stop_day, stop_month)


def monthly_rate(config: SynthConfig, z: np.ndarray, newness_factor: np.ndarray) -> np.ndarray:
    """Stop-paying intensity per month."""
    return np.exp(config.hazard_intercept + config.hazard_slope * z) * newness_factor


@dataclass(frozen=True)
class TruthRows:
    customer: np.ndarray  # index in the chunk
    month: np.ndarray  # month index
    pd_12m: np.ndarray


def truth_rows(
    customers: Customers, path: RiskPath, config: SynthConfig, cal: Calendar
) -> TruthRows:
    """One row per customer and month start ``T`` with the customer onboarded by ``T`` and not
    yet in default at ``T`` (``T < D``), with the generator's own 12-month default probability."""
    months = cal.months
    starts = cal.month_start[:months]
    rows = (np.arange(months)[None, :] >= path.first_month[:, None]) & (
        starts[None, :] < path.default_day[:, None]
    )
    cust, month = np.nonzero(rows)
    pd_12m = _pd_12m(customers, path, config, cal, cust, month)
    stopped = path.stop_day[cust] < starts[month]
    return TruthRows(cust, month, np.where(stopped, 1.0, pd_12m))


def _pd_12m(
    customers: Customers,
    path: RiskPath,
    config: SynthConfig,
    cal: Calendar,
    cust: np.ndarray,
    month: np.ndarray,
) -> np.ndarray:
    """P(stop day F <= W) for customers still paying at T, from the state at T.

    The integrated intensity is the sum of expected monthly rates over the months up to W (the
    month holding W only in part): the rates' expectation is exact (lognormal noise, geometric
    onset of deterioration, uniform drift); using ``1 - exp(-E[sum])`` rather than
    ``1 - E[exp(-sum)]`` ignores the month-to-month correlation, a small upward bias where rates
    are high.
    """
    phi, sigma, b = config.state_persistence, config.state_volatility, config.hazard_slope
    anchor = path.anchor[cust, month]
    noise = path.noise[cust, month]
    det = path.deteriorating[cust, month]
    drift = path.drift[cust]
    onboarding = customers.onboarding_day[cust]
    onset_multiplier = _onset_multipliers(config, HORIZON_MONTHS)
    window_end = cal.month_start[month + HORIZON_MONTHS] - DEFAULT_DPD  # W

    cumulative = np.zeros(len(cust))
    for k in range(HORIZON_MONTHS):
        start = cal.month_start[month + k]
        length = cal.month_start[month + k + 1] - start
        weight = np.clip((window_end - start + 1) / length, 0.0, 1.0)
        if not weight.any():
            break
        variance = sigma**2 * (1.0 - phi ** (2 * k)) / (1.0 - phi**2)
        z_mean = anchor + phi**k * noise
        age = (start - onboarding) / DAYS_PER_MONTH
        rate = monthly_rate(config, z_mean, newness(config, age)) * np.exp(b**2 * variance / 2.0)
        rate *= np.where(det, np.exp(b * drift * k), onset_multiplier[k])
        cumulative += weight * rate
    return 1.0 - np.exp(-cumulative)


def _onset_multipliers(config: SynthConfig, horizon: int) -> np.ndarray:
    """E[exp(b · anchor increase after k months)] for a customer not deteriorating at T.

    Onset happens at each month transition with probability q; after onset at transition j the
    anchor has risen by drift · (k - j + 1) at month k, drift ~ Uniform(drift_min, drift_max).
    """
    q, b = config.monthly_deterioration, config.hazard_slope
    lo, hi = config.drift_min, config.drift_max

    def mgf(steps: int) -> float:
        x_lo, x_hi = b * steps * lo, b * steps * hi
        if x_hi - x_lo < 1e-12:
            return float(np.exp(x_lo))
        return float((np.exp(x_hi) - np.exp(x_lo)) / (x_hi - x_lo))

    out = np.empty(horizon)
    for k in range(horizon):
        total = (1.0 - q) ** k
        for j in range(1, k + 1):
            total += q * (1.0 - q) ** (j - 1) * mgf(k - j + 1)
        out[k] = total
    return out
