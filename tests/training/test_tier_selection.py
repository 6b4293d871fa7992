"""The proxy tier serves only where it out-ranks the expert scorecard on validation rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from arscore.policy import Policy
from features.ledger_arrays import LedgerArrays
from ledger.synth import SynthConfig, generate
from models.scoring.common import ScoringModels, ScoringPolicy
from models.scoring.customers import score_customers
from models.tasks import PdBasis
from training.fit import fit_binary_task
from training.policy import LightGBMParams, TrainingPolicy
from training.proxy import expert_pd_of, proxy_pd_sample
from training.selection import select_tier

POLICY = TrainingPolicy()
FAST = TrainingPolicy(
    lightgbm=LightGBMParams(max_boost_rounds=200, early_stopping_rounds=20, learning_rate=0.1)
)


def _validation_rows(seed: int = 0, n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A proxy outcome, a score that ranks it well and one that is mostly noise."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(risk * 2.5 - 2.5)))).astype(float)
    sharp = risk + rng.normal(scale=0.3, size=n)
    blunt = risk + rng.normal(scale=3.0, size=n)
    return y, sharp, blunt


def test_the_expert_scorecard_serves_when_it_ranks_the_validation_rows_better() -> None:
    y, sharp, blunt = _validation_rows()
    expert_pd = 1 / (1 + np.exp(-sharp))  # PDs: higher = riskier, as the scorecard gives them
    choice = select_tier(y, blunt, expert_pd, POLICY, event="60+ days past due")

    assert choice.chosen == PdBasis.EXPERT_SCORECARD
    assert not choice.proxy_serves
    assert choice.valid_auc_proxy == pytest.approx(roc_auc_score(y, blunt))
    assert choice.valid_auc_expert == pytest.approx(roc_auc_score(y, expert_pd))
    assert choice.valid_auc_expert > choice.valid_auc_proxy  # type: ignore[operator]
    assert (choice.rows_valid, choice.events_valid) == (len(y), int(y.sum()))
    assert choice.reason.startswith("expert scorecard serves: the proxy model does not beat it")
    assert "60+ days past due" in choice.reason


def test_the_proxy_model_serves_when_it_ranks_the_validation_rows_better() -> None:
    y, sharp, blunt = _validation_rows()
    choice = select_tier(y, sharp, 1 / (1 + np.exp(-blunt)), POLICY)

    assert choice.chosen == PdBasis.PROXY_MODEL
    assert choice.proxy_serves
    assert choice.valid_auc_proxy == pytest.approx(roc_auc_score(y, sharp))
    assert choice.reason.startswith("proxy model serves: higher validation AUC")
    assert f"proxy model {choice.valid_auc_proxy:.4f}" in choice.reason


def test_ties_and_the_policy_margin_go_to_the_scorecard() -> None:
    y, sharp, _blunt = _validation_rows()
    # The same ranking: a tie, which the simpler scorecard wins.
    tie = select_tier(y, sharp, 1 / (1 + np.exp(-sharp)), POLICY)
    assert tie.valid_auc_proxy == pytest.approx(tie.valid_auc_expert)
    assert tie.chosen == PdBasis.EXPERT_SCORECARD
    # The proxy's lead must exceed training.selection_margin, as LightGBM's over the WOE card.
    fair = sharp + np.random.default_rng(1).normal(scale=1.0, size=len(y))
    lead = roc_auc_score(y, sharp) - roc_auc_score(y, fair)
    assert 0.02 < lead < 0.19
    strict = POLICY.model_copy(update={"selection_margin": lead + 0.01})
    assert select_tier(y, sharp, fair, strict).chosen == PdBasis.EXPERT_SCORECARD
    lenient = POLICY.model_copy(update={"selection_margin": lead - 0.01})
    assert select_tier(y, sharp, fair, lenient).proxy_serves
    assert "by more than" in select_tier(y, sharp, fair, lenient).reason


def test_validation_rows_without_both_outcomes_leave_the_scorecard_serving() -> None:
    y = np.zeros(50)
    choice = select_tier(y, np.linspace(0, 1, 50), np.linspace(0, 1, 50), POLICY)
    assert choice.chosen == PdBasis.EXPERT_SCORECARD
    assert choice.valid_auc_proxy is None
    assert choice.valid_auc_expert is None
    assert "hold 0 events" in choice.reason
    with pytest.raises(ValueError, match="one value per row"):
        select_tier(y, np.zeros(49), np.zeros(50), POLICY)


def test_defaults_on_the_same_rows_are_reported_but_do_not_decide() -> None:
    y, sharp, blunt = _validation_rows()
    # Defaults that the blunt score ranks perfectly: still the proxy event decides.
    defaults = (blunt > np.quantile(blunt, 0.97)).astype(float)
    choice = select_tier(y, sharp, 1 / (1 + np.exp(-blunt)), POLICY, defaults=defaults)
    assert choice.proxy_serves
    assert choice.defaults_valid == int(defaults.sum())
    assert choice.default_auc_expert == pytest.approx(1.0)
    assert choice.default_auc_proxy == pytest.approx(roc_auc_score(defaults, sharp))
    assert "reported, not deciding" in choice.defaults_note()
    assert select_tier(y, sharp, blunt, POLICY).defaults_note() == ""


def test_a_fit_exposes_the_validation_rows_and_scores_its_selection_used(
    make_sample: Callable,
) -> None:
    sample = make_sample(seed=5)
    fit = fit_binary_task(
        "proxy_pd", sample.features, sample.target, times=sample.times, policy=FAST
    )
    assert fit.valid_rows is not None
    assert fit.valid_margin is not None
    assert len(fit.valid_rows) == fit.split.n_valid == fit.selection.rows_valid
    # Validation rows come before the test window and are never the test rows.
    test_start = sample.times.sort_values().iloc[-fit.split.n_test]
    assert (sample.times.iloc[fit.valid_rows] < test_start).all()
    chosen_auc = (
        fit.selection.valid_auc_lightgbm
        if fit.selection.chosen == "lightgbm"
        else fit.selection.valid_auc_scorecard
    )
    y = np.asarray(sample.target, dtype=float)[fit.valid_rows]
    assert roc_auc_score(y, fit.valid_margin) == pytest.approx(chosen_auc)
    # Cross-validated fits have no single validation window.
    no_dates = fit_binary_task("proxy_pd", sample.features, sample.target, policy=FAST)
    assert no_dates.valid_rows is None
    assert no_dates.valid_margin is None


def test_expert_pds_of_sample_rows_are_the_pds_serving_gives_on_those_dates() -> None:
    policy = Policy()
    book = generate(SynthConfig(customers=120, months=24, seed=3)).ledger
    sample = proxy_pd_sample(book, policy, policy.training)
    dates = sorted(pd.Series(sample.dates).unique())[-2:]
    rows = np.flatnonzero(pd.Series(sample.dates).isin(dates).to_numpy())
    assert len(rows) > 50

    ours = expert_pd_of(
        sample, rows, LedgerArrays.from_ledger(book), policy, policy.expert_scorecard
    )

    scoring = ScoringPolicy.from_policy(policy)
    for t in dates:
        served = {
            s.customer_id: s.default_probability
            for s in score_customers(book, pd.Timestamp(t), ScoringModels(), scoring)
        }
        at_t = pd.Series(sample.dates).iloc[rows].to_numpy() == t
        ids = sample.ids.iloc[rows[at_t]]
        assert ours[at_t] == pytest.approx([served[c] for c in ids], rel=1e-6)
