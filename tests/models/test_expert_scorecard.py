"""The expert scorecard: its policy section refuses bad bands with the key named, its points
and PDs match hand-computed cases, its reasons come from its points, and it keeps the credit
directions (more days late or more overdue never lowers the PD; no data is never better than
the neutral band) - on day one too, for an applicant with no history."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from arscore.policy import Policy, PolicyError, policy_from_dict
from features.registry import FEATURES, render_value
from models.expert_scorecard import factor_points, pd_of_points, score_expert
from models.policy import DEFAULT_EXPERT_FACTORS, ExpertScorecardPolicy
from models.reasons import texts_from_registry
from models.scoring.applicants import score_applicant
from models.scoring.common import ScoringPolicy
from models.tasks import PdBasis

TEXTS = texts_from_registry(FEATURES, render_value)

# Two factors, small enough to compute by hand.
TWO_FACTORS = ExpertScorecardPolicy.model_validate(
    {
        "portfolio_default_rate": 0.02,
        "points_to_double_odds": 20,
        "factors": {
            "days_late_mean_12m": {
                "edges": [2, 7, 15, 30],
                "points": [8, 0, -10, -20, -35],
                "missing_points": -4,
            },
            "tenure_days": {
                "edges": [182, 365, 730, 1825],
                "points": [-10, -5, 0, 3, 6],
                "missing_points": -10,
            },
        },
    }
)
ODDS = 0.02 / 0.98  # the portfolio's odds of default, at 0 points


def _pd(odds: float) -> float:
    return odds / (1.0 + odds)


def _frame(**columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(columns, index=[f"C{i}" for i in range(len(next(iter(columns.values()))))])


def _problems(section: dict) -> str:
    with pytest.raises(PolicyError) as caught:
        policy_from_dict({"expert_scorecard": section})
    return str(caught.value)


# --- the policy section --------------------------------------------------------------------


def test_default_scorecard_is_the_documented_one() -> None:
    scorecard = Policy().expert_scorecard
    assert scorecard.portfolio_default_rate == 0.02
    assert scorecard.points_to_double_odds == 20.0
    assert scorecard.factors == dict(DEFAULT_EXPERT_FACTORS)
    assert ScoringPolicy.from_policy(Policy()).expert_scorecard == scorecard


@pytest.mark.parametrize(
    ("factor", "key", "message"),
    [
        ({"edges": [7, 2], "points": [0, -1, -2]}, "edges", "strictly increasing"),
        ({"edges": [2, 2], "points": [0, -1, -2]}, "edges", "strictly increasing"),
        ({"edges": [], "points": [0]}, "edges", "at least one edge"),
        ({"edges": [2, 7], "points": [0, -1]}, ": points", "one entry per band"),
        ({"edges": [2, 7], "points": [3, 1, -2]}, "points", "neutral band scoring 0"),
        (
            {"edges": [2, 7], "points": [0, -1, -2], "missing_points": 1},
            "missing_points",
            "less than or equal to 0",
        ),
        ({"edges": [2, 7], "points": [0, -1, -2], "bands": 3}, "bands", "unknown key"),
    ],
)
def test_bad_bands_are_refused_with_the_key_named(factor: dict, key: str, message: str) -> None:
    problems = _problems({"factors": {"days_late_mean_12m": factor}})
    where = "expert_scorecard.factors.days_late_mean_12m" + (key if key[0] == ":" else f".{key}")
    assert where in problems
    assert message in problems


def test_points_against_the_registry_direction_are_refused() -> None:
    # More days late earning points would make a later payer safer.
    problems = _problems(
        {"factors": {"days_late_mean_12m": {"edges": [2, 7], "points": [0, -5, 5]}}}
    )
    assert "expert_scorecard.factors: days_late_mean_12m.points must not rise" in problems


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("days_late_avg", "not a customer feature of the registry"),
        ("invoice_relative_size", "not a customer feature of the registry"),
        ("industry", "categorical"),
    ],
)
def test_factor_must_be_a_numeric_customer_feature(name: str, message: str) -> None:
    problems = _problems({"factors": {name: {"edges": [1], "points": [0, -1]}}})
    assert "expert_scorecard.factors" in problems
    assert name in problems
    assert message in problems


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"portfolio_default_rate": 0}, "portfolio_default_rate"),
        ({"portfolio_default_rate": 1}, "portfolio_default_rate"),
        ({"points_to_double_odds": 0}, "points_to_double_odds"),
        ({"factors": {}}, "factors"),
        ({"portfolio_rate": 0.02}, "portfolio_rate"),
    ],
)
def test_bad_calibration_is_refused_with_the_key_named(section: dict, key: str) -> None:
    assert f"expert_scorecard.{key}" in _problems(section)


# --- points and PD: hand-computed ------------------------------------------------------------


def test_points_and_pd_of_hand_computed_customers() -> None:
    features = _frame(
        days_late_mean_12m=[20.0, np.nan, 2.0, 7.0],
        tenure_days=[400.0, 2000.0, 182.0, 0.0],
    )
    points = factor_points(features, TWO_FACTORS)
    # 20 days late: (15, 30] -> -20; 400 days of tenure: (365, 730], neutral -> 0.
    # no payment record: missing -> -4; 2,000 days: above 1,825 -> +6.
    # exactly on an edge belongs to the band below: 2 days -> +8, 182 days -> -10.
    # 7 days -> (2, 7], neutral -> 0; a brand-new account: up to 182 -> -10.
    assert points.to_dict(orient="list") == {
        "days_late_mean_12m": [-20.0, -4.0, 8.0, 0.0],
        "tenure_days": [0.0, 6.0, -10.0, -10.0],
    }
    scores = score_expert(features, TWO_FACTORS)
    assert scores.points.tolist() == [-20.0, 2.0, -2.0, -10.0]
    expected = [
        _pd(ODDS * 2.0),  # -20 points: the odds double -> 3.92%
        _pd(ODDS * 2.0**-0.1),  # +2 points -> 1.87%
        _pd(ODDS * 2.0**0.1),  # -2 points -> 2.14%
        _pd(ODDS * math.sqrt(2.0)),  # -10 points -> 2.81%
    ]
    assert scores.pd == pytest.approx(expected, rel=1e-12)
    assert scores.pd[0] == pytest.approx(0.04 / 1.02, rel=1e-12)  # odds 0.04 : 0.98


def test_a_typical_customer_gets_the_portfolio_default_rate() -> None:
    assert pd_of_points(np.array([0.0]), TWO_FACTORS)[0] == pytest.approx(0.02, rel=1e-12)
    assert TWO_FACTORS.intercept == pytest.approx(math.log(0.02 / 0.98))
    assert TWO_FACTORS.slope == pytest.approx(-math.log(2.0) / 20.0)


# --- reasons from points -----------------------------------------------------------------------


def test_reasons_are_the_factors_furthest_from_neutral_in_the_registry_wording() -> None:
    features = _frame(days_late_mean_12m=[20.0, np.nan], tenure_days=[400.0, 2000.0])
    late, unknown = score_expert(features, TWO_FACTORS, top_n=3, texts=TEXTS).explanations
    # The late payer: days late raise the risk by 20 points' worth; tenure is neutral, no reason.
    assert late.lowering == ()
    (reason,) = late.raising
    assert reason.feature == "days_late_mean_12m"
    assert reason.value == 20.0
    assert reason.contribution == pytest.approx(math.log(2.0))
    assert reason.text == TEXTS["days_late_mean_12m"].describe(20.0)
    assert reason.text.endswith(": 20 days")
    assert late.base_value == pytest.approx(math.log(0.02 / 0.98))
    # No payment record raises it a little (-4 points); a long tenure lowers it (+6 points).
    assert [r.feature for r in unknown.raising] == ["days_late_mean_12m"]
    assert unknown.raising[0].value is None
    assert unknown.raising[0].text.endswith("no data")
    assert unknown.raising[0].contribution == pytest.approx(4 * math.log(2.0) / 20)
    assert [r.feature for r in unknown.lowering] == ["tenure_days"]
    assert unknown.lowering[0].contribution == pytest.approx(-6 * math.log(2.0) / 20)


def test_reasons_are_ordered_by_points_and_capped_at_top_n() -> None:
    policy = Policy().expert_scorecard
    features = _frame(
        **{name: [np.nan] for name in policy.factors},
    )
    features["max_days_overdue"] = [120.0]  # -45
    features["days_late_mean_12m"] = [40.0]  # -35
    features["overdue_share"] = [0.2]  # -8
    features["tenure_days"] = [3000.0]  # +6
    (explanation,) = score_expert(features, policy, top_n=2, texts=TEXTS).explanations
    assert [r.feature for r in explanation.raising] == ["max_days_overdue", "days_late_mean_12m"]
    assert [r.feature for r in explanation.lowering] == ["tenure_days"]


# --- directions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["days_late_mean_12m", "payment_delay_recent", "overdue_share", "max_days_overdue"]
)
def test_more_days_late_or_overdue_never_lowers_the_pd(name: str) -> None:
    policy = Policy().expert_scorecard
    grid = np.concatenate([[-30.0, -1.0, 0.0], np.linspace(0.0, 1.0, 21), np.arange(0, 400, 3)])
    grid = np.unique(grid if name != "overdue_share" else np.clip(grid, 0.0, 1.0))
    features = pd.DataFrame({n: np.full(len(grid), np.nan) for n in policy.factors})
    features[name] = grid
    pd_values = score_expert(features, policy).pd
    assert (np.diff(pd_values) >= 0).all()
    assert pd_values[-1] > pd_values[0]


def test_every_registered_direction_is_kept_by_the_default_factors() -> None:
    for name, factor in Policy().expert_scorecard.factors.items():
        steps = np.diff(factor.points)
        if FEATURES[name].monotone == 1:
            assert (steps <= 0).all(), name
        elif FEATURES[name].monotone == -1:
            assert (steps >= 0).all(), name


def test_no_data_is_never_better_than_the_neutral_band() -> None:
    policy = Policy().expert_scorecard
    neutral = pd.DataFrame(
        # A value in each factor's neutral band: the upper edge of the band that scores 0.
        {
            name: [
                factor.edges[factor.points.index(0.0)]
                if factor.points.index(0.0) < len(factor.edges)
                else factor.edges[-1] + 1.0
            ]
            for name, factor in policy.factors.items()
        }
    )
    assert factor_points(neutral, policy).to_numpy().tolist() == [[0.0] * len(policy.factors)]
    base = score_expert(neutral, policy).pd[0]
    assert base == pytest.approx(policy.portfolio_default_rate)
    for name in policy.factors:
        unknown = neutral.copy()
        unknown[name] = np.nan
        assert score_expert(unknown, policy).pd[0] >= base, name


def test_a_missing_feature_column_is_named() -> None:
    with pytest.raises(ValueError, match="tenure_days"):
        factor_points(_frame(days_late_mean_12m=[1.0]), TWO_FACTORS)


# --- day one: an applicant with only a profile --------------------------------------------------


def test_applicant_without_an_onboarding_model_is_scored_by_the_scorecard() -> None:
    policy = ScoringPolicy.from_policy(Policy())
    profile = {
        "industry": "retail",
        "country": "DE",
        "payment_terms_days": 30,
        "requested_limit": 25_000.0,
        "annual_revenue": 2_000_000.0,
        "total_assets": 1_000_000.0,
        "total_liabilities": 700_000.0,  # leverage 0.7: -5
        "bureau_score": 680.0,  # (650, 700]: +10
    }
    result = score_applicant(profile, "2026-06-30", None, policy, texts=TEXTS)
    assert result.pd_basis == PdBasis.EXPERT_SCORECARD
    assert result.to_dict()["pd_basis"] == "expert_scorecard"
    # Day one: tenure 0 (-10), no payment record (-4 - 2 - 2), no invoices yet (-4), no current
    # ratio reported (-2), nothing open or overdue and no trend (0), leverage -5, bureau +10.
    points = -10 - 4 - 2 - 2 - 4 - 2 - 5 + 10
    assert result.default_probability == pytest.approx(_pd(ODDS * 2.0 ** (-points / 20)))
    assert 1 <= result.risk_grade <= policy.master_scale.n_grades
    assert result.recommended_credit_limit["amount"] <= 25_000
    assert result.reasons
    features = {r["feature"] for r in result.reasons}
    assert {"tenure_days", "bureau_score"} <= features
