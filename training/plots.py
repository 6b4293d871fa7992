"""The report plots logged with every model: ROC, calibration, SHAP summary, score distribution.

Built on matplotlib's object API (no pyplot), so plotting touches no global state and works
headless and in threads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray
from sklearn.metrics import roc_curve

_MAX_POINTS = 2000  # rows drawn in the SHAP summary: enough to show the shape, fast to render


def roc_figure(
    y: NDArray[np.float64], model_pd: NDArray[np.float64], baseline_pd: NDArray[np.float64]
) -> Figure:
    """ROC curves of LightGBM (``model_pd``) and the WOE scorecard on the test rows."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    for label, scores in (("LightGBM", model_pd), ("WOE scorecard", baseline_pd)):
        fpr, tpr, _ = roc_curve(y, scores)
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, test rows")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def calibration_figure(table: pd.DataFrame) -> Figure:
    """Mean predicted PD against observed default rate per bin (the diagonal is perfect)."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    top = float(max(table["mean_pd"].max(), table["observed_rate"].max(), 1e-3)) * 1.05
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect")
    ax.plot(table["mean_pd"], table["observed_rate"], marker="o", label="model")
    ax.set(xlabel="mean predicted PD", ylabel="observed default rate", title="Calibration")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def shap_summary_figure(
    contributions: pd.DataFrame, features: pd.DataFrame, max_features: int = 15, seed: int = 0
) -> Figure:
    """SHAP summary: one row per feature (largest mean |contribution| on top), one dot per
    customer at its contribution, coloured by the feature's value (blue low, red high)."""
    shap_values = contributions.drop(columns=["bias"], errors="ignore")
    if len(shap_values) > _MAX_POINTS:
        rows = np.random.default_rng(seed).choice(len(shap_values), _MAX_POINTS, replace=False)
        shap_values = shap_values.iloc[np.sort(rows)]
        features = features.iloc[np.sort(rows)]
    order = shap_values.abs().mean().sort_values(ascending=False).index[:max_features]
    fig = Figure(figsize=(7, 0.4 * len(order) + 1.5))
    ax = fig.subplots()
    jitter = np.random.default_rng(seed)
    for rank, name in enumerate(reversed(list(order))):
        x = shap_values[name].to_numpy()
        column = features[name]
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            colour = column.rank(pct=True).fillna(0.5).to_numpy()
        else:
            colour = np.full(len(x), 0.5)
        y = rank + jitter.uniform(-0.3, 0.3, len(x))
        ax.scatter(x, y, c=colour, cmap="coolwarm", s=6, vmin=0, vmax=1, alpha=0.6)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(range(len(order)), list(reversed(list(order))))
    ax.set(xlabel="contribution to log-odds of the outcome", title="SHAP summary")
    fig.tight_layout()
    return fig


def score_distribution_figure(scores: NDArray[np.float64], y: NDArray[np.float64]) -> Figure:
    """Score points of defaulters and payers: the less they overlap, the better."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    bins = np.linspace(np.min(scores), np.max(scores), 40).tolist()
    ax.hist(scores[y == 0], bins=bins, alpha=0.6, density=True, label="no event")
    ax.hist(scores[y == 1], bins=bins, alpha=0.6, density=True, label="event (default)")
    ax.set(xlabel="score points", ylabel="density", title="Score distribution, test rows")
    ax.legend()
    fig.tight_layout()
    return fig


def predicted_vs_actual_figure(y: NDArray[np.float64], prediction: NDArray[np.float64]) -> Figure:
    """Regression tasks: predicted against actual value on the test rows."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.scatter(y, prediction, s=5, alpha=0.4)
    low = float(min(np.min(y), np.min(prediction)))
    high = float(max(np.max(y), np.max(prediction)))
    ax.plot([low, high], [low, high], color="grey", linestyle=":")
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual, test rows")
    fig.tight_layout()
    return fig
