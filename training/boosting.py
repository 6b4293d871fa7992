"""LightGBM training shared by every task: one booster, early-stopped or of a fixed size."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from models.feature_schema import FeatureSchema
from training.policy import TrainingPolicy

Rows = tuple[NDArray[np.float64], NDArray[np.float64]]  # (model matrix, outcome)


def _dataset(
    rows: Rows, schema: FeatureSchema, reference: lgb.Dataset | None = None
) -> lgb.Dataset:
    matrix, y = rows
    # Positional names keep any column name (spaces, brackets, accents) safe for LightGBM; the
    # schema maps positions back to the user's names.
    return lgb.Dataset(
        matrix,
        label=y,
        feature_name=[f"f{i}" for i in range(matrix.shape[1])],
        categorical_feature=schema.categorical_positions,
        reference=reference,
        free_raw_data=True,
        params={"verbosity": -1},
    )


def train_booster(
    fit: Rows,
    valid: Rows | None,
    schema: FeatureSchema,
    monotone: list[int],
    policy: TrainingPolicy,
    objective: str,
    rounds: int | None = None,
) -> tuple[lgb.Booster, int]:
    """Train one booster, early-stopped on ``valid`` (log loss or squared error) or, without
    ``valid``, for exactly ``rounds`` trees. Returns the booster cut at its best iteration and
    that iteration."""
    params = policy.lightgbm.booster_params(objective, policy.seed, monotone)
    params["metric"] = "binary_logloss" if objective == "binary" else "l2"
    train_set = _dataset(fit, schema)
    if valid is None:
        booster = lgb.train(params, train_set, num_boost_round=rounds or 1)
        best = booster.current_iteration()
    else:
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=policy.lightgbm.max_boost_rounds,
            valid_sets=[_dataset(valid, schema, reference=train_set)],
            valid_names=["valid"],
            callbacks=[lgb.early_stopping(policy.lightgbm.early_stopping_rounds, verbose=False)],
        )
        best = booster.best_iteration or booster.current_iteration()
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best)), int(best)


def raw_score(booster: lgb.Booster, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Log-odds (binary) or the predicted value (regression)."""
    return np.asarray(booster.predict(matrix, raw_score=True), dtype="float64")
