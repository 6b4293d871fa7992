"""Model performance figures, the same for training reports, the registry and monitoring.

Discrimination (AUC, Gini, KS, PR-AUC) says whether the model ranks defaulters above payers;
Brier score and log loss say whether the PDs are right in level; the calibration tables show
where they are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
    roc_curve,
)

from models.errors import InvalidInputError
from models.master_scale import grade_of
from models.policy import MasterScalePolicy


def _binary_inputs(
    y: ArrayLike, pd_values: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    target = np.asarray(y, dtype="float64").ravel()
    scores = np.asarray(pd_values, dtype="float64").ravel()
    if target.shape != scores.shape:
        raise InvalidInputError(f"{len(target)} outcomes but {len(scores)} predictions")
    if not np.isin(target, (0.0, 1.0)).all():
        raise InvalidInputError("outcomes must be 0 or 1")
    if target.min() == target.max():
        raise InvalidInputError("metrics need both defaults and non-defaults in the sample")
    return target, scores


def ks_statistic(y: ArrayLike, scores: ArrayLike) -> float:
    """Kolmogorov–Smirnov: the largest gap between the score distributions of defaulters and
    payers (0 = no separation, 1 = perfect)."""
    target, values = _binary_inputs(y, scores)
    fpr, tpr, _ = roc_curve(target, values)
    return float(np.max(tpr - fpr))


def binary_metrics(y: ArrayLike, pd_values: ArrayLike) -> dict[str, float]:
    """AUC, Gini, KS, Brier, log loss, PR-AUC and the sample's size and default rate."""
    target, values = _binary_inputs(y, pd_values)
    clipped = np.clip(values, 1e-15, 1 - 1e-15)
    auc = float(roc_auc_score(target, values))
    return {
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks_statistic(target, values),
        "brier": float(brier_score_loss(target, clipped)),
        "log_loss": float(log_loss(target, clipped, labels=[0.0, 1.0])),
        "pr_auc": float(average_precision_score(target, values)),
        "n": float(len(target)),
        "positives": float(target.sum()),
        "positive_rate": float(target.mean()),
        "mean_pd": float(values.mean()),
    }


def regression_metrics(y: ArrayLike, predictions: ArrayLike) -> dict[str, float]:
    """MAE (in the target's unit, e.g. days), RMSE and the median absolute error."""
    target = np.asarray(y, dtype="float64").ravel()
    values = np.asarray(predictions, dtype="float64").ravel()
    if target.shape != values.shape:
        raise InvalidInputError(f"{len(target)} outcomes but {len(values)} predictions")
    errors = values - target
    return {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "median_ae": float(np.median(np.abs(errors))),
        "n": float(len(target)),
        "mean_target": float(target.mean()),
    }


def calibration_table(y: ArrayLike, pd_values: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed default rate in equal-count bins of predicted PD."""
    target, values = _binary_inputs(y, pd_values)
    order = np.argsort(values, kind="stable")
    groups = np.array_split(order, min(bins, len(values)))
    rows = [
        {
            "bin": i + 1,
            "n": len(g),
            "pd_from": float(values[g].min()),
            "pd_to": float(values[g].max()),
            "mean_pd": float(values[g].mean()),
            "observed_rate": float(target[g].mean()),
            "defaults": int(target[g].sum()),
        }
        for i, g in enumerate(groups)
        if len(g)
    ]
    return pd.DataFrame(rows)


def grade_calibration(y: ArrayLike, pd_values: ArrayLike, scale: MasterScalePolicy) -> pd.DataFrame:
    """Calibration by master-scale grade: each grade's count, mean PD and observed rate."""
    target, values = _binary_inputs(y, pd_values)
    grades = grade_of(values, scale)
    rows = []
    lower = 0.0
    for grade, upper in enumerate(scale.grade_pd_upper, start=1):
        mask = grades == grade
        n = int(mask.sum())
        rows.append(
            {
                "grade": grade,
                "pd_from": lower,
                "pd_to": upper,
                "n": n,
                "mean_pd": float(values[mask].mean()) if n else float("nan"),
                "observed_rate": float(target[mask].mean()) if n else float("nan"),
                "defaults": int(target[mask].sum()),
            }
        )
        lower = upper
    return pd.DataFrame(rows)
