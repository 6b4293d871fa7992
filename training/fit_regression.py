"""Fit one quantity task (expected days late): LightGBM regression beside a binned linear
baseline, both tested by MAE on the same rows.

Same splits as the binary trainer: out of time with dates, shuffled k-fold without (then the
deployed model is refitted on all rows with the folds' median number of trees). Least squares,
so the model estimates the mean number of days: an expectation, as a cash forecast needs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models.bundle import ModelBundle
from models.errors import InsufficientDataError
from models.feature_schema import FeatureSchema
from models.metrics import regression_metrics
from models.scorecard import BinnedRegressionBaseline
from training.boosting import raw_score, train_booster
from training.fingerprint import data_fingerprint
from training.inputs import (
    SplitSummary,
    check_frame,
    mean_metrics,
    numeric_target,
    training_info,
)
from training.policy import TrainingPolicy
from training.split import policy_time_split, random_folds


@dataclass(frozen=True)
class RegressionFit:
    """A fitted quantity task; ``metrics`` and ``baseline_metrics`` are MAE-based."""

    bundle: ModelBundle
    # The model whose test metrics these are; ``bundle`` unless the deployed model was refitted
    # on every row after an out-of-time evaluation (``policy.refit_deployed``).
    evaluated: ModelBundle
    baseline: BinnedRegressionBaseline
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    split: SplitSummary
    test_features: pd.DataFrame
    test_target: NDArray[np.float64]
    test_prediction: NDArray[np.float64]
    test_baseline_prediction: NDArray[np.float64]
    fold_maes: tuple[float, ...]
    best_iterations: tuple[int, ...]
    fingerprint: str
    fit_seconds: float


def fit_regression_task(
    task: str,
    features: pd.DataFrame,
    target: pd.Series | Sequence[float] | NDArray[np.floating],
    *,
    times: pd.Series | None = None,
    groups: pd.Series | None = None,
    monotone: Mapping[str, int] | None = None,
    categorical: Sequence[str] | None = None,
    policy: TrainingPolicy | None = None,
) -> RegressionFit:
    """Fit LightGBM regression and the binned linear baseline and report MAE on test rows."""
    policy = policy or TrainingPolicy()
    started = time.perf_counter()
    y = numeric_target(target)
    frame = check_frame(task, features, len(y), times)
    if len(y) < policy.min_positives:
        raise InsufficientDataError(
            f"task {task!r} skipped: {len(y)} rows; the policy needs at least "
            f"{policy.min_positives} (training.min_positives)"
        )
    schema = FeatureSchema.infer(frame, categorical)
    matrix = schema.to_matrix(frame)
    constraints = schema.monotone_vector(monotone)
    dates = None if times is None else pd.Series(times).reset_index(drop=True)
    fingerprint = data_fingerprint(frame, y, dates)

    def boost(
        fit: NDArray[np.int64], valid: NDArray[np.int64] | None, rounds: int | None = None
    ) -> tuple[lgb.Booster, int]:
        return train_booster(
            (matrix[fit], y[fit]),
            None if valid is None else (matrix[valid], y[valid]),
            schema,
            constraints,
            policy,
            "regression",
            rounds,
        )

    def baseline_model() -> BinnedRegressionBaseline:
        p = policy.scorecard
        return BinnedRegressionBaseline(max_bins=p.max_bins, min_bin_share=p.min_bin_share)

    if dates is not None:
        window, boosted = policy_time_split(dates, y, policy, groups, binary=False)
        booster, best = boost(boosted.train, boosted.valid)
        seen = np.concatenate([window.train, window.valid])
        baseline = baseline_model().fit(frame.iloc[seen], y[seen])
        test_rows = window.test
        test_pred = raw_score(booster, matrix[test_rows])
        test_base = baseline.predict(frame.iloc[test_rows])
        metrics = regression_metrics(y[test_rows], test_pred)
        baseline_metrics = regression_metrics(y[test_rows], test_base)
        split = SplitSummary(
            "out-of-time",
            boosted.describe(),
            len(boosted.train),
            len(boosted.valid),
            len(test_rows),
        )
        fold_maes: tuple[float, ...] = (metrics["mae"],)
        iterations: tuple[int, ...] = (best,)
        refit_until: pd.Timestamp | None = window.last_date if policy.refit_deployed else None
    else:
        folds = random_folds(
            len(y), policy.cv_folds, policy.cv_repeats, policy.valid_share, policy.seed
        )
        shape = (policy.cv_repeats, len(y))
        oof, oof_base = np.empty(shape), np.empty(shape)
        maes: list[float] = []
        bests: list[int] = []
        for fold in folds:
            fold_booster, fold_best = boost(fold.fit, fold.valid)
            oof[fold.repeat, fold.test] = raw_score(fold_booster, matrix[fold.test])
            seen = np.concatenate([fold.fit, fold.valid])
            fold_baseline = baseline_model().fit(frame.iloc[seen], y[seen])
            oof_base[fold.repeat, fold.test] = fold_baseline.predict(frame.iloc[fold.test])
            maes.append(regression_metrics(y[fold.test], oof[fold.repeat, fold.test])["mae"])
            bests.append(fold_best)
        repeats = range(policy.cv_repeats)
        metrics = mean_metrics([regression_metrics(y, oof[r]) for r in repeats])
        baseline_metrics = mean_metrics([regression_metrics(y, oof_base[r]) for r in repeats])
        test_rows = np.arange(len(y))
        booster, best = boost(test_rows, None, max(1, int(np.median(bests))))
        baseline = baseline_model().fit(frame, y)
        test_pred, test_base = oof[0], oof_base[0]
        fold_maes, iterations = tuple(maes), tuple(bests)
        refit_until = None
        split = SplitSummary(
            "random-cv",
            f"shuffled {policy.cv_folds}-fold cross-validation (no dates: out-of-fold metrics)",
            len(folds[0].fit),
            len(folds[0].valid),
            len(y),
            policy.cv_folds,
            policy.cv_repeats,
        )
    evaluated = ModelBundle(
        task=task,
        kind="regression",
        booster=booster,
        schema=schema,
        calibrator=None,
        monotone={k: int(v) for k, v in (monotone or {}).items()},
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        master_scale=None,
        info=training_info(
            split,
            len(y),
            fingerprint,
            policy,
            best,
            {"fold_maes": list(fold_maes), "role": "evaluated"},
        ),
    )
    bundle = evaluated
    if refit_until is not None:
        # The deployed model knows the latest months too: same recipe and number of trees.
        everyone = np.arange(len(y))
        deployed, trees = boost(everyone, None, best)
        note = (
            f"refitted on all {len(y):,} rows up to {refit_until.date()} with the evaluated "
            f"{trees} trees; metrics are the evaluated model's"
        )
        info = {**evaluated.info, "role": "deployed", "deployed": note, "rows_deployed": len(y)}
        bundle = replace(evaluated, booster=deployed, info=info)
    return RegressionFit(
        bundle=bundle,
        evaluated=evaluated,
        baseline=baseline,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        split=split,
        test_features=frame.iloc[test_rows].reset_index(drop=True),
        test_target=y[test_rows],
        test_prediction=test_pred,
        test_baseline_prediction=test_base,
        fold_maes=fold_maes,
        best_iterations=iterations,
        fingerprint=fingerprint,
        fit_seconds=time.perf_counter() - started,
    )
