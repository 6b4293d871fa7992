"""The feature registry: every feature's name, one-line definition, unit, kind, the direction
in which it moves default risk and whether a model may learn from it. The API's reason codes read
it to explain a score in plain words, so a definition here is the contract the builders in
``customer.py`` and ``invoice.py`` keep.

Directions: every feature with a credit meaning has one (more days late never lowers the PD, a
higher bureau score never raises it); 0 is kept only where a value has no single credit reading,
and the comment beside it says why. Training scores a missing value of a directional feature as
the training median plus a missing flag that may only raise the PD (``training.pipeline``), so
"no data" never scores better than the portfolio median.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "money", "days", "share", "ratio", "years", "score", "month", "text"]
Kind = Literal["numeric", "categorical"]
Level = Literal["customer", "invoice"]

# Window name -> length in days. Fixed, because the names are part of the feature names.
WINDOWS: dict[str, int] = {"3m": 91, "6m": 182, "12m": 365}
# Aging buckets used as model features (the aging report's buckets come from the policy and may
# differ; model inputs must not change meaning when an operator edits the report's buckets).
FEATURE_BUCKET_EDGES: tuple[int, ...] = (0, 30, 60, 90, 180)
FEATURE_BUCKETS: tuple[str, ...] = ("current", "1_30", "31_60", "61_90", "91_180", "over_180")


@dataclass(frozen=True)
class FeatureSpec:
    """One feature. ``monotone`` is the direction for PD models: +1 a higher value never lowers
    risk, -1 a higher value never raises it, 0 no constraint. ``model_input=False`` keeps a
    feature out of every model's training sample (it stays for rules, warnings and reports):
    anything derived from the approved credit limit, which is what the models recommend - a
    model that learnt from it would move the limit it is then cut by."""

    name: str
    definition: str
    unit: Unit
    kind: Kind = "numeric"
    monotone: Literal[-1, 0, 1] = 0
    level: Level = "customer"
    model_input: bool = True


def _windowed(name: str, definition: str, unit: Unit, monotone: Literal[-1, 0, 1]) -> list:
    return [
        FeatureSpec(f"{name}_{w}", definition.format(w=w, days=d), unit, monotone=monotone)
        for w, d in WINDOWS.items()
    ]


_SETTLED = "invoices fully paid in the last {days} days"

_CUSTOMER: list[FeatureSpec] = [
    # Trading volume has no single credit reading: growth may be health or over-trading, a fall
    # lost business or a customer winding down; and it measures size as much as behaviour.
    *_windowed("invoice_count", "Invoices issued in the last {days} days", "count", 0),
    *_windowed("invoice_amount", "Amount invoiced in the last {days} days", "money", 0),
    *_windowed("on_time_share", "Share of " + _SETTLED + " paid by the due date", "share", -1),
    *_windowed("days_late_mean", "Mean days paid after due, " + _SETTLED, "days", 1),
    *_windowed("days_late_median", "Median days paid after due, " + _SETTLED, "days", 1),
    *_windowed("days_late_max", "Longest days paid after due, " + _SETTLED, "days", 1),
    *_windowed(
        "days_late_weighted", "Amount-weighted mean days paid after due, " + _SETTLED, "days", 1
    ),
    FeatureSpec(
        "prior_late_share",
        "Share of the invoices whose outcome is known (paid, written off, or open more than "
        "features.late_after_days past due) that were late by that many days, over the "
        "look-back the features keep",
        "share",
        monotone=1,
    ),
    FeatureSpec(
        "prior_known_invoices",
        "Invoices prior_late_share rests on: outcome known by the feature date",
        "count",
    ),
    FeatureSpec(
        "days_late_trend",
        "Mean days late of the last 91 days minus that of the 274 days before",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "days_to_pay_mean_12m",
        "Mean days from invoice to full payment, invoices fully paid in the last 365 days",
        "days",
        monotone=1,
    ),
    *_windowed(
        "payment_delay_mean",
        "Mean days paid after due, negative when paid before due, " + _SETTLED,
        "days",
        1,
    ),
    FeatureSpec(
        "payment_delay_recent",
        "Recency-weighted mean days paid after due (negative: before due), invoices fully paid "
        "in the last 365 days; a payment's weight halves every recency_half_life_days "
        "(feature policy, 60 by default) before the feature date",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "payment_delay_trend_12m",
        "Trend of the days paid after due: least-squares change per 30 days against the day "
        "of payment, invoices fully paid in the last 365 days (at least 3)",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "open_past_usual_days",
        "Days the most overdue open invoice is past the customer's usual payment day (due date "
        "plus the median days paid after due over the last 365 days, negative when early); "
        "0 when none is",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "days_since_last_payment", "Days since the last payment received", "days", monotone=1
    ),
    # How often a customer pays follows how often it is invoiced (its size and order rhythm).
    FeatureSpec(
        "payment_gap_mean_12m", "Usual days between payment dates over the last 365 days", "days"
    ),
    # Exposure in money and invoices measures size; relative to the customer's own trading it
    # has a direction (open_ar_months_12m, dso).
    FeatureSpec("open_ar", "Open receivables (unpaid, not written off)", "money"),
    FeatureSpec("open_invoice_count", "Invoices open (not fully paid)", "count"),
    FeatureSpec(
        "open_ar_months_12m",
        "Open receivables / mean amount invoiced per month over the last 365 days (months of "
        "trade outstanding)",
        "ratio",
        monotone=1,
    ),
    FeatureSpec("overdue_ar", "Open receivables past their due date", "money", monotone=1),
    FeatureSpec("overdue_share", "Share of open receivables that is overdue", "share", monotone=1),
    FeatureSpec("overdue_invoice_count", "Open invoices past their due date", "count", monotone=1),
    FeatureSpec(
        "max_days_overdue", "Days overdue of the oldest overdue invoice", "days", monotone=1
    ),
    FeatureSpec(
        "aging_share_current", "Share of open receivables not yet due", "share", monotone=-1
    ),
    # A few days late is common among sound payers; a larger 1-30 share may come out of the
    # current bucket (worse) or out of the older ones (better): no single reading.
    FeatureSpec("aging_share_1_30", "Share of open receivables 1-30 days overdue", "share"),
    FeatureSpec(
        "aging_share_31_60", "Share of open receivables 31-60 days overdue", "share", monotone=1
    ),
    FeatureSpec(
        "aging_share_61_90", "Share of open receivables 61-90 days overdue", "share", monotone=1
    ),
    FeatureSpec(
        "aging_share_91_180", "Share of open receivables 91-180 days overdue", "share", monotone=1
    ),
    FeatureSpec(
        "aging_share_over_180",
        "Share of open receivables more than 180 days overdue",
        "share",
        monotone=1,
    ),
    # Size, and concentration of the open book: a few large orders are not in themselves risk.
    FeatureSpec("largest_open_invoice", "Open amount of the largest open invoice", "money"),
    FeatureSpec(
        "largest_open_invoice_share", "Largest open invoice as a share of open receivables", "share"
    ),
    FeatureSpec(
        "dso",
        "Days sales outstanding: open receivables / sales of the DSO period x its days",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "dso_countback",
        "Days of the most recent sales (30-day periods) needed to add up to open receivables",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "avg_days_delinquent",
        "Average days delinquent: DSO minus best possible DSO (not-yet-due receivables only)",
        "days",
        monotone=1,
    ),
    FeatureSpec(
        "cei",
        "Collection effectiveness index over the DSO period: collected / collectible",
        "share",
        monotone=-1,
    ),
    FeatureSpec(
        "dso_usual",
        "Median DSO at the four previous quarter points (91 days apart)",
        "days",
        monotone=1,
    ),
    FeatureSpec("dso_change", "DSO now minus the usual DSO", "days", monotone=1),
    # The limit is what the models recommend: kept for rules, warnings and reports only.
    FeatureSpec("credit_limit", "Approved credit limit", "money", model_input=False),
    FeatureSpec(
        "credit_utilisation",
        "Open receivables as a share of the credit limit",
        "share",
        monotone=1,
        model_input=False,
    ),
    FeatureSpec(
        "dispute_rate_12m",
        "Share of invoices issued in the last 365 days that were disputed",
        "share",
        monotone=1,
    ),
    FeatureSpec(
        "disputed_open_share",
        "Share of open receivables on disputed invoices",
        "share",
        monotone=1,
    ),
    # Empty when the customer never disputed - the good case, not missing data - so a direction
    # (and with it the missing-as-median rule) would score the never-disputed as the median.
    FeatureSpec("days_since_last_dispute", "Days since the customer last raised a dispute", "days"),
    FeatureSpec(
        "partial_payment_rate_12m",
        "Share of invoices issued in the last 365 days paid in instalments",
        "share",
        monotone=1,
    ),
    FeatureSpec(
        "written_off_ratio_12m",
        "Amount written off in the last 365 days / amount invoiced in them",
        "share",
        monotone=1,
    ),
    # Order size and its volatility describe the business, not its credit: no direction.
    FeatureSpec("invoice_amount_mean_12m", "Mean invoice amount over the last 365 days", "money"),
    FeatureSpec(
        "invoice_amount_cv_12m",
        "Invoice amount volatility: standard deviation / mean, last 365 days",
        "ratio",
    ),
    # A pause in orders may be seasonal, a switch of supplier or a customer winding down.
    FeatureSpec("days_since_last_invoice", "Days since the last invoice was issued", "days"),
    FeatureSpec("tenure_days", "Days since the account was opened", "days", monotone=-1),
    # Terms are set by the seller (and by industry custom), not a sign of the buyer's credit.
    FeatureSpec("payment_terms_days", "Standard payment terms", "days"),
    # Categories have no order.
    FeatureSpec("industry", "Industry or sector", "text", kind="categorical"),
    FeatureSpec("country", "Country (ISO code)", "text", kind="categorical"),
    FeatureSpec("current_ratio", "Current assets / current liabilities", "ratio", monotone=-1),
    FeatureSpec("leverage", "Total liabilities / total assets", "ratio", monotone=1),
    FeatureSpec("net_margin", "Net income / annual revenue", "share", monotone=-1),
    # Larger firms fail less often, all else equal.
    FeatureSpec("annual_revenue", "Annual revenue", "money", monotone=-1),
    FeatureSpec("years_in_business", "Years since incorporation", "years", monotone=-1),
    FeatureSpec("employees", "Number of employees", "count", monotone=-1),
    FeatureSpec(
        "bureau_score",
        "External credit bureau score (higher is safer)",
        "score",
        monotone=-1,
    ),
]

_INVOICE: list[FeatureSpec] = [
    # The invoice's size and terms, its calendar month and its state at the feature date have no
    # single credit reading (a large order may be a stretch or a sound customer's bulk buy; at
    # issue, when training takes them, the state columns are the same for every invoice).
    FeatureSpec("invoice_amount", "Invoice amount", "money", level="invoice"),
    FeatureSpec(
        "invoice_terms_days", "Days from invoice date to due date", "days", level="invoice"
    ),
    FeatureSpec(
        "invoice_relative_size",
        "Invoice amount / the customer's mean invoice amount over the last 365 days",
        "ratio",
        level="invoice",
    ),
    FeatureSpec("invoice_month", "Calendar month of the invoice date", "month", level="invoice"),
    FeatureSpec(
        "invoice_days_since_issue",
        "Days from invoice date to the feature date",
        "days",
        level="invoice",
    ),
    FeatureSpec(
        "invoice_days_to_due",
        "Days from the feature date to the due date (negative: overdue)",
        "days",
        level="invoice",
    ),
    FeatureSpec(
        "invoice_open_share",
        "Share of the invoice still unpaid at the feature date",
        "share",
        level="invoice",
    ),
    FeatureSpec(
        "invoice_disputed",
        "Whether a dispute on the invoice was raised by the feature date (1 yes, 0 no)",
        "count",
        monotone=1,
        level="invoice",
    ),
]

FEATURES: dict[str, FeatureSpec] = {f.name: f for f in (*_CUSTOMER, *_INVOICE)}
CUSTOMER_FEATURES: tuple[str, ...] = tuple(f.name for f in _CUSTOMER)
INVOICE_FEATURES: tuple[str, ...] = tuple(f.name for f in _INVOICE)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(
    f.name for f in FEATURES.values() if f.kind == "categorical"
)


def model_inputs(columns: Iterable[str]) -> list[str]:
    """``columns`` without the features no model may learn from (in their order); columns the
    registry does not know are kept (a user's own table)."""
    return [c for c in columns if c not in FEATURES or FEATURES[c].model_input]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def render_value(name: str, value: object, currency: str = "EUR") -> str:
    """A feature value in plain language for a finance reader: "42 days", "37%", "€12,400"."""
    spec = FEATURES[name]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if spec.kind == "categorical" or spec.unit == "text":
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if spec.unit == "money":
        symbol = _CURRENCY_SYMBOLS.get(currency)
        sign = "-" if number < 0 else ""
        amount = f"{abs(number):,.0f}"
        return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"
    if spec.unit == "share":
        return f"{number:.0%}"
    if spec.unit == "days":
        days = round(number)
        return f"{days} day" if abs(days) == 1 else f"{days} days"
    if spec.unit == "years":
        return f"{number:g} year" if number == 1 else f"{number:g} years"
    if spec.unit == "count":
        return f"{round(number):,}"
    if spec.unit == "month":
        return _MONTHS[int(number) - 1]
    if spec.unit == "ratio":
        return f"{number:.2f}"
    return f"{number:,.0f}"  # score
