"""Point-in-time customer features: one row per customer, as known at the end of day T.

Only invoices issued on or before T, payments received on or before T, disputes raised and
write-offs made on or before T are used; an invoice is "settled" on the day its payments first
add up to its amount, so a payment after T leaves it open at T. Customer attributes (terms,
limit, profile) come from the customer file as it is: the ledger keeps no history of them.

The same function serves one customer (the API) and all customers (training, rescoring): every
reduction is a per-customer ``bincount`` over the rows in ledger order, so a customer's row is
bit-identical whichever other customers are in the ledger. Definitions live in
:mod:`features.registry`; customers with no history get counts and amounts of 0 and NaN where a
measure has no basis (a share of nothing, days since a payment that never happened).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.group_ops import (
    distinct,
    group_count,
    group_max,
    group_median_days,
    group_median_signed_days,
    group_min,
    group_slope,
    group_sum,
    ratio,
    row_nanmedian,
)
from features.ledger_arrays import NEVER, LedgerArrays, to_day
from features.policy import DEFAULT_RULES, FeaturePolicy, RulesPolicy
from features.receivables import (
    cei,
    dso,
    dso_countback,
    open_ar_at,
    period_sales,
    sales_between,
    written_off_between,
)
from features.registry import (
    CATEGORICAL_FEATURES,
    CUSTOMER_FEATURES,
    FEATURE_BUCKET_EDGES,
    FEATURE_BUCKETS,
    WINDOWS,
)
from ledger.frames import Ledger

AsOf = dt.date | dt.datetime | str | pd.Timestamp
QUARTER_DAYS = 91
DSO_HISTORY_POINTS = 4
_YEAR = WINDOWS["12m"]
_RECENT = WINDOWS["3m"]
# Fewer paid invoices in the year give no payment-delay trend (a line through two is noise).
MIN_TREND_INVOICES = 3
TREND_PER_DAYS = 30  # the trend is reported as days of delay gained per 30 days
_NUMERIC = [n for n in CUSTOMER_FEATURES if n not in CATEGORICAL_FEATURES]


def build_customer_features(
    ledger: Ledger, as_of: AsOf, policy: RulesPolicy = DEFAULT_RULES
) -> pd.DataFrame:
    """Customer features as of ``as_of``: one row per customer in ``ledger.customers`` (index
    ``customer_id``), columns in :data:`features.registry.CUSTOMER_FEATURES` order."""
    return customer_features_at(LedgerArrays.from_ledger(ledger), as_of, policy.features)


def customer_features_at(
    arrays: LedgerArrays, as_of: AsOf | int, policy: FeaturePolicy = DEFAULT_RULES.features
) -> pd.DataFrame:
    """:func:`build_customer_features` on a prepared ledger (reuse it for many dates);
    ``as_of`` may be a day number. The latest date's frame is kept on ``arrays``: asked again
    for it (a customer's score, then its open invoices' scores), a copy is returned."""
    t = int(as_of if isinstance(as_of, int | np.integer) else to_day(as_of))
    latest = arrays.memo.get(_MEMO_KEY)
    if latest is not None and latest[0] == t and latest[1] == policy:
        return latest[2].copy()
    frame = _features_at(arrays, t, policy)
    arrays.memo[_MEMO_KEY] = (t, policy, frame.copy())
    return frame


_MEMO_KEY = "features.customer_features_at"


def _features_at(arrays: LedgerArrays, t: int, policy: FeaturePolicy) -> pd.DataFrame:
    values = compute_customer_features(arrays, t, policy)
    block = np.empty((arrays.n_customers, len(_NUMERIC)))
    for j, name in enumerate(_NUMERIC):
        block[:, j] = values[name]
    frame = pd.DataFrame(block, index=arrays.customer_ids, columns=_NUMERIC)
    for name in CATEGORICAL_FEATURES:
        frame.insert(CUSTOMER_FEATURES.index(name), name, arrays.customers[name].array)
    return frame


class _Rows:
    """The invoices that can matter at T (issued by T, and issued or still open within the
    look-back horizon), gathered once so every later pass is over a short array."""

    def __init__(self, a: LedgerArrays, t: int, horizon: int) -> None:
        known = a.inv_day <= t
        recent = (a.inv_day > t - horizon) | (a.inv_close > t - horizon)
        self.idx = np.flatnonzero(known & recent)
        self.cust = a.inv_cust[self.idx]
        self.day = a.inv_day[self.idx]
        self.due = a.inv_due[self.idx]
        self.amount = a.inv_amount[self.idx]
        self.settle = a.inv_settle[self.idx]
        self.close = a.inv_close[self.idx]
        self.writeoff = a.inv_writeoff[self.idx]
        self.dispute = a.inv_dispute[self.idx]


def compute_customer_features(
    a: LedgerArrays, t: int, policy: FeaturePolicy
) -> dict[str, np.ndarray]:
    """Every numeric customer feature at day ``t`` as arrays aligned with ``a.customers``."""
    horizon = max(_YEAR, DSO_HISTORY_POINTS * QUARTER_DAYS + policy.dso_period_days)
    rows = _Rows(a, t, horizon)
    n = a.n_customers
    out: dict[str, np.ndarray] = {}
    out |= _activity(a, rows, t, n)
    out |= _payment_behaviour(rows, t, n, policy)
    out |= _payments(a, t, n)
    out |= _receivables(a, rows, t, n, policy)
    out |= _account(a, t, n)
    # Exposure against the customer's own trading, for the models (utilisation of the approved
    # limit is for the rules only: the limit is what the models recommend).
    out["open_ar_months_12m"] = ratio(out["open_ar"], out["invoice_amount_12m"] / 12.0)
    return out


def _activity(a: LedgerArrays, r: _Rows, t: int, n: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for w, days in WINDOWS.items():
        inside = r.day > t - days
        out[f"invoice_count_{w}"] = group_count(r.cust, n, inside)
        out[f"invoice_amount_{w}"] = group_sum(r.cust, n, np.where(inside, r.amount, 0.0))
    year = r.day > t - _YEAR
    count = out["invoice_count_12m"]
    mean = ratio(out["invoice_amount_12m"], count)
    deviation = np.where(year, r.amount - np.nan_to_num(mean)[r.cust], 0.0)
    std = np.sqrt(ratio(group_sum(r.cust, n, deviation**2), count))
    out["invoice_amount_mean_12m"] = mean
    out["invoice_amount_cv_12m"] = np.where(count >= 2, ratio(std, mean), np.nan)
    out["dispute_rate_12m"] = ratio(group_count(r.cust, n, year & (r.dispute <= t)), count)

    instalment = np.zeros(len(a.inv_day), dtype=bool)
    instalment[a.part_inv[(a.part_day <= t) & ~a.part_credit]] = True  # credits are not paid
    part_paid = year & instalment[r.idx]
    out["partial_payment_rate_12m"] = ratio(group_count(r.cust, n, part_paid), count)

    lost = (r.writeoff < r.settle) & (r.writeoff <= t) & (r.writeoff > t - _YEAR)
    lost_amount = np.where(lost, r.amount - a.inv_instalments[r.idx], 0.0)
    out["written_off_ratio_12m"] = ratio(
        group_sum(r.cust, n, lost_amount), out["invoice_amount_12m"]
    )
    return out


def _payment_behaviour(r: _Rows, t: int, n: int, policy: FeaturePolicy) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    settled = (r.settle <= t) & (r.settle <= r.writeoff)
    # Signed delay: days paid after due, negative when paid before it. Lateness alone (clipped
    # at 0) makes every early payer look alike; how early a customer pays is evidence too.
    delay = r.settle - r.due
    late_days = np.maximum(delay, 0)
    on_time = r.settle <= r.due + policy.on_time_grace_days
    for w, days in WINDOWS.items():
        inside = settled & (r.settle > t - days)
        count = group_count(r.cust, n, inside)
        out[f"on_time_share_{w}"] = ratio(group_count(r.cust, n, inside & on_time), count)
        out[f"days_late_mean_{w}"] = ratio(
            group_sum(r.cust, n, np.where(inside, late_days, 0)), count
        )
        idx = np.flatnonzero(inside)
        out[f"days_late_median_{w}"] = group_median_days(r.cust[idx], n, late_days[idx])
        out[f"days_late_max_{w}"] = group_max(r.cust[idx], n, late_days[idx], np.nan)
        weight = np.where(inside, r.amount, 0.0)
        out[f"days_late_weighted_{w}"] = ratio(
            group_sum(r.cust, n, weight * late_days), group_sum(r.cust, n, weight)
        )
        out[f"payment_delay_mean_{w}"] = ratio(
            group_sum(r.cust, n, np.where(inside, delay, 0)), count
        )
    older = settled & (r.settle > t - _YEAR) & (r.settle <= t - _RECENT)
    older_mean = ratio(
        group_sum(r.cust, n, np.where(older, late_days, 0)), group_count(r.cust, n, older)
    )
    out["days_late_trend"] = out["days_late_mean_3m"] - older_mean
    year = settled & (r.settle > t - _YEAR)
    out["days_to_pay_mean_12m"] = ratio(
        group_sum(r.cust, n, np.where(year, r.settle - r.day, 0)), group_count(r.cust, n, year)
    )
    out |= _delay_state(r, t, n, np.flatnonzero(year), delay, policy)
    out |= _prior_late(r, t, n, policy)
    return out


def _prior_late(r: _Rows, t: int, n: int, policy: FeaturePolicy) -> dict[str, np.ndarray]:
    """The customer's own late record, as a credit controller keeps it: of its invoices whose
    outcome is known at T (paid, written off, or still open more than ``late_after_days`` past
    due), the share that were late by the late-payment label's definition, and how many that
    share rests on (a share of 1 of 2 says less than 10 of 20)."""
    cutoff = r.due + policy.late_after_days
    paid = (r.settle <= t) & (r.settle <= r.writeoff)
    lost = (r.writeoff <= t) & (r.writeoff < r.settle)
    overdue_open = ~paid & ~lost & (cutoff < t)
    known = paid | lost | overdue_open
    late = (paid & (r.settle > cutoff)) | lost | overdue_open
    count = group_count(r.cust, n, known)
    return {
        "prior_late_share": ratio(group_count(r.cust, n, late), count),
        "prior_known_invoices": count.astype(np.float64),
    }


def _delay_state(
    r: _Rows, t: int, n: int, year: np.ndarray, delay: np.ndarray, policy: FeaturePolicy
) -> dict[str, np.ndarray]:
    """Where the customer's payment delay stands now: recent payments weigh most (a payment
    habit drifts), its direction, and what open invoices already say about it."""
    cust, age = r.cust[year], t - r.settle[year]
    delay_year = delay[year].astype(np.float64)
    weight = np.exp2(-age / policy.recency_half_life_days)
    recent = ratio(group_sum(cust, n, weight * delay_year), group_sum(cust, n, weight))
    trend = group_slope(cust, n, -age.astype(np.float64), delay_year, MIN_TREND_INVOICES)
    # An open invoice already d days past its due date will be paid at least d days late: past
    # the customer's usual payment day, it is evidence of a slower habit before it is paid.
    usual = group_median_signed_days(cust, n, delay[year])
    open_ = np.flatnonzero(r.close > t)
    past_usual = (t - r.due[open_]) - usual[r.cust[open_]]
    furthest = group_max(r.cust[open_], n, np.maximum(past_usual, 0.0), 0.0)
    return {
        "payment_delay_recent": recent,
        "payment_delay_trend_12m": trend * TREND_PER_DAYS,
        "open_past_usual_days": np.where(np.isnan(usual), np.nan, furthest),
    }


def _payments(a: LedgerArrays, t: int, n: int) -> dict[str, np.ndarray]:
    received = a.pay_day <= t
    last = group_max(a.pay_cust, n, np.where(received, a.pay_day, -NEVER), -NEVER)
    out = {"days_since_last_payment": np.where(last > -NEVER, t - last, np.nan)}
    # Usual gap between distinct payment days over the year: (last - first) / (days - 1).
    idx = np.flatnonzero(received & (a.pay_day > t - _YEAR))
    offset = a.pay_day[idx] - (t - _YEAR)  # 1..365, packs under the customer code
    keys = distinct((a.pay_cust[idx] << 32) | offset)
    cust, day = keys >> 32, keys & 0xFFFFFFFF
    count = np.bincount(cust, minlength=n)
    first = group_min(cust, n, day, np.nan)
    last_day = group_max(cust, n, day, np.nan)
    out["payment_gap_mean_12m"] = np.where(count >= 2, ratio(last_day - first, count - 1), np.nan)
    return out


def _receivables(
    a: LedgerArrays, r: _Rows, t: int, n: int, policy: FeaturePolicy
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    period, cap = policy.dso_period_days, policy.dso_cap_days
    open_ = np.flatnonzero(r.close > t)
    paid = np.bincount(
        a.part_inv, weights=np.where(a.part_day <= t, a.part_amount, 0.0), minlength=len(a.inv_day)
    )
    amount = r.amount[open_] - paid[r.idx[open_]]
    cust = r.cust[open_]
    days_overdue = t - r.due[open_]
    overdue = days_overdue > 0
    open_ar = group_sum(cust, n, amount)
    overdue_ar = group_sum(cust, n, np.where(overdue, amount, 0.0))
    out["open_ar"] = open_ar
    out["open_invoice_count"] = group_sum(cust, n)
    out["overdue_ar"] = overdue_ar
    out["overdue_share"] = ratio(overdue_ar, open_ar)
    out["overdue_invoice_count"] = group_count(cust, n, overdue)
    out["max_days_overdue"] = group_max(cust, n, np.where(overdue, days_overdue, 0), 0)

    n_buckets = len(FEATURE_BUCKETS)
    bucket = np.searchsorted(np.asarray(FEATURE_BUCKET_EDGES), days_overdue, side="left")
    by_bucket = np.bincount(cust * n_buckets + bucket, weights=amount, minlength=n * n_buckets)
    by_bucket = by_bucket.reshape(n, n_buckets)
    for j, name in enumerate(FEATURE_BUCKETS):
        out[f"aging_share_{name}"] = ratio(by_bucket[:, j], open_ar)
    out["largest_open_invoice"] = group_max(cust, n, amount, 0.0)
    out["largest_open_invoice_share"] = ratio(out["largest_open_invoice"], open_ar)
    disputed = r.dispute[open_] <= t
    out["disputed_open_share"] = ratio(group_sum(cust, n, np.where(disputed, amount, 0.0)), open_ar)

    current_ar = open_ar - overdue_ar
    sales = sales_between(a, t - period, t, r.idx)
    out["dso"] = dso(open_ar, sales, period, cap)
    out["avg_days_delinquent"] = out["dso"] - dso(current_ar, sales, period, cap)
    out["dso_countback"] = dso_countback(open_ar, period_sales(a, t, r.idx), cap)

    lost = written_off_between(a, t - period, t, r.idx)
    begin_ar = open_ar_at(a, t - period, r.idx)
    out["cei"] = cei(begin_ar, sales, open_ar, current_ar, lost)

    first_invoice = group_min(a.inv_cust, n, np.where(a.inv_day <= t, a.inv_day, NEVER), NEVER)
    history = np.full((n, DSO_HISTORY_POINTS), np.nan)
    for k in range(DSO_HISTORY_POINTS):
        day = t - (k + 1) * QUARTER_DAYS
        sales_then = sales_between(a, day - period, day, r.idx)
        past = dso(open_ar_at(a, day, r.idx), sales_then, period, cap)
        history[:, k] = np.where(first_invoice <= day, past, np.nan)
    out["dso_usual"] = row_nanmedian(history)
    out["dso_change"] = out["dso"] - out["dso_usual"]

    limit = a.cust_limit
    out["credit_limit"] = limit
    out["credit_utilisation"] = np.where(limit > 0, ratio(open_ar, limit), np.nan)
    return out


def _account(a: LedgerArrays, t: int, n: int) -> dict[str, np.ndarray]:
    known = a.inv_day <= t
    last_invoice = group_max(a.inv_cust, n, np.where(known, a.inv_day, -NEVER), -NEVER)
    last_dispute = group_max(
        a.inv_cust, n, np.where(a.inv_dispute <= t, a.inv_dispute, -NEVER), -NEVER
    )
    profile = a.cust_profile
    return {
        "days_since_last_invoice": np.where(last_invoice > -NEVER, t - last_invoice, np.nan),
        "days_since_last_dispute": np.where(last_dispute > -NEVER, t - last_dispute, np.nan),
        "tenure_days": np.where(a.cust_onboarding <= t, t - a.cust_onboarding, np.nan),
        "payment_terms_days": a.cust_terms,
        "current_ratio": ratio(profile["current_assets"], profile["current_liabilities"]),
        "leverage": ratio(profile["total_liabilities"], profile["total_assets"]),
        "net_margin": ratio(profile["net_income"], profile["annual_revenue"]),
        "annual_revenue": profile["annual_revenue"],
        "years_in_business": profile["years_in_business"],
        "employees": profile["employees"],
        "bureau_score": profile["bureau_score"],
    }
