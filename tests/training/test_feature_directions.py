"""Every registered direction, walked on a trained default-PD model: moving a feature the way
that raises risk, everything else fixed, never lowers the PD, and a missing value never scores
better than the portfolio median."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.policy import RulesPolicy
from features.registry import CUSTOMER_FEATURES, FEATURES, model_inputs
from ledger.synth import SynthConfig, generate
from models.bundle import ModelBundle
from models.policy import MasterScalePolicy
from models.tasks import Task
from training.pipeline import build_samples, monotone_spec, train_ledger_models
from training.policy import LightGBMParams, TrainingPolicy

DIRECTED = [n for n in model_inputs(CUSTOMER_FEATURES) if FEATURES[n].monotone]
ROWS = 60  # customer-months walked per feature
STEPS = 25  # values per walk: the training quantiles, from the low-risk end to the high-risk end


@pytest.fixture(scope="module")
def trained() -> tuple[ModelBundle, pd.DataFrame]:
    ledger = generate(SynthConfig(customers=900, months=36, seed=5)).ledger
    rules = RulesPolicy()
    # Deeper, lightly penalised trees validated on every customer: a model with many splits on
    # most features, so the walks test the constraints rather than a near-constant model.
    lightgbm = LightGBMParams(
        num_leaves=15,
        min_child_samples=10,
        lambda_l2=1.0,
        max_boost_rounds=60,
        early_stopping_rounds=60,
    )
    training = TrainingPolicy(min_positives=5, valid_holdout_share=0.0, lightgbm=lightgbm)
    (outcome,) = train_ledger_models(
        ledger,
        rules=rules,
        training=training,
        scale=MasterScalePolicy(),
        tracking_uri=None,
        tasks=("default_pd",),
    )
    assert outcome.fit is not None
    X = build_samples(ledger, rules, training, tasks=("default_pd",))[Task.DEFAULT_PD].X
    return outcome.fit.bundle, X


def test_the_model_takes_every_registered_direction(trained) -> None:
    bundle, _ = trained
    assert set(DIRECTED) <= set(bundle.schema.names)
    assert dict(bundle.monotone) == monotone_spec(bundle.schema.names)
    vector = bundle.schema.monotone_vector(bundle.monotone)
    flags = bundle.schema.matrix_names[len(bundle.schema.names) :]
    assert flags
    assert vector[len(bundle.schema.names) :] == [1] * len(flags)
    assert bundle.booster.num_trees() > 20  # a model that learnt something, not a constant
    used = bundle.booster.feature_importance()[: len(bundle.schema.names)] > 0
    walked = [n for n, u in zip(bundle.schema.names, used, strict=True) if u and n in DIRECTED]
    assert len(walked) > len(DIRECTED) // 2  # most directions are exercised by real splits


@pytest.mark.parametrize("name", DIRECTED)
def test_moving_a_feature_towards_risk_never_lowers_the_pd(trained, name: str) -> None:
    bundle, X = trained
    rows = X.sample(ROWS, random_state=1).reset_index(drop=True)
    present = X[name].dropna()
    grid = np.unique(np.quantile(present, np.linspace(0.0, 1.0, STEPS)))
    grid = grid[:: FEATURES[name].monotone]  # towards risk: up for +1, down for -1
    walked = rows.loc[rows.index.repeat(len(grid))].reset_index(drop=True)
    walked[name] = np.tile(grid, ROWS)
    pd_values = bundle.predict_pd(walked).reshape(ROWS, len(grid))
    assert (np.diff(pd_values, axis=1) >= -1e-12).all()


@pytest.mark.parametrize("name", DIRECTED)
def test_missing_never_scores_better_than_the_median(trained, name: str) -> None:
    bundle, X = trained
    rows = X.sample(ROWS, random_state=2).reset_index(drop=True)
    median = bundle.schema.column(name).reference
    assert median is not None
    at_median, missing = rows.copy(), rows.copy()
    at_median[name] = median
    missing[name] = np.nan
    assert (bundle.predict_pd(missing) >= bundle.predict_pd(at_median) - 1e-12).all()


def test_no_reason_says_missing_data_lowers_the_risk(trained) -> None:
    bundle, X = trained
    rows = X.sample(200, random_state=3).reset_index(drop=True)
    rows[["bureau_score", "current_ratio", "leverage", "years_in_business"]] = np.nan
    for explanation in bundle.explain(rows, top_n=5):
        assert all(reason.value is not None for reason in explanation.lowering)
