"""Configuration of the synthetic ledger, and the month calendar the generator works on.

Days are handled as integers (days since 1970-01-01) inside the generator: vectorised date
arithmetic on int arrays is far faster than on timestamps, and converts to dates once at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. Same config (seed included) → identical ledger and truth.

    The risk knobs are on the latent scale ``z`` (higher = worse): a customer's monthly hazard of
    stopping payment is ``exp(hazard_intercept + hazard_slope · z)`` times a newness factor.
    """

    customers: int = 2000
    months: int = 24
    seed: int = 42
    end: date = date(2026, 10, 31)  # last day of the ledger; a fixed default keeps runs identical
    currency: str = "EUR"
    # Share of customers onboarded before the ledger starts (tenure up to max_tenure_years).
    existing_share: float = 0.5
    max_tenure_years: float = 15.0
    # Monthly invoice rate of a median-size customer (bigger customers invoice more often).
    invoices_per_month: float = 3.0
    # Monthly stop-paying hazard at z = 0 is exp(hazard_intercept): tuned for ~2.5 % a year.
    hazard_intercept: float = -7.35
    hazard_slope: float = 1.2
    # New customers' hazard is multiplied by 1 + boost · exp(-months since onboarding / 6).
    new_customer_hazard_boost: float = 1.0
    # Yearly probability that a healthy customer starts deteriorating, and the range of the
    # monthly upward drift of its risk once it does.
    deterioration_per_year: float = 0.05
    drift_min: float = 0.10
    drift_max: float = 0.30
    # Month-to-month risk fluctuation around the customer's anchor: AR(1) persistence and
    # monthly shock standard deviation.
    state_persistence: float = 0.85
    state_volatility: float = 0.15
    # Customers per chunk. Each chunk has its own random stream spawned from the seed, so the
    # chunk size is part of the data's identity: change it and the ledger changes.
    chunk_customers: int = 20_000
    # Share of invoices that get a credit note (5-30 % of the invoice, 3-45 days after it, most
    # naming it). Off by default, and drawn from a stream of its own, so a seeded ledger without
    # them stays identical.
    credit_note_share: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.customers, int) or self.customers < 1:
            problems.append(f"customers must be a whole number >= 1; got {self.customers!r}")
        if not isinstance(self.months, int) or not 1 <= self.months <= 600:
            problems.append(f"months must be a whole number from 1 to 600; got {self.months!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            problems.append(f"seed must be a whole number >= 0; got {self.seed!r}")
        if not isinstance(self.end, date):
            problems.append(f"end must be a date; got {self.end!r}")
        if not isinstance(self.currency, str) or not re.fullmatch(r"[A-Z]{3}", self.currency):
            problems.append(f"currency must be a 3-letter ISO 4217 code; got {self.currency!r}")
        if not 0.0 <= self.existing_share <= 1.0:
            problems.append(f"existing_share must be within 0..1; got {self.existing_share}")
        if self.max_tenure_years <= 0:
            problems.append(f"max_tenure_years must be > 0; got {self.max_tenure_years}")
        if self.invoices_per_month <= 0:
            problems.append(f"invoices_per_month must be > 0; got {self.invoices_per_month}")
        if self.hazard_slope < 0:
            problems.append(f"hazard_slope must be >= 0; got {self.hazard_slope}")
        if self.new_customer_hazard_boost < 0:
            problems.append(
                f"new_customer_hazard_boost must be >= 0; got {self.new_customer_hazard_boost}"
            )
        if not 0.0 <= self.deterioration_per_year < 1.0:
            problems.append(
                f"deterioration_per_year must be within 0..1; got {self.deterioration_per_year}"
            )
        if not 0.0 <= self.drift_min <= self.drift_max:
            problems.append(
                f"need 0 <= drift_min <= drift_max; got {self.drift_min}, {self.drift_max}"
            )
        if not 0.0 <= self.state_persistence < 1.0:
            problems.append(
                f"state_persistence must be within [0, 1); got {self.state_persistence}"
            )
        if self.state_volatility < 0:
            problems.append(f"state_volatility must be >= 0; got {self.state_volatility}")
        if not isinstance(self.chunk_customers, int) or self.chunk_customers < 1:
            problems.append(
                f"chunk_customers must be a whole number >= 1; got {self.chunk_customers}"
            )
        if not 0.0 <= self.credit_note_share <= 1.0:
            problems.append(f"credit_note_share must be within 0..1; got {self.credit_note_share}")
        if problems:
            raise ValueError("Invalid synthetic ledger settings: " + "; ".join(problems))

    @property
    def monthly_deterioration(self) -> float:
        """Monthly onset probability equivalent to ``deterioration_per_year``."""
        return 1.0 - (1.0 - self.deterioration_per_year) ** (1.0 / 12.0)


@dataclass(frozen=True)
class Calendar:
    """The ledger's months as day numbers. Month ``m`` runs over days
    ``[month_start[m], month_start[m + 1])``; the last month is cut at ``end_day``.

    ``month_start`` runs ``horizon`` months past the ledger so that look-ahead quantities (the
    12-month default probability at the last month) need no special case.
    """

    month_start: np.ndarray  # int64 day numbers, months + horizon + 1 entries
    calendar_month: np.ndarray  # 1..12 for each entry of month_start
    months: int
    end_day: int

    @classmethod
    def build(cls, end: date, months: int, horizon: int = 13) -> Calendar:
        last = np.datetime64(end, "M")
        first = last - (months - 1)
        starts = np.arange(first, last + horizon + 2, dtype="datetime64[M]")
        return cls(
            month_start=(starts.astype("datetime64[D]") - EPOCH).astype(np.int64),
            calendar_month=(starts.astype(np.int64) % 12 + 1).astype(np.int64),
            months=months,
            end_day=int((np.datetime64(end, "D") - EPOCH).astype(np.int64)),
        )

    @property
    def start_day(self) -> int:
        return int(self.month_start[0])

    @property
    def month_days(self) -> np.ndarray:
        """Full length in days of each month in ``month_start`` (but the last entry)."""
        return np.diff(self.month_start)

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Index of the month containing each day number."""
        return np.searchsorted(self.month_start, days, side="right") - 1


def to_datetime64(days: np.ndarray) -> np.ndarray:
    """Int day numbers → ``datetime64[ns]`` (NaT where the input is the ``NO_DAY`` sentinel)."""
    missing = days == NO_DAY
    out = np.where(missing, 0, days).astype("datetime64[D]").astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return out


# Sentinel for "no date" in int day arrays (far beyond any ledger).
NO_DAY = np.iinfo(np.int64).max // 4
