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
    f = features
    exposure = f["open_ar"] if exposure is None else exposure.reindex(f.index).fillna(0.0)
    limit = f["credit_limit"]
    found: list[pd.DataFrame] = []

    def add(
        code: str,
        mask: pd.Series,
        value: pd.Series,
        threshold: pd.Series,
        text: Callable[[float, float, str], str],
    ) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        ids = f.index[mask.to_numpy()]
        v, th = value[mask].to_numpy(dtype=float), threshold[mask].to_numpy(dtype=float)
        found.append(
            pd.DataFrame(
                {
                    "customer_id": ids,
                    "code": code,
                    "message": [text(a, b, i) for a, b, i in zip(v, th, ids, strict=True)],
                    "value": v,
                    "threshold": th,
                }
            )
        )

    def const(x: float) -> pd.Series:
        return pd.Series(float(x), index=f.index)

    def pct(x: float) -> str:
        return render_value("overdue_share", x)

    def money(x: float) -> str:
        return render_value("open_ar", x, currency)

    share_limit = policy.overdue_share_above
    add(
        "overdue_share_high",
        f["overdue_share"] > share_limit,
        f["overdue_share"],
        const(share_limit),
        lambda v, th, _: f"{pct(v)} of open receivables is overdue (limit {pct(th)})",
    )
    usual = f["dso_usual"]
    dso_threshold = pd.Series(
        np.maximum(usual + policy.dso_rise_days, usual * (1 + policy.dso_rise_ratio)),
        index=f.index,
    )
    add(
        "dso_rising",
        f["dso"] >= dso_threshold,
        f["dso"],
        dso_threshold,
        lambda v, th, i: (
            f"DSO is {v:.0f} days against a usual {usual[i]:.0f} days (alert from {th:.0f})"
        ),
    )
    trend_limit = policy.days_late_trend_above
    add(
        "days_late_trend_rising",
        f["days_late_trend"] > trend_limit,
        f["days_late_trend"],
        const(trend_limit),
        lambda v, th, _: (
            f"Recent invoices are paid {v:.0f} days later than before (alert above {th:.0f})"
        ),
    )
    has_limit = limit.notna()
    utilisation = exposure / limit.where(limit > 0)
    util_limit = policy.utilisation_above
    add(
        "utilisation_high",
        has_limit & (utilisation > util_limit) & (exposure <= limit),
        utilisation,
        const(util_limit),
        lambda v, th, _: f"Exposure uses {pct(v)} of the credit limit (alert above {pct(th)})",
    )
    add(
        "limit_breached",
        has_limit & (exposure > limit),
        exposure,
        limit,
        lambda v, th, _: f"Exposure {money(v)} is above the credit limit of {money(th)}",
    )
    dispute_days = policy.new_dispute_within_days
    add(
        "new_dispute",
        f["days_since_last_dispute"] <= dispute_days,
        f["days_since_last_dispute"],
        const(dispute_days),
        lambda v, th, _: f"A dispute was raised {v:.0f} days ago",
    )
    gap = f["payment_gap_mean_12m"]
    silence_limit = pd.Series(
        np.maximum(
            policy.payment_silence_min_days, (gap * policy.payment_silence_factor).fillna(0.0)
        ),
        index=f.index,
    )
    add(
        "payment_silence",
        (f["open_ar"] > 0) & (f["days_since_last_payment"] > silence_limit),
        f["days_since_last_payment"],
        silence_limit,
        lambda v, th, _: (
            f"No payment for {v:.0f} days while receivables are open "
            f"(usual silence at most {th:.0f} days)"
        ),
    )
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=_WARNING_DTYPES[c]) for c in WARNING_COLUMNS})
    out = pd.concat(found, ignore_index=True)
    out["customer_id"] = out["customer_id"].astype("str")
    order = out["code"].map({c: i for i, c in enumerate(WARNING_CODES)})
    return (
        out.assign(_order=order)
        .sort_values(["customer_id", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
