"""Credit-control rules on top of the features: overdue risk grade and its strategy, the
collection ladder per open invoice, and early-warning signals per customer.

Every threshold comes from the policy (:mod:`features.policy`); the rules are vectorised so the
whole portfolio is graded in one pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.policy import (
    GRADES,
    CollectionPolicy,
    EarlyWarningPolicy,
    GradeThresholds,
    OverdueRiskPolicy,
)
from features.registry import render_value

WARNING_COLUMNS: tuple[str, ...] = ("customer_id", "code", "message", "value", "threshold")
_WARNING_DTYPES = {
    "customer_id": "str",
    "code": "str",
    "message": "str",
    "value": "float64",
    "threshold": "float64",
}
WARNING_CODES: tuple[str, ...] = (
    "overdue_share_high",
    "dso_rising",
    "days_late_trend_rising",
    "utilisation_high",
    "limit_breached",
    "new_dispute",
    "payment_silence",
)


def _level(values: np.ndarray, thresholds: GradeThresholds) -> np.ndarray:
    """Grade index (0 low .. 3 critical) that ``values`` reach; NaN reaches nothing."""
    level = np.zeros(len(values), dtype=np.int64)
    filled = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=-np.inf)
    for index, grade in enumerate(GRADES[1:], start=1):
        threshold = getattr(thresholds, grade)
        if threshold is not None:
            level = np.where(filled >= threshold, index, level)
    return level


def overdue_risk_grade(
    max_days_overdue: np.ndarray,
    overdue_share: np.ndarray,
    late_share: np.ndarray,
    overdue_amount: np.ndarray,
    policy: OverdueRiskPolicy,
) -> np.ndarray:
    """The worst grade any measure reaches. Overdue days and share count only when the overdue
    amount is material (>= ``min_overdue_amount``); lateness frequency always counts."""
    material = np.asarray(overdue_amount, dtype=np.float64) >= policy.min_overdue_amount
    days = np.where(material, max_days_overdue, np.nan)
    share = np.where(material, overdue_share, np.nan)
    level = np.maximum.reduce(
        [
            _level(days, policy.days_overdue),
            _level(share, policy.overdue_share),
            _level(np.asarray(late_share, dtype=np.float64), policy.late_share),
        ]
    )
    return np.asarray(GRADES, dtype=object)[level]


def grade_strategy(grades: np.ndarray, policy: OverdueRiskPolicy) -> np.ndarray:
    """The policy's strategy text for each grade."""
    return np.array([policy.strategies[g] for g in grades], dtype=object)


def collection_steps(
    days_overdue: np.ndarray,
    open_amount: np.ndarray,
    disputed: np.ndarray,
    policy: CollectionPolicy,
) -> tuple[np.ndarray, np.ndarray]:
    """(step code, action) per open invoice. Disputed invoices go to ``dispute_resolution``;
    not yet due: ``reminder_before_due`` within the reminder window, else ``none``; overdue: the
    highest step whose day threshold is reached (thresholds scaled down for large amounts,
    steps capped for small ones)."""
    days = np.asarray(days_overdue, dtype=np.float64)
    amount = np.asarray(open_amount, dtype=np.float64)
    steps = policy.steps
    if policy.large_amount is None:
        large = np.zeros(len(days), dtype=bool)
    else:
        large = amount >= policy.large_amount
    factor = np.where(large, policy.large_amount_day_factor, 1.0)
    reached = np.full(len(days), -1, dtype=np.int64)
    for index, step in enumerate(steps):
        reached = np.where(days >= step.from_days_overdue * factor, index, reached)
    cap = [s.code for s in steps].index(policy.small_amount_last_step)
    reached = np.where(amount < policy.small_amount, np.minimum(reached, cap), reached)

    codes = np.array([s.code for s in steps], dtype=object)
    actions = np.array([s.action for s in steps], dtype=object)
    pre_due = (days <= 0) & (-days <= policy.reminder_days_before_due)
    code = np.where(
        reached >= 0,
        codes[np.maximum(reached, 0)],
        np.where(pre_due, "reminder_before_due", "none"),
    )
    action = np.where(
        reached >= 0,
        actions[np.maximum(reached, 0)],
        np.where(pre_due, policy.reminder_action, ""),
    )
    disputed = np.asarray(disputed, dtype=bool)
    code = np.where(disputed, "dispute_resolution", code)
    action = np.where(disputed, policy.dispute_action, action)
    return code.astype(object), action.astype(object)


def early_warnings(
    features: pd.DataFrame,
    policy: EarlyWarningPolicy,
    exposure: pd.Series | None = None,
    currency: str = "EUR",
) -> pd.DataFrame:
    """Early-warning signals, one row per (customer, signal) raised, with the value that raised
    it and the threshold it crossed. ``features`` is a customer-feature frame;
    ``exposure`` (open AR + open orders, by customer) defaults to open AR."""
    # In numpy, not pandas: the service raises the warnings of one customer at a time, where
    # pandas' per-operation cost was most of the work.
    f = features
    ids = f.index

    def col(name: str) -> np.ndarray:
        return f[name].to_numpy(dtype=float, na_value=np.nan)

    open_ar = col("open_ar")
    owed = (
        open_ar
        if exposure is None
        else exposure.reindex(ids).fillna(0.0).to_numpy(dtype=float, na_value=np.nan)
    )
    limit = col("credit_limit")
    found: list[tuple[np.ndarray, str, list[str], np.ndarray, np.ndarray]] = []

    def add(
        code: str,
        mask: np.ndarray,
        value: np.ndarray,
        threshold: np.ndarray | float,
        text: Callable[[float, float, int], str],
    ) -> None:
        rows = np.flatnonzero(mask)  # comparisons with NaN are False: no data, no warning
        if not len(rows):
            return
        v = value[rows]
        th = np.broadcast_to(np.asarray(threshold, dtype=float), value.shape)[rows]
        messages = [text(a, b, int(r)) for a, b, r in zip(v, th, rows, strict=True)]
        found.append((rows, code, messages, v, th))

    def pct(x: float) -> str:
        return render_value("overdue_share", x)

    def money(x: float) -> str:
        return render_value("open_ar", x, currency)

    share = col("overdue_share")
    share_limit = policy.overdue_share_above
    add(
        "overdue_share_high",
        share > share_limit,
        share,
        share_limit,
        lambda v, th, _: f"{pct(v)} of open receivables is overdue (limit {pct(th)})",
    )
    usual, dso = col("dso_usual"), col("dso")
    dso_threshold = np.maximum(usual + policy.dso_rise_days, usual * (1 + policy.dso_rise_ratio))
    add(
        "dso_rising",
        dso >= dso_threshold,
        dso,
        dso_threshold,
        lambda v, th, r: (
            f"DSO is {v:.0f} days against a usual {usual[r]:.0f} days (alert from {th:.0f})"
        ),
    )
    trend = col("days_late_trend")
    trend_limit = policy.days_late_trend_above
    add(
        "days_late_trend_rising",
        trend > trend_limit,
        trend,
        trend_limit,
        lambda v, th, _: (
            f"Recent invoices are paid {v:.0f} days later than before (alert above {th:.0f})"
        ),
    )
    has_limit = ~np.isnan(limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = owed / np.where(limit > 0, limit, np.nan)
    util_limit = policy.utilisation_above
    add(
        "utilisation_high",
        has_limit & (utilisation > util_limit) & (owed <= limit),
        utilisation,
        util_limit,
        lambda v, th, _: f"Exposure uses {pct(v)} of the credit limit (alert above {pct(th)})",
    )
    add(
        "limit_breached",
        has_limit & (owed > limit),
        owed,
        limit,
        lambda v, th, _: f"Exposure {money(v)} is above the credit limit of {money(th)}",
    )
    since_dispute = col("days_since_last_dispute")
    dispute_days = policy.new_dispute_within_days
    add(
        "new_dispute",
        since_dispute <= dispute_days,
        since_dispute,
        dispute_days,
        lambda v, th, _: f"A dispute was raised {v:.0f} days ago",
    )
    gap = col("payment_gap_mean_12m") * policy.payment_silence_factor
    silence_limit = np.maximum(policy.payment_silence_min_days, np.where(np.isnan(gap), 0.0, gap))
    since_payment = col("days_since_last_payment")
    add(
        "payment_silence",
        (open_ar > 0) & (since_payment > silence_limit),
        since_payment,
        silence_limit,
        lambda v, th, _: (
            f"No payment for {v:.0f} days while receivables are open "
            f"(usual silence at most {th:.0f} days)"
        ),
    )
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=_WARNING_DTYPES[c]) for c in WARNING_COLUMNS})
    rows = np.concatenate([r for r, *_ in found])
    rank = {c: i for i, c in enumerate(WARNING_CODES)}
    codes = np.concatenate([np.full(len(r), rank[code]) for r, code, *_ in found])
    customer = pd.array(ids.to_numpy()[rows], dtype="str")
    # By customer id, then in the codes' order.
    by_customer, _ = pd.factorize(customer, sort=True)
    order = np.lexsort((codes, by_customer))
    return pd.DataFrame(
        {
            "customer_id": customer[order],
            "code": pd.array([WARNING_CODES[c] for c in codes[order]], dtype="str"),
            "message": pd.array([m for *_, messages, _, _ in found for m in messages], dtype="str")[
                order
            ],
            "value": np.concatenate([v for *_, v, _ in found])[order],
            "threshold": np.concatenate([th for *_, th in found])[order],
        }
    )
