"""Credit rules at their thresholds: overdue risk grade, collection ladder, early warnings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.policy import (
    CollectionPolicy,
    CollectionStep,
    EarlyWarningPolicy,
    GradeThresholds,
    OverdueRiskPolicy,
)
from features.rules import collection_steps, early_warnings, grade_strategy, overdue_risk_grade

RISK = OverdueRiskPolicy()
NAN = math.nan


def _grade(days: float = 0, share: float = 0, late: float = 0, amount: float = 1e6) -> str:
    return overdue_risk_grade(
        np.array([days]), np.array([share]), np.array([late]), np.array([amount]), RISK
    )[0]


@pytest.mark.parametrize(
    ("days", "grade"),
    [(0, "low"), (14, "low"), (15, "medium"), (44, "medium"), (45, "high"), (89, "high"),
     (90, "critical"), (400, "critical")],
)  # fmt: skip
def test_days_overdue_thresholds(days: float, grade: str) -> None:
    assert _grade(days=days) == grade


@pytest.mark.parametrize(
    ("share", "grade"),
    [(0.099, "low"), (0.10, "medium"), (0.299, "medium"), (0.30, "high"), (1.0, "high")],
)
def test_overdue_share_thresholds_stop_at_high(share: float, grade: str) -> None:
    assert _grade(share=share) == grade


@pytest.mark.parametrize(
    ("late", "grade"),
    [(0.29, "low"), (0.30, "medium"), (0.59, "medium"), (0.60, "high"), (1.0, "high")],
)
def test_lateness_frequency_thresholds(late: float, grade: str) -> None:
    assert _grade(late=late) == grade


def test_worst_measure_sets_the_grade() -> None:
    assert _grade(days=20, share=0.35, late=0.0) == "high"
    assert _grade(days=100, share=0.05, late=0.0) == "critical"


def test_immaterial_overdue_amount_is_ignored_but_lateness_counts() -> None:
    assert _grade(days=200, share=1.0, amount=99.99) == "low"
    assert _grade(days=200, share=1.0, amount=100.0) == "critical"
    assert _grade(days=200, share=1.0, late=0.7, amount=5.0) == "high"


def test_missing_measures_reach_no_grade() -> None:
    assert _grade(days=NAN, share=NAN, late=NAN) == "low"


def test_configured_critical_share_and_strategy_text() -> None:
    policy = OverdueRiskPolicy(overdue_share=GradeThresholds(medium=0.1, high=0.3, critical=0.8))
    grade = overdue_risk_grade(
        np.array([0.0]), np.array([0.8]), np.array([0.0]), np.array([500.0]), policy
    )
    assert grade.tolist() == ["critical"]
    assert grade_strategy(grade, policy)[0] == (
        "Stop supply; start legal or third-party collection."
    )
    assert grade_strategy(np.array(["low"]), policy)[0] == "Keep terms; send friendly reminders."


LADDER = CollectionPolicy()


def _step(days: float, amount: float = 1000.0, disputed: bool = False) -> str:
    code, _ = collection_steps(np.array([days]), np.array([amount]), np.array([disputed]), LADDER)
    return code[0]


@pytest.mark.parametrize(
    ("days", "step"),
    [(-30, "none"), (-6, "none"), (-5, "reminder_before_due"), (0, "reminder_before_due"),
     (1, "friendly_reminder"), (14, "friendly_reminder"), (15, "call_and_plan"),
     (44, "call_and_plan"), (45, "formal_demand"), (89, "formal_demand"),
     (90, "agency_or_legal"), (365, "agency_or_legal")],
)  # fmt: skip
def test_ladder_by_days_overdue(days: float, step: str) -> None:
    assert _step(days) == step


@pytest.mark.parametrize(
    ("days", "step"),
    [(1, "friendly_reminder"), (7, "friendly_reminder"), (8, "call_and_plan"),
     (23, "formal_demand"), (45, "agency_or_legal")],
)  # fmt: skip
def test_large_amounts_escalate_twice_as_fast(days: float, step: str) -> None:
    assert _step(days, amount=50_000) == step


def test_small_amounts_stop_at_formal_demand() -> None:
    assert _step(200, amount=499.99) == "formal_demand"
    assert _step(200, amount=500.0) == "agency_or_legal"
    assert _step(20, amount=10.0) == "call_and_plan"


def test_disputed_invoices_are_resolved_not_dunned() -> None:
    for days in (-3, 10, 200):
        code, action = collection_steps(
            np.array([days]), np.array([80_000.0]), np.array([True]), LADDER
        )
        assert code[0] == "dispute_resolution"
        assert action[0] == "Resolve the dispute before any dunning"


def test_actions_follow_the_configured_ladder() -> None:
    ladder = CollectionPolicy(
        steps=(
            CollectionStep(code="email", from_days_overdue=3, action="Email"),
            CollectionStep(code="lawyer", from_days_overdue=30, action="Lawyer"),
        ),
        small_amount_last_step="email",
        large_amount=None,
    )
    code, action = collection_steps(
        np.array([2.0, 3.0, 30.0, 30.0]),
        np.array([1e9, 1e3, 1e3, 10.0]),
        np.zeros(4, dtype=bool),
        ladder,
    )
    # 2 days overdue is past the reminder but before the first step: nothing to do yet.
    assert code.tolist() == ["none", "email", "lawyer", "email"]
    assert action.tolist() == ["", "Email", "Lawyer", "Email"]


WARN = EarlyWarningPolicy()


def _features(**overrides: float) -> pd.DataFrame:
    """One quiet customer, with the given columns changed."""
    row = {
        "open_ar": 1000.0,
        "overdue_share": 0.0,
        "dso": 30.0,
        "dso_usual": 30.0,
        "days_late_trend": 0.0,
        "credit_limit": 10_000.0,
        "days_since_last_dispute": NAN,
        "payment_gap_mean_12m": 20.0,
        "days_since_last_payment": 10.0,
    }
    row.update(overrides)
    return pd.DataFrame([row], index=pd.Index(["C1"], name="customer_id"))


def _codes(features: pd.DataFrame, exposure: float | None = None) -> list[str]:
    series = None if exposure is None else pd.Series([exposure], index=features.index)
    return early_warnings(features, WARN, series)["code"].tolist()


def test_quiet_customer_raises_nothing() -> None:
    warnings = early_warnings(_features(), WARN)
    assert warnings.empty
    assert list(warnings.columns) == ["customer_id", "code", "message", "value", "threshold"]


def test_overdue_share_warning_above_the_limit_only() -> None:
    assert _codes(_features(overdue_share=0.30)) == []
    warnings = early_warnings(_features(overdue_share=0.31), WARN)
    assert warnings[["code", "value", "threshold"]].values.tolist() == [
        ["overdue_share_high", 0.31, 0.30]
    ]
    assert warnings["message"][0] == "31% of open receivables is overdue (limit 30%)"


def test_dso_rising_needs_both_the_days_and_the_ratio() -> None:
    # usual 100: threshold max(100 + 30, 150) = 150
    assert _codes(_features(dso=149.9, dso_usual=100.0)) == []
    assert _codes(_features(dso=150.0, dso_usual=100.0)) == ["dso_rising"]
    # usual 10: threshold max(10 + 30, 15) = 40
    assert _codes(_features(dso=39.0, dso_usual=10.0)) == []
    assert _codes(_features(dso=40.0, dso_usual=10.0)) == ["dso_rising"]
    assert _codes(_features(dso=300.0, dso_usual=NAN)) == []  # no history, no comparison


def test_days_late_trend_warning() -> None:
    assert _codes(_features(days_late_trend=10.0)) == []
    assert _codes(_features(days_late_trend=10.5)) == ["days_late_trend_rising"]


def test_utilisation_and_limit_breach_are_distinct() -> None:
    assert _codes(_features(), exposure=9_000) == []
    assert _codes(_features(), exposure=9_001) == ["utilisation_high"]
    assert _codes(_features(), exposure=10_000) == ["utilisation_high"]
    assert _codes(_features(), exposure=10_000.01) == ["limit_breached"]
    assert _codes(_features(credit_limit=NAN), exposure=1e9) == []
    assert _codes(_features(credit_limit=0.0), exposure=1.0) == ["limit_breached"]
    assert _codes(_features(open_ar=10_500.0)) == ["limit_breached"]  # exposure defaults to AR


def test_new_dispute_warning() -> None:
    assert _codes(_features(days_since_last_dispute=30.0)) == ["new_dispute"]
    assert _codes(_features(days_since_last_dispute=31.0)) == []


def test_payment_silence_against_the_usual_gap() -> None:
    # usual gap 20 days: silence threshold max(30, 2 x 20) = 40
    assert _codes(_features(days_since_last_payment=40.0)) == []
    assert _codes(_features(days_since_last_payment=41.0)) == ["payment_silence"]
    # usual gap 5 days: the 30-day floor applies
    assert _codes(_features(payment_gap_mean_12m=5.0, days_since_last_payment=30.0)) == []
    assert _codes(_features(payment_gap_mean_12m=5.0, days_since_last_payment=31.0)) == [
        "payment_silence"
    ]
    # nothing owed: silence is not a warning
    assert _codes(_features(open_ar=0.0, days_since_last_payment=400.0)) == []


def test_warnings_are_sorted_by_customer_then_signal() -> None:
    features = pd.concat(
        [
            _features(days_since_last_dispute=1.0, overdue_share=0.9).rename(index={"C1": "B"}),
            _features(days_late_trend=50.0).rename(index={"C1": "A"}),
        ]
    )
    warnings = early_warnings(features, WARN)
    assert warnings[["customer_id", "code"]].values.tolist() == [
        ["A", "days_late_trend_rising"],
        ["B", "overdue_share_high"],
        ["B", "new_dispute"],
    ]
