"""The generic trainer: monotone constraints, calibration, baselines, reproducibility."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.errors import InsufficientDataError, InvalidInputError
from training.fit import BinaryFit, fit_binary_task
from training.fit_regression import fit_regression_task
from training.inputs import binary_target
from training.policy import LightGBMParams, TrainingPolicy

# A policy that fits in well under a second per model on the test samples.
FAST = TrainingPolicy(
    lightgbm=LightGBMParams(max_boost_rounds=300, early_stopping_rounds=30, learning_rate=0.1),
    cv_folds=3,
)


def _pd_along_days_late(fit: BinaryFit, base: pd.DataFrame) -> np.ndarray:
    """PD of every base row as days late runs from 0 to 150 (rows × grid)."""
    grid = np.linspace(0.0, 150.0, 61)
    curves = []
    for _, row in base.iterrows():
        frame = pd.DataFrame([row.to_dict()] * len(grid))
        frame["days_late"] = grid
        curves.append(fit.bundle.predict_pd(frame))
    return np.asarray(curves)


def test_more_days_late_never_lowers_pd_with_the_monotone_constraint(
    make_sample: Callable,
) -> None:
    sample = make_sample(seed=1, dip=True)
    fit = fit_binary_task(
        "default_pd",
        sample.features,
        sample.target,
        times=sample.times,
        monotone={"days_late": 1},
        policy=FAST,
    )
    curves = _pd_along_days_late(fit, sample.features.iloc[:40])
    assert (np.diff(curves, axis=1) >= 0).all()
    assert fit.bundle.monotone == {"days_late": 1}


def test_without_the_constraint_the_model_follows_the_dip(make_sample: Callable) -> None:
    # The check above has teeth: on the same data an unconstrained model does lower the PD.
    sample = make_sample(seed=1, dip=True)
    fit = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=FAST
    )
    curves = _pd_along_days_late(fit, sample.features.iloc[:40])
    assert (np.diff(curves, axis=1) < -1e-4).any()


def test_out_of_time_fit_reports_model_and_baseline_on_the_latest_rows(
    make_sample: Callable,
) -> None:
    sample = make_sample(seed=2)
    fit = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=FAST
    )
    assert fit.split.method == "out-of-time"
    latest = sample.times > sample.times.max() - pd.DateOffset(months=FAST.oot_months)
    assert fit.split.n_test == int(latest.sum())
    assert fit.test_target.tolist() == sample.target[latest.to_numpy()].tolist()
    assert fit.metrics["n"] == latest.sum()
    # Both models come close to the ranking of the true PDs on the same rows.
    best_possible = roc_auc_score(fit.test_target, sample.true_pd[latest.to_numpy()])
    assert fit.metrics["auc"] > best_possible - 0.05
    assert fit.baseline_metrics["auc"] > best_possible - 0.05
    assert fit.metrics["gini"] == pytest.approx(2 * fit.metrics["auc"] - 1)
    for key in ("ks", "brier", "log_loss", "pr_auc", "brier_uncalibrated"):
        assert key in fit.metrics
    assert fit.grades["n"].sum() == fit.split.n_test
    assert len(fit.calibration) == 10


def test_customer_rows_validate_the_booster_only_on_customers_it_never_fitted(
    make_sample: Callable,
) -> None:
    sample = make_sample(seed=2)
    customers = pd.Series([f"C{i % 400:03d}" for i in range(len(sample.target))])
    fits = {
        share: fit_binary_task(
            "default_pd",
            sample.features,
            sample.target,
            times=sample.times,
            groups=customers,
            # Any event at all validates here: this pins the mechanics of validating on unseen
            # customers, not the small-book fallback (min_valid_events, test_split.py).
            policy=FAST.model_copy(update={"valid_holdout_share": share, "min_valid_events": 1}),
        )
        for share in (0.0, 0.2)
    }
    everyone, unseen = fits[0.0], fits[0.2]
    assert "validated on 20% of the validation window's customers" in unseen.split.description
    assert "validated on" not in everyone.split.description
    assert unseen.split.n_valid < everyone.split.n_valid / 2
    assert unseen.split.n_fit < everyone.split.n_fit
    # Same test rows; the scorecard is fitted on LightGBM's fit rows (it used to learn from
    # every row before the test window) so that both are chosen between on unseen rows.
    assert unseen.split.n_test == everyone.split.n_test
    assert unseen.test_target.tolist() == everyone.test_target.tolist()
    for fit in (unseen, everyone):
        fitted_rows = {sum(b.counts) for b in fit.scorecard.bins_.values()}
        assert fitted_rows == {fit.split.n_fit}


def test_expected_days_late_validates_on_unseen_customers_too(make_sample: Callable) -> None:
    sample = make_sample(seed=6)
    customers = pd.Series([f"C{i % 400:03d}" for i in range(len(sample.target))])
    fit = fit_regression_task(
        "late_payment_days",
        sample.features,
        sample.features["days_late"],
        times=sample.times,
        groups=customers,
        policy=FAST,
    )
    assert "validated on 20% of the validation window's customers" in fit.split.description


def test_without_dates_the_metrics_are_out_of_fold(make_sample: Callable) -> None:
    sample = make_sample(seed=3, n=1500)
    fit = fit_binary_task("onboarding_pd", sample.features, sample.target, policy=FAST)
    assert fit.split.method == "stratified-cv"
    assert "not out-of-time" in fit.split.description
    assert fit.split.n_test == 1500
    assert len(fit.fold_aucs) == 3
    assert fit.metrics["auc"] > roc_auc_score(sample.target, sample.true_pd) - 0.05


def test_same_data_and_seed_give_the_same_model_and_metrics(make_sample: Callable) -> None:
    sample = make_sample(seed=4, n=1000)
    boosted = FAST.model_copy(update={"model_selection": "lightgbm"})  # compares boosters
    runs = [
        fit_binary_task("onboarding_pd", sample.features, sample.target, policy=boosted)
        for _ in range(2)
    ]
    assert runs[0].metrics == runs[1].metrics
    assert runs[0].baseline_metrics == runs[1].baseline_metrics
    assert runs[0].fingerprint == runs[1].fingerprint
    assert runs[0].bundle.booster.model_to_string() == runs[1].bundle.booster.model_to_string()
    other_seed = fit_binary_task(
        "onboarding_pd",
        sample.features,
        sample.target,
        policy=boosted.model_copy(update={"seed": 7}),
    )
    assert other_seed.bundle.booster.model_to_string() != runs[0].bundle.booster.model_to_string()


def test_too_few_defaults_skips_the_task_with_a_clear_message(make_sample: Callable) -> None:
    sample = make_sample(seed=5, n=400)
    y = np.zeros(400, dtype=int)
    y[:12] = 1
    with pytest.raises(InsufficientDataError, match=r"task 'default_pd' skipped: 12 events"):
        fit_binary_task("default_pd", sample.features, y, policy=FAST)


def test_no_feature_columns_skips_the_task(make_sample: Callable) -> None:
    sample = make_sample(seed=5, n=400)
    with pytest.raises(InsufficientDataError, match="no usable feature columns"):
        fit_binary_task("default_pd", sample.features[[]], sample.target, policy=FAST)


def test_outcome_must_be_zero_or_one() -> None:
    with pytest.raises(InvalidInputError, match=r"rows 2 hold values such as 2"):
        binary_target(pd.Series([0, 1, 2, 0]))
    with pytest.raises(InvalidInputError, match=r"empty in 1 rows \(rows 1\)"):
        binary_target(pd.Series([0.0, None, 1.0]))
    assert binary_target([True, False]).tolist() == [1.0, 0.0]


def test_expected_days_late_regression_beats_the_average(make_sample: Callable) -> None:
    sample = make_sample(seed=6)
    rng = np.random.default_rng(0)
    days = 0.6 * sample.features["days_late"] + 10 * sample.features["utilisation"]
    days = np.maximum(days + rng.normal(0, 3, len(days)), 0)
    fit = fit_regression_task(
        "late_payment_days",
        sample.features,
        days,
        times=sample.times,
        monotone={"days_late": 1},
        policy=FAST,
    )
    naive_mae = np.mean(np.abs(fit.test_target - fit.test_target.mean()))
    assert fit.metrics["mae"] < naive_mae / 2
    assert fit.baseline_metrics["mae"] < naive_mae
    assert fit.bundle.kind == "regression"
    assert fit.bundle.predict(sample.features.head(3)).shape == (3,)


def test_deployed_model_is_refitted_on_every_row_with_the_evaluated_trees(
    make_sample: Callable,
) -> None:
    sample = make_sample(seed=2)
    boosted = FAST.model_copy(update={"model_selection": "lightgbm"})  # counts trees
    fit = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=boosted
    )
    assert fit.bundle is not fit.evaluated
    assert fit.evaluated.info["role"] == "evaluated"
    assert fit.bundle.info["role"] == "deployed"
    assert fit.bundle.info["rows_deployed"] == len(sample.target)
    assert fit.bundle.booster.num_trees() == fit.evaluated.booster.num_trees()
    # The metrics are the evaluated model's, on its test rows; the refit has seen those rows.
    assert fit.bundle.metrics == fit.metrics
    evaluated_auc = roc_auc_score(fit.test_target, fit.evaluated.predict_pd(fit.test_features))
    assert evaluated_auc == pytest.approx(fit.metrics["auc"])
    deployed = fit.bundle.predict_pd(fit.test_features)
    assert not np.allclose(deployed, fit.test_pd)
    again = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=boosted
    )
    assert again.bundle.predict_pd(fit.test_features) == pytest.approx(deployed)


def test_without_refit_the_evaluated_model_is_deployed(make_sample: Callable) -> None:
    sample = make_sample(seed=2)
    policy = FAST.model_copy(update={"refit_deployed": False})
    fit = fit_binary_task(
        "default_pd", sample.features, sample.target, times=sample.times, policy=policy
    )
    assert fit.bundle is fit.evaluated
    assert fit.bundle.predict_pd(fit.test_features) == pytest.approx(fit.test_pd)
