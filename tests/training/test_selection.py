"""The deployed model is the better of LightGBM and the WOE scorecard on validation rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.bundle import ModelBundle
from training.fit import fit_binary_task
from training.policy import LightGBMParams, TrainingPolicy
from training.selection import select_model

FAST = TrainingPolicy(
    lightgbm=LightGBMParams(max_boost_rounds=300, early_stopping_rounds=30, learning_rate=0.1),
    cv_folds=3,
)


def test_lightgbm_must_beat_the_scorecard_on_validation_to_be_chosen() -> None:
    assert select_model(0.71, 0.70, 500, FAST).chosen == "lightgbm"
    assert select_model(0.70, 0.70, 500, FAST).chosen == "woe_scorecard"  # ties: the simpler
    assert select_model(0.584, 0.610, 500, FAST).chosen == "woe_scorecard"
    margin = FAST.model_copy(update={"selection_margin": 0.02})
    assert select_model(0.71, 0.70, 500, margin).chosen == "woe_scorecard"
    forced = FAST.model_copy(update={"model_selection": "lightgbm"})
    assert select_model(0.60, 0.70, 500, forced).chosen == "lightgbm"


def test_a_model_that_cannot_be_calibrated_is_never_chosen() -> None:
    choice = select_model(None, 0.61, 300, FAST, {"lightgbm": "learned nothing usable"})
    assert choice.chosen == "woe_scorecard"
    assert "learned nothing usable" in choice.reason
    forced = FAST.model_copy(update={"model_selection": "lightgbm"})
    assert select_model(0.7, None, 300, forced, {"woe_scorecard": "x"}).chosen == "lightgbm"


def test_the_choice_never_looks_at_the_test_window(make_sample: Callable) -> None:
    sample = make_sample(seed=2)
    fit = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=FAST
    )
    test_start = sample.times.sort_values().iloc[-fit.split.n_test]
    flipped = np.where(sample.times >= test_start, 1 - sample.target, sample.target)
    other = fit_binary_task("default_pd", sample.features, flipped, times=sample.times, policy=FAST)
    assert other.selection == fit.selection
    assert other.metrics != fit.metrics
    assert fit.bundle.estimator == fit.evaluated.estimator == fit.selection.chosen
    assert fit.bundle.info["model_selection"]["chosen"] == fit.selection.chosen
    assert "validation AUC LightGBM" in fit.selection.reason
    chosen = fit.lightgbm_metrics if fit.selection.chosen == "lightgbm" else fit.baseline_metrics
    assert fit.metrics == chosen


@pytest.mark.parametrize("dated", [True, False])
def test_a_chosen_scorecard_is_refitted_and_served_like_a_booster(
    make_sample: Callable, tmp_path: Path, dated: bool
) -> None:
    sample = make_sample(seed=3, n=1500)
    policy = FAST.model_copy(update={"model_selection": "woe_scorecard"})
    fit = fit_binary_task(
        "default_pd",
        sample.features,
        sample.target,
        times=sample.times if dated else None,
        monotone={"days_late": 1},
        fill_missing=["days_late"],
        policy=policy,
    )
    assert fit.bundle.estimator == "woe_scorecard"
    assert fit.metrics == fit.baseline_metrics
    assert fit.lightgbm_metrics["auc"] > 0.5  # LightGBM still reported beside it
    if dated:
        assert fit.bundle is not fit.evaluated
        assert "WOE scorecard refitted on all" in fit.bundle.info["deployed"]
    loaded = ModelBundle.load(fit.bundle.save(tmp_path / "bundle"))
    rows = sample.features.head(20)
    np.testing.assert_allclose(loaded.predict_pd(rows), fit.bundle.predict_pd(rows))
    explanations = loaded.explain(rows, top_n=2)
    assert {r.feature for e in explanations for r in e.raising} <= set(rows.columns)
