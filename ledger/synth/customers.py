"""Synthetic customers: who they are, how risky they are underneath, and what the onboarding
file says about them.

The latent risk ``z0`` is built from the same drivers the profile reports (industry, country,
size, financial health, age), plus noise the profile cannot see. So the onboarding data carries
real but imperfect signal, as it does in practice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledger.synth.config import DAYS_PER_MONTH, Calendar, SynthConfig
from ledger.synth.world import COUNTRIES, INDUSTRIES, NAME_WORDS, STANDARD_TERMS

# Lognormal spread of a customer's invoice amounts around its own typical amount.
AMOUNT_SIGMA = 0.75
# Shares of missing onboarding data: whole financial statements, single fields, bureau score.
MISSING_FINANCIALS = 0.20
MISSING_FIELD = 0.03
MISSING_YEARS = 0.08
MISSING_BUREAU = 0.30
MISSING_LIMIT = 0.08

_FINANCIAL_COLUMNS = (
    "annual_revenue",
    "employees",
    "total_assets",
    "total_liabilities",
    "current_assets",
    "current_liabilities",
    "net_income",
)


@dataclass(frozen=True)
class Customers:
    """One chunk of customers as parallel arrays (index = position in the chunk)."""

    onboarding_day: np.ndarray  # int64 day number
    industry: np.ndarray  # index into INDUSTRIES
    country: np.ndarray  # index into COUNTRIES
    name: np.ndarray  # str
    terms: np.ndarray  # int64 standard payment terms, days
    discount: np.ndarray  # bool: 2/10 net 30 customer
    invoice_rate: np.ndarray  # expected invoices per month (before seasonality)
    amount_mu: np.ndarray  # log of the customer's typical invoice amount
    credit_limit: np.ndarray  # float, NaN = none on file
    z0: np.ndarray  # latent long-run risk (higher = worse)
    profile: dict[str, np.ndarray]  # PROFILE_COLUMNS → float arrays, NaN = missing

    def __len__(self) -> int:
        return len(self.z0)


def draw_customers(
    n: int, config: SynthConfig, cal: Calendar, rng: np.random.Generator
) -> Customers:
    """Draw ``n`` customers: latent risk, onboarding data, commercial terms."""
    industry = rng.choice(len(INDUSTRIES), size=n, p=[i.share for i in INDUSTRIES])
    country = rng.choice(len(COUNTRIES), size=n, p=[c.share for c in COUNTRIES])
    size = rng.standard_normal(n)
    health = rng.standard_normal(n)  # financial weakness: higher = weaker balance sheet
    years = 0.5 + rng.lognormal(np.log(7.0), 0.8, n)  # years in business at onboarding
    z0 = (
        np.array([i.risk for i in INDUSTRIES])[industry]
        + np.array([c.risk for c in COUNTRIES])[country]
        - 0.30 * size
        + 0.55 * health
        - 0.25 * (np.log(years) - np.log(8.0))
        + rng.normal(0.0, 0.4, n)
    )
    onboarding_day = _onboarding_days(n, config, cal, rng)
    terms_choice = rng.choice(len(STANDARD_TERMS), size=n, p=[t[1] for t in STANDARD_TERMS])
    terms = np.array([t[0] for t in STANDARD_TERMS], dtype=np.int64)[terms_choice]
    discount = np.array([t[2] for t in STANDARD_TERMS])[terms_choice]
    invoice_rate = config.invoices_per_month * np.exp(0.5 * size + rng.normal(0.0, 0.35, n))
    amount_mu = 7.2 + 0.6 * size + rng.normal(0.0, 0.35, n)
    revenue = np.exp(14.8 + 1.25 * size + rng.normal(0.0, 0.25, n))
    profile = _profile(revenue, health, years, z0, rng)
    credit_limit = _credit_limit(invoice_rate, amount_mu, terms, rng)
    return Customers(
        onboarding_day=onboarding_day,
        industry=industry,
        country=country,
        name=_names(industry, country, rng),
        terms=terms,
        discount=discount,
        invoice_rate=invoice_rate,
        amount_mu=amount_mu,
        credit_limit=credit_limit,
        z0=z0,
        profile=profile,
    )


def _onboarding_days(
    n: int, config: SynthConfig, cal: Calendar, rng: np.random.Generator
) -> np.ndarray:
    """Existing customers: tenure mostly a few years (exponential, mean 5, capped); new ones:
    uniform over the ledger period."""
    existing = rng.random(n) < config.existing_share
    cap_years = config.max_tenure_years
    # Inverse CDF of an exponential truncated at the cap: no pile-up at the maximum tenure.
    u = rng.random(n) * (1.0 - np.exp(-cap_years / 5.0))
    tenure_days = np.maximum(1, np.floor(-5.0 * np.log1p(-u) * 365.25)).astype(np.int64)
    new_day = rng.integers(cal.start_day, cal.end_day + 1, size=n)
    return np.where(existing, cal.start_day - tenure_days, new_day).astype(np.int64)


def _profile(
    revenue: np.ndarray,
    health: np.ndarray,
    years: np.ndarray,
    z0: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Onboarding data: financial statements driven by size and financial health, a bureau
    score driven by the latent risk, with realistic gaps."""
    n = len(revenue)
    current_ratio = np.exp(0.35 - 0.30 * health + rng.normal(0.0, 0.2, n))
    leverage = 1.0 / (1.0 + np.exp(-(-0.1 + 0.6 * health + rng.normal(0.0, 0.3, n))))
    margin = 0.045 - 0.035 * health + rng.normal(0.0, 0.02, n)
    total_assets = revenue * np.exp(rng.normal(-0.4, 0.35, n))
    current_assets = total_assets * rng.uniform(0.35, 0.75, n)
    current_liabilities = current_assets / current_ratio
    total_liabilities = np.maximum(leverage * total_assets, current_liabilities)
    employees = np.maximum(1.0, np.round(revenue / np.exp(rng.normal(np.log(150_000), 0.4, n))))
    bureau = np.clip(np.round(600.0 - 60.0 * z0 + rng.normal(0.0, 30.0, n)), 300.0, 850.0)
    profile = {
        "years_in_business": np.round(years, 1),
        "annual_revenue": np.round(revenue, -3),
        "employees": employees,
        "total_assets": np.round(total_assets, -2),
        "total_liabilities": np.round(total_liabilities, -2),
        "current_assets": np.round(current_assets, -2),
        "current_liabilities": np.round(current_liabilities, -2),
        "net_income": np.round(margin * revenue, -2),
        "bureau_score": bureau,
    }
    no_financials = rng.random(n) < MISSING_FINANCIALS
    for column in _FINANCIAL_COLUMNS:
        gone = no_financials | (rng.random(n) < MISSING_FIELD)
        profile[column] = np.where(gone, np.nan, profile[column])
    profile["years_in_business"] = np.where(
        rng.random(n) < MISSING_YEARS, np.nan, profile["years_in_business"]
    )
    profile["bureau_score"] = np.where(rng.random(n) < MISSING_BUREAU, np.nan, bureau)
    return profile


def _credit_limit(
    invoice_rate: np.ndarray, amount_mu: np.ndarray, terms: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """About the expected exposure over the terms plus a few weeks' slack, rounded the way credit
    managers round; peaks, lateness and distress push customers over it."""
    n = len(invoice_rate)
    monthly = invoice_rate * np.exp(amount_mu + AMOUNT_SIGMA**2 / 2.0)
    raw = monthly * (terms + 20.0) / DAYS_PER_MONTH * np.exp(rng.normal(0.6, 0.3, n))
    step = np.select(
        [raw < 10_000, raw < 50_000, raw < 250_000], [500.0, 1_000.0, 5_000.0], 10_000.0
    )
    limit = np.maximum(step, np.round(raw / step) * step)
    return np.where(rng.random(n) < MISSING_LIMIT, np.nan, limit)


def _names(industry: np.ndarray, country: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Names like "Nordic Freight GmbH" (word, industry word, legal form of the country).
    Names may repeat, as they do in real ledgers; the customer id is the key."""
    n = len(industry)
    first = np.array(NAME_WORDS)[rng.integers(0, len(NAME_WORDS), n)]
    pick = rng.random(n)
    second = np.empty(n, dtype=object)
    for i, ind in enumerate(INDUSTRIES):
        rows = industry == i
        words = np.array(ind.words)
        second[rows] = words[(pick[rows] * len(words)).astype(int)]
    pick = rng.random(n)
    form = np.empty(n, dtype=object)
    for i, c in enumerate(COUNTRIES):
        rows = country == i
        forms = np.array(c.legal_forms)
        form[rows] = forms[(pick[rows] * len(forms)).astype(int)]
    return np.array([f"{a} {b} {c}" for a, b, c in zip(first, second, form, strict=True)])
