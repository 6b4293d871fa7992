"""Fit one binary task from a feature table: LightGBM and the WOE scorecard, each calibrated,
the one chosen on validation data for deployment, and the test metrics of both.

Both models are fitted on the same rows and calibrated on the same validation rows, which
neither has fitted; the one with the higher validation AUC is deployed
(:mod:`training.selection`; on a small book the scorecard often is). The test window only
reports both: it never chooses.

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
raw scores of the rows it never fitted (validation and test); a chosen scorecard is refitted
and calibrated the same way. Without dates,
stratified cross-validation gives out-of-fold test predictions (each fold early-stopped and
calibrated on a hold-out inside its training part); the deployed model is then refitted on all
rows with the folds' median number of trees, and its calibrator is fitted on the out-of-fold
raw scores (scikit-learn's ``CalibratedClassifierCV(ensemble=False)`` recipe).

Size: over the house's ~400 lines because the dated and the cross-validated paths share each
step (fit both models, select, refit, calibrate) and are kept side by side so they cannot drift
apart; the cross-validated path is the next to move to a module of its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from models.bundle import Estimator, EstimatorKind, ModelBundle, scorecard_frame
from models.calibration import IsotonicCalibrator, PlattCalibrator, make_calibrator
from models.errors import InvalidInputError
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
from training.selection import LABELS, ModelSelection, select_model
from training.split import policy_time_split, stratified_folds

Calibrator = PlattCalibrator | IsotonicCalibrator


@dataclass(frozen=True)
class BinaryFit:
    """A fitted binary task: the deployable bundle and everything its report needs.

    ``bundle`` is the model to deploy; ``evaluated`` the model whose test metrics these are
    (the same object unless the deployed model was refitted on every row after an out-of-time
    evaluation). Both hold the kind of model ``selection`` chose on validation data: LightGBM
    or the WOE scorecard. ``metrics`` are the chosen model's (calibrated PD) on the out-of-time
    test window or, for cross-validation, on the out-of-fold predictions (averaged over
    repeats); ``lightgbm_metrics`` and ``baseline_metrics`` are LightGBM's and the scorecard's
    on the same rows, whichever was chosen. ``test_*`` hold the test rows and predictions
    (first repeat) for plots and champion comparison. Out of time, ``valid_rows`` are the
    positions (in the task's rows) of the validation rows the choice was made on and
    ``valid_margin`` the evaluated model's raw scores of them, for comparisons with models
    outside this fit (the proxy tier against the expert scorecard); None when cross-validated.
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
    selection: ModelSelection
    lightgbm_metrics: dict[str, float]
    test_lightgbm_pd: NDArray[np.float64]
    valid_rows: NDArray[np.int64] | None = None
    valid_margin: NDArray[np.float64] | None = None


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

    @cached_property
    def card_frame(self) -> pd.DataFrame:
        """The model matrix as the scorecard reads it (:func:`models.bundle.scorecard_frame`)."""
        return scorecard_frame(self.schema, self.matrix)

    def calibrator(self) -> Calibrator:
        return make_calibrator(self.policy.calibration, self.policy.pd_floor)

    def scorecard(self) -> WoeScorecard:
        p, s = self.policy.scorecard, self.scale
        directions = zip(self.schema.matrix_names, self.constraints, strict=True)
        return WoeScorecard(
            max_bins=p.max_bins,
            min_bin_share=p.min_bin_share,
            min_information_value=p.min_information_value,
            c=p.c,
            base_points=s.base_points,
            base_odds=s.base_odds,
            points_to_double_odds=s.points_to_double_odds,
            monotone={name: d for name, d in directions if d},
        )

    def fit_scorecard(self, rows: NDArray[np.int64]) -> WoeScorecard:
        return self.scorecard().fit(self.card_frame.iloc[rows], self.y[rows])

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

    def raw(self, model: Estimator, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Log-odds of ``rows`` from either kind of model."""
        if isinstance(model, WoeScorecard):
            return model.decision_function(self.card_frame.iloc[rows])
        return raw_score(model, self.matrix[rows])

    def calibrate(
        self, margin: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[Calibrator | None, str]:
        """A calibrator of ``margin``, or None and why when higher scores do not mean more
        events (the model cannot then be deployed)."""
        try:
            return self.calibrator().fit(margin, y), ""
        except InvalidInputError as exc:
            return None, str(exc)


@dataclass(frozen=True)
class _Candidate:
    """One kind of model as tested: its model, calibrator (None: cannot be deployed, and
    ``problem`` says why), validation AUC and test predictions and metrics."""

    kind: EstimatorKind
    model: Estimator
    calibrator: Calibrator | None
    problem: str
    valid_auc: float | None
    test_margin: NDArray[np.float64]
    test_pd: NDArray[np.float64]
    metrics: dict[str, float]
    valid_margin: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class _Evaluation:
    """What a way of testing produces: both candidates, the choice and the test evidence."""

    lightgbm: _Candidate
    scorecard: _Candidate
    selection: ModelSelection
    best: int
    split: SplitSummary
    test_rows: NDArray[np.int64]
    fold_aucs: tuple[float, ...]
    best_iterations: tuple[int, ...]
    # Rows the evaluated model never fitted (validation and test): out of time, the refitted
    # deployed model is calibrated on the evaluated model's raw scores of these rows.
    unseen_rows: NDArray[np.int64] | None = None
    last_date: pd.Timestamp | None = None
    # Out of time: the validation rows the selection was made on.
    valid_rows: NDArray[np.int64] | None = None

    @property
    def chosen(self) -> _Candidate:
        return self.lightgbm if self.selection.chosen == "lightgbm" else self.scorecard


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


def _select(problem: _Problem, candidates: Sequence[_Candidate], rows_valid: int) -> ModelSelection:
    """The choice between the candidates; neither deployable is the LightGBM error."""
    lightgbm, scorecard = candidates
    if lightgbm.calibrator is None and scorecard.calibrator is None:
        raise InvalidInputError(lightgbm.problem)
    return select_model(
        lightgbm.valid_auc,
        scorecard.valid_auc,
        rows_valid,
        problem.policy,
        {c.kind: c.problem for c in candidates if c.problem},
    )


def _candidate(
    problem: _Problem,
    kind: EstimatorKind,
    model: Estimator,
    valid: NDArray[np.int64],
    test: NDArray[np.int64],
) -> _Candidate:
    """``model`` calibrated and scored on the validation rows, then tested."""
    y = problem.y
    valid_margin = problem.raw(model, valid)
    calibrator, why = problem.calibrate(valid_margin, y[valid])
    margin = problem.raw(model, test)
    # A model that cannot be calibrated is reported with its own uncalibrated PD.
    test_pd = _sigmoid(margin) if calibrator is None else calibrator.predict(margin)
    valid_auc = None if calibrator is None else float(roc_auc_score(y[valid], valid_margin))
    metrics = _model_metrics(y[test], test_pd, margin)
    return _Candidate(
        kind, model, calibrator, why, valid_auc, margin, test_pd, metrics, valid_margin
    )


def _out_of_time(
    problem: _Problem, dates: pd.Series, groups: pd.Series | None = None
) -> _Evaluation:
    window, boosted = policy_time_split(dates, problem.y, problem.policy, groups)
    booster, best = problem.boost(boosted.train, boosted.valid)
    # The scorecard is fitted on the same rows as LightGBM, so both are chosen between on, and
    # calibrated on, validation rows neither has seen.
    scorecard = problem.fit_scorecard(boosted.train)
    candidates = [
        _candidate(problem, "lightgbm", booster, boosted.valid, window.test),
        _candidate(problem, "woe_scorecard", scorecard, boosted.valid, window.test),
    ]
    selection = _select(problem, candidates, len(boosted.valid))
    split = SplitSummary(
        "out-of-time", boosted.describe(), len(boosted.train), len(boosted.valid), len(window.test)
    )
    chosen = candidates[0] if selection.chosen == "lightgbm" else candidates[1]
    return _Evaluation(
        candidates[0],
        candidates[1],
        selection,
        best,
        split,
        window.test,
        (chosen.metrics["auc"],),
        (best,),
        np.concatenate([boosted.valid, window.test]),
        window.last_date,
        boosted.valid,
    )


def _cross_validated(problem: _Problem) -> _Evaluation:
    p, y = problem.policy, problem.y
    folds = stratified_folds(y, p.cv_folds, p.cv_repeats, p.valid_share, p.seed)
    shape = (p.cv_repeats, len(y))
    kinds: tuple[EstimatorKind, EstimatorKind] = ("lightgbm", "woe_scorecard")
    oof_pd = {k: np.empty(shape) for k in kinds}
    oof_margin = {k: np.empty(shape) for k in kinds}
    valid_aucs: dict[EstimatorKind, list[float]] = {k: [] for k in kinds}
    test_aucs: dict[EstimatorKind, list[float]] = {k: [] for k in kinds}
    problems: dict[EstimatorKind, str] = {}
    iterations: list[int] = []
    for fold in folds:
        booster, best = problem.boost(fold.fit, fold.valid)
        iterations.append(best)
        models: dict[EstimatorKind, Estimator] = {
            "lightgbm": booster,
            "woe_scorecard": problem.fit_scorecard(fold.fit),
        }
        for kind, model in models.items():
            tested = _candidate(problem, kind, model, fold.valid, fold.test)
            oof_margin[kind][fold.repeat, fold.test] = tested.test_margin
            oof_pd[kind][fold.repeat, fold.test] = tested.test_pd
            test_aucs[kind].append(tested.metrics["auc"])
            if tested.valid_auc is None:
                problems.setdefault(kind, tested.problem)
            else:
                valid_aucs[kind].append(tested.valid_auc)
    repeats = range(p.cv_repeats)
    everyone = np.arange(len(y))
    metrics = {
        k: mean_metrics([_model_metrics(y, oof_pd[k][r], oof_margin[k][r]) for r in repeats])
        for k in kinds
    }
    mean_valid = {k: None if k in problems else float(np.mean(valid_aucs[k])) for k in kinds}
    if all(k in problems for k in kinds):
        raise InvalidInputError(problems["lightgbm"])
    rows_valid = sum(len(f.valid) for f in folds)
    selection = select_model(
        mean_valid["lightgbm"], mean_valid["woe_scorecard"], rows_valid, p, problems
    )
    # The deployed model: the chosen kind refitted on every row (LightGBM with the folds'
    # median number of trees), calibrated on its out-of-fold raw scores.
    best = max(1, int(np.median(iterations)))
    chosen = selection.chosen
    deployed: Estimator = (
        problem.boost(everyone, None, rounds=best)[0]
        if chosen == "lightgbm"
        else problem.fit_scorecard(everyone)
    )
    calibrator = problem.calibrator().fit(oof_margin[chosen].ravel(), np.tile(y, p.cv_repeats))
    card = deployed if isinstance(deployed, WoeScorecard) else problem.fit_scorecard(everyone)
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

    def candidate(kind: EstimatorKind, model: Estimator) -> _Candidate:
        return _Candidate(
            kind,
            model,
            calibrator if kind == chosen else None,
            problems.get(kind, ""),
            mean_valid[kind],
            oof_margin[kind][0],
            oof_pd[kind][0],
            metrics[kind],
        )

    return _Evaluation(
        candidate("lightgbm", deployed if chosen == "lightgbm" else booster),
        candidate("woe_scorecard", card),
        selection,
        best,
        split,
        everyone,
        tuple(test_aucs[chosen]),
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

    LightGBM keeps its parameters and the evaluated number of trees; a scorecard is refitted
    with its settings. The calibrator is fitted on the evaluated model's raw scores of the rows
    it never fitted (scikit-learn's ``CalibratedClassifierCV(ensemble=False)`` recipe), because
    the refit leaves no row unseen.
    """
    everyone = np.arange(len(problem.y))
    chosen = result.chosen
    calibrator = problem.calibrator().fit(problem.raw(chosen.model, unseen), problem.y[unseen])
    model: Estimator
    if chosen.kind == "lightgbm":
        model, trees = problem.boost(everyone, None, rounds=result.best)
        recipe = f"with the evaluated {trees} trees"
    else:
        model = problem.fit_scorecard(everyone)
        recipe = f"({len(model.selected_)} scorecard columns)"
    deployed = (
        f"{LABELS[chosen.kind]} refitted on all {len(everyone):,} rows up to {last_date.date()} "
        f"{recipe}; calibrated on the evaluated model's {len(unseen):,} rows never fitted on; "
        "metrics are the evaluated model's"
    )
    return replace(
        evaluated,
        booster=model,
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
    fill_missing: Mapping[str, int] | Sequence[str] | None = None,
    policy: TrainingPolicy | None = None,
    scale: MasterScalePolicy | None = None,
) -> BinaryFit:
    """Fit LightGBM and the WOE scorecard (each calibrated) for one binary task, deploy the one
    with the better validation AUC (:mod:`training.selection`) and test both.

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
    schema = FeatureSchema.infer(frame, categorical, fill_missing, policy.missing_fill_quantile)
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
    chosen, card, booster = result.chosen, result.scorecard, result.lightgbm
    assert chosen.calibrator is not None  # the selection only picks a calibrated model
    test_y = y[result.test_rows]
    info = training_info(
        result.split,
        len(y),
        fingerprint,
        policy,
        result.best,
        {
            "positives": int(y.sum()),
            "fold_aucs": list(result.fold_aucs),
            "estimator": result.selection.chosen,
            "model_selection": result.selection.as_record(),
            "lightgbm_metrics": booster.metrics,
        },
    )
    evaluated = ModelBundle(
        task=task,
        kind="binary",
        booster=chosen.model,
        schema=schema,
        calibrator=chosen.calibrator,
        monotone={k: int(v) for k, v in (monotone or {}).items()},
        metrics=chosen.metrics,
        baseline_metrics=card.metrics,
        master_scale=scale,
        info={**info, "role": "evaluated"},
    )
    bundle = evaluated
    unseen, last_date = result.unseen_rows, result.last_date
    if unseen is not None and last_date is not None and policy.refit_deployed:
        bundle = _refit_deployed(problem, result, evaluated, info, unseen, last_date)
    scorecard = card.model
    assert isinstance(scorecard, WoeScorecard)
    return BinaryFit(
        bundle=bundle,
        evaluated=evaluated,
        scorecard=scorecard,
        metrics=chosen.metrics,
        baseline_metrics=card.metrics,
        calibration=calibration_table(test_y, chosen.test_pd),
        grades=grade_calibration(test_y, chosen.test_pd, scale),
        split=result.split,
        test_features=frame.iloc[result.test_rows].reset_index(drop=True),
        test_target=test_y,
        test_pd=chosen.test_pd,
        test_baseline_pd=card.test_pd,
        fold_aucs=result.fold_aucs,
        best_iterations=result.best_iterations,
        fingerprint=fingerprint,
        fit_seconds=time.perf_counter() - started,
        selection=result.selection,
        lightgbm_metrics=booster.metrics,
        test_lightgbm_pd=booster.test_pd,
        valid_rows=result.valid_rows,
        valid_margin=None if result.valid_rows is None else chosen.valid_margin,
    )
