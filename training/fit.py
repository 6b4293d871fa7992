"""Fit one binary task from a feature table: LightGBM, its calibrator, the WOE-scorecard baseline
and the test metrics of both.

The trainer is generic: the tabular onboarding model, and later the ledger-based default-PD and
late-payment models, all come through :func:`fit_binary_task`. It sees only features, outcomes
and optional dates.

With dates the model is fitted on the oldest rows, early-stopped and calibrated on the next
window and tested on the latest months (windows that shrink with a short history; see
:func:`training.split.window_months`). With customer ids as well, it is early-stopped and
calibrated only on customers it was never fitted on (``valid_holdout_share``), as it is tested on
customers it never saw. That evaluated model's test metrics are the task's metrics; the deployed
model is then refitted on every row up to the data end with the evaluated number of trees
(``refit_deployed``), so it knows the latest months, and calibrated on the evaluated booster's
raw scores of the rows it never fitted (validation and test). Without dates,
stratified cross-validation gives out-of-fold test predictions (each fold early-stopped and
calibrated on a hold-out inside its training part); the deployed model is then refitted on all
rows with the folds' median number of trees, and its calibrator is fitted on the out-of-fold
raw scores (scikit-learn's ``CalibratedClassifierCV(ensemble=False)`` recipe).
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
from models.calibration import IsotonicCalibrator, PlattCalibrator, make_calibrator
from models.feature_schema import FeatureSchema
from models.metrics import binary_metrics, calibration_table, grade_calibration
from models.policy import MasterScalePolicy
from models.scorecard import WoeScorecard
from training.boosting import raw_score, train_booster
from training.fingerprint import data_fingerprint
from training.inputs import (
    SplitSummary,
    binary_target,
    check_events,
    check_frame,
    mean_metrics,
    training_info,
)
from training.policy import TrainingPolicy
from training.split import policy_time_split, stratified_folds

Calibrator = PlattCalibrator | IsotonicCalibrator


@dataclass(frozen=True)
class BinaryFit:
    """A fitted binary task: the deployable bundle and everything its report needs.

    ``bundle`` is the model to deploy; ``evaluated`` the model whose test metrics these are
    (the same object unless the deployed model was refitted on every row after an out-of-time
    evaluation). ``metrics`` are the LightGBM model's (calibrated PD) on the out-of-time test
    window or, for cross-validation, on the out-of-fold predictions (averaged over repeats);
    ``baseline_metrics`` are the WOE scorecard's on the same rows. ``test_*`` hold the test
    rows and predictions (first repeat) for plots and champion comparison.
    """

    bundle: ModelBundle
    evaluated: ModelBundle
    scorecard: WoeScorecard
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    calibration: pd.DataFrame
    grades: pd.DataFrame
    split: SplitSummary
    test_features: pd.DataFrame
    test_target: NDArray[np.float64]
    test_pd: NDArray[np.float64]
    test_baseline_pd: NDArray[np.float64]
    fold_aucs: tuple[float, ...]
    best_iterations: tuple[int, ...]
    fingerprint: str
    fit_seconds: float


@dataclass(frozen=True)
class _Problem:
    """One binary task, checked and encoded once, shared by both ways of testing it."""

    frame: pd.DataFrame
    matrix: NDArray[np.float64]
    y: NDArray[np.float64]
    schema: FeatureSchema
    constraints: list[int]
    policy: TrainingPolicy
    scale: MasterScalePolicy

    def calibrator(self) -> Calibrator:
        return make_calibrator(self.policy.calibration, self.policy.pd_floor)

    def scorecard(self) -> WoeScorecard:
        p, s = self.policy.scorecard, self.scale
        return WoeScorecard(
            max_bins=p.max_bins,
            min_bin_share=p.min_bin_share,
            min_information_value=p.min_information_value,
            c=p.c,
            base_points=s.base_points,
            base_odds=s.base_odds,
            points_to_double_odds=s.points_to_double_odds,
        )

    def boost(
        self, fit: NDArray[np.int64], valid: NDArray[np.int64] | None, rounds: int | None = None
    ) -> tuple[lgb.Booster, int]:
        m, y = self.matrix, self.y
        return train_booster(
            (m[fit], y[fit]),
            None if valid is None else (m[valid], y[valid]),
            self.schema,
            self.constraints,
            self.policy,
            "binary",
            rounds,
        )


@dataclass(frozen=True)
class _Evaluation:
    """What a way of testing produces: the deployable parts and the test evidence."""

    booster: lgb.Booster
    best: int
    calibrator: Calibrator
    scorecard: WoeScorecard
    metrics: dict[str, float]
    baseline: dict[str, float]
    split: SplitSummary
    test_rows: NDArray[np.int64]
    test_pd: NDArray[np.float64]
    test_baseline_pd: NDArray[np.float64]
    fold_aucs: tuple[float, ...]
    best_iterations: tuple[int, ...]
    # Rows the evaluated booster never fitted (validation and test): out of time, the refitted
    # deployed model is calibrated on the evaluated booster's raw scores of these rows.
    unseen_rows: NDArray[np.int64] | None = None
    last_date: pd.Timestamp | None = None


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-z))


def _model_metrics(
    y: NDArray[np.float64], pd_values: NDArray[np.float64], margins: NDArray[np.float64]
) -> dict[str, float]:
    """Metrics of the calibrated PDs, plus Brier and log loss before calibration."""
    metrics = binary_metrics(y, pd_values)
    raw = binary_metrics(y, _sigmoid(margins))
    metrics["brier_uncalibrated"] = raw["brier"]
    metrics["log_loss_uncalibrated"] = raw["log_loss"]
    return metrics


def _out_of_time(
    problem: _Problem, dates: pd.Series, groups: pd.Series | None = None
) -> _Evaluation:
    y = problem.y
    window, boosted = policy_time_split(dates, y, problem.policy, groups)
    booster, best = problem.boost(boosted.train, boosted.valid)
    calibrator = problem.calibrator().fit(
        raw_score(booster, problem.matrix[boosted.valid]), y[boosted.valid]
    )
    margin = raw_score(booster, problem.matrix[window.test])
    test_pd = calibrator.predict(margin)
    # The scorecard needs no early stopping, so it learns from every row before the test window.
    seen = np.concatenate([window.train, window.valid])
    scorecard = problem.scorecard().fit(problem.frame.iloc[seen], y[seen])
    baseline_pd = scorecard.predict_pd(problem.frame.iloc[window.test])
    metrics = _model_metrics(y[window.test], test_pd, margin)
    split = SplitSummary(
        "out-of-time", boosted.describe(), len(boosted.train), len(boosted.valid), len(window.test)
    )
    return _Evaluation(
        booster,
        best,
        calibrator,
        scorecard,
        metrics,
        binary_metrics(y[window.test], baseline_pd),
        split,
        window.test,
        test_pd,
        baseline_pd,
        (metrics["auc"],),
        (best,),
        np.concatenate([boosted.valid, window.test]),
        window.last_date,
    )


def _cross_validated(problem: _Problem) -> _Evaluation:
    p, y = problem.policy, problem.y
    folds = stratified_folds(y, p.cv_folds, p.cv_repeats, p.valid_share, p.seed)
    shape = (p.cv_repeats, len(y))
    oof_pd, oof_margin, oof_base = np.empty(shape), np.empty(shape), np.empty(shape)
    aucs: list[float] = []
    iterations: list[int] = []
    for fold in folds:
        booster, best = problem.boost(fold.fit, fold.valid)
        calibrator = problem.calibrator().fit(
            raw_score(booster, problem.matrix[fold.valid]), y[fold.valid]
        )
        margin = raw_score(booster, problem.matrix[fold.test])
        oof_margin[fold.repeat, fold.test] = margin
        oof_pd[fold.repeat, fold.test] = calibrator.predict(margin)
        seen = np.concatenate([fold.fit, fold.valid])
        scorecard = problem.scorecard().fit(problem.frame.iloc[seen], y[seen])
        oof_base[fold.repeat, fold.test] = scorecard.predict_pd(problem.frame.iloc[fold.test])
        aucs.append(binary_metrics(y[fold.test], oof_pd[fold.repeat, fold.test])["auc"])
        iterations.append(best)
    repeats = range(p.cv_repeats)
    metrics = mean_metrics([_model_metrics(y, oof_pd[r], oof_margin[r]) for r in repeats])
    baseline = mean_metrics([binary_metrics(y, oof_base[r]) for r in repeats])
    everyone = np.arange(len(y))
    booster, best = problem.boost(everyone, None, rounds=max(1, int(np.median(iterations))))
    calibrator = problem.calibrator().fit(oof_margin.ravel(), np.tile(y, p.cv_repeats))
    description = (
        f"stratified {p.cv_folds}-fold cross-validation"
        + (f", repeated {p.cv_repeats} times" if p.cv_repeats > 1 else "")
        + " (no dates: metrics are out-of-fold, not out-of-time)"
    )
    split = SplitSummary(
        "stratified-cv",
        description,
        len(folds[0].fit),
        len(folds[0].valid),
        len(y),
        p.cv_folds,
        p.cv_repeats,
    )
    return _Evaluation(
        booster,
        best,
        calibrator,
        problem.scorecard().fit(problem.frame, y),
        metrics,
        baseline,
        split,
        everyone,
        oof_pd[0],
        oof_base[0],
        tuple(aucs),
        tuple(iterations),
    )


def _refit_deployed(
    problem: _Problem,
    result: _Evaluation,
    evaluated: ModelBundle,
    info: Mapping[str, object],
    unseen: NDArray[np.int64],
    last_date: pd.Timestamp,
) -> ModelBundle:
    """The deployed model: the evaluated recipe refitted on every row, latest months included.

    Same parameters and the evaluated number of trees; the calibrator is fitted on the evaluated
    booster's raw scores of the rows it never fitted (scikit-learn's
    ``CalibratedClassifierCV(ensemble=False)`` recipe), because the refit leaves no row unseen.
    """
    everyone = np.arange(len(problem.y))
    booster, trees = problem.boost(everyone, None, rounds=result.best)
    calibrator = problem.calibrator().fit(
        raw_score(result.booster, problem.matrix[unseen]), problem.y[unseen]
    )
    deployed = (
        f"refitted on all {len(everyone):,} rows up to {last_date.date()} with the "
        f"evaluated {trees} trees; calibrated on the evaluated model's {len(unseen):,} rows "
        "never fitted on; metrics are the evaluated model's"
    )
    return replace(
        evaluated,
        booster=booster,
        calibrator=calibrator,
        info={**info, "role": "deployed", "deployed": deployed, "rows_deployed": len(everyone)},
    )


def fit_binary_task(
    task: str,
    features: pd.DataFrame,
    target: pd.Series | Sequence[object] | NDArray[np.generic],
    *,
    times: pd.Series | None = None,
    groups: pd.Series | None = None,
    monotone: Mapping[str, int] | None = None,
    categorical: Sequence[str] | None = None,
    fill_missing: Sequence[str] | None = None,
    policy: TrainingPolicy | None = None,
    scale: MasterScalePolicy | None = None,
) -> BinaryFit:
    """Fit LightGBM (+ calibration) and the WOE scorecard for one binary task and test both.

    ``groups`` (customer ids, with dates) lets the out-of-time test hold whole customers out of
    fitting (``policy.holdout_share``). ``monotone`` maps feature names to +1 (a higher value
    never lowers the PD) or -1;
    ``categorical`` forces columns to be categorical (text columns always are);
    ``fill_missing`` names numeric columns whose missing values are scored as the training
    median plus a missing flag that may only raise the PD
    (:meth:`~models.feature_schema.FeatureSchema.infer`). Raises
    :class:`~models.errors.InsufficientDataError` when the task must be skipped (too few
    events, no usable columns) and :class:`~models.errors.InvalidInputError` for bad input.
    """
    policy = policy or TrainingPolicy()
    scale = scale or MasterScalePolicy()
    started = time.perf_counter()
    y = binary_target(target)
    frame = check_frame(task, features, len(y), times)
    check_events(task, y, policy)
    schema = FeatureSchema.infer(frame, categorical, fill_missing)
    problem = _Problem(
        frame,
        schema.to_matrix(frame),
        y,
        schema,
        schema.monotone_vector(monotone),
        policy,
        scale,
    )
    dates = None if times is None else pd.Series(times).reset_index(drop=True)
    fingerprint = data_fingerprint(frame, y, dates)
    result = _cross_validated(problem) if dates is None else _out_of_time(problem, dates, groups)
    test_y = y[result.test_rows]
    info = training_info(
        result.split,
        len(y),
        fingerprint,
        policy,
        result.best,
        {"positives": int(y.sum()), "fold_aucs": list(result.fold_aucs)},
    )
    evaluated = ModelBundle(
        task=task,
        kind="binary",
        booster=result.booster,
        schema=schema,
        calibrator=result.calibrator,
        monotone={k: int(v) for k, v in (monotone or {}).items()},
        metrics=result.metrics,
        baseline_metrics=result.baseline,
        master_scale=scale,
        info={**info, "role": "evaluated"},
    )
    bundle = evaluated
    unseen, last_date = result.unseen_rows, result.last_date
    if unseen is not None and last_date is not None and policy.refit_deployed:
        bundle = _refit_deployed(problem, result, evaluated, info, unseen, last_date)
    return BinaryFit(
        bundle=bundle,
        evaluated=evaluated,
        scorecard=result.scorecard,
        metrics=result.metrics,
        baseline_metrics=result.baseline,
        calibration=calibration_table(test_y, result.test_pd),
        grades=grade_calibration(test_y, result.test_pd, scale),
        split=result.split,
        test_features=frame.iloc[result.test_rows].reset_index(drop=True),
        test_target=test_y,
        test_pd=result.test_pd,
        test_baseline_pd=result.test_baseline_pd,
        fold_aucs=result.fold_aucs,
        best_iterations=result.best_iterations,
        fingerprint=fingerprint,
        fit_seconds=time.perf_counter() - started,
    )
