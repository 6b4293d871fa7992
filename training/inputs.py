"""Checks of a task's inputs, shared by the binary and regression trainers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models.errors import InsufficientDataError, InvalidInputError
from training.policy import TrainingPolicy

SplitMethod = Literal["out-of-time", "stratified-cv", "random-cv"]


@dataclass(frozen=True)
class SplitSummary:
    """How the rows were split, in numbers and in words."""

    method: SplitMethod
    description: str
    n_fit: int
    n_valid: int
    n_test: int
    folds: int = 0
    repeats: int = 0


def rows_text(mask: NDArray[np.bool_], index: pd.Index) -> str:
    """The first few row labels where ``mask`` holds, for error messages."""
    positions = np.flatnonzero(mask)
    shown = ", ".join(str(index[p]) for p in positions[:5])
    return shown + (f" and {len(positions) - 5} more" if len(positions) > 5 else "")


def binary_target(target: pd.Series | Sequence[object] | NDArray[np.generic]) -> NDArray:
    """Outcomes as 0.0/1.0; anything but 0/1 or True/False (or a missing value) is an error
    naming the rows."""
    series = target if isinstance(target, pd.Series) else pd.Series(np.asarray(target))
    missing = series.isna().to_numpy()
    if missing.any():
        where = rows_text(missing, series.index)
        raise InvalidInputError(f"the outcome is empty in {int(missing.sum())} rows (rows {where})")
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype="float64")
    values = pd.to_numeric(series, errors="coerce")
    bad = ~values.isin([0, 1]).to_numpy()
    if bad.any():
        first = series[bad].iloc[0]
        first = first.item() if isinstance(first, np.generic) else first
        raise InvalidInputError(
            f"the outcome must be 0 or 1; rows {rows_text(bad, series.index)} hold values such "
            f"as {first!r}"
        )
    return values.to_numpy(dtype="float64")


def numeric_target(target: pd.Series | Sequence[float] | NDArray[np.floating]) -> NDArray:
    """A quantity outcome (e.g. days late): a finite number in every row."""
    series = target if isinstance(target, pd.Series) else pd.Series(np.asarray(target))
    values = pd.to_numeric(series, errors="coerce")
    bad = (values.isna() | ~np.isfinite(values.fillna(0))).to_numpy()
    if bad.any():
        raise InvalidInputError(
            f"the outcome must be a number in every row; rows {rows_text(bad, series.index)} "
            "are empty or not numbers"
        )
    return values.to_numpy(dtype="float64")


def check_frame(
    task: str, features: pd.DataFrame, n_target: int, times: pd.Series | None
) -> pd.DataFrame:
    """The feature table, positionally indexed, after checking it lines up with the outcome."""
    if not isinstance(features, pd.DataFrame):
        raise InvalidInputError("features must be a table (pandas DataFrame)")
    if features.shape[1] == 0:
        raise InsufficientDataError(f"task {task!r} skipped: there are no usable feature columns")
    if len(features) != n_target:
        raise InvalidInputError(f"{len(features)} feature rows but {n_target} outcomes")
    if times is not None and len(times) != len(features):
        raise InvalidInputError(f"{len(features)} feature rows but {len(times)} dates")
    return features.reset_index(drop=True)


def check_events(task: str, y: NDArray[np.float64], policy: TrainingPolicy) -> None:
    """Skip a binary task whose rarer outcome has fewer rows than the policy minimum."""
    events = int(y.sum())
    rarest = min(events, len(y) - events)
    if rarest < policy.min_positives:
        which = "events (defaults)" if events <= len(y) - events else "non-events"
        raise InsufficientDataError(
            f"task {task!r} skipped: {rarest} {which} among {len(y)} rows; the policy needs at "
            f"least {policy.min_positives} (training.min_positives) for a meaningful model"
        )


def mean_metrics(dicts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Average of per-repeat metric dicts."""
    return {k: float(np.mean([d[k] for d in dicts])) for k in dicts[0]}


def training_info(
    split: SplitSummary,
    n_rows: int,
    fingerprint: str,
    policy: TrainingPolicy,
    best: int,
    extra: Mapping[str, object],
) -> dict[str, object]:
    """Facts about the run kept in the bundle for audit."""
    return {
        "split": split.method,
        "split_description": split.description,
        "rows": n_rows,
        "fingerprint": fingerprint,
        "seed": policy.seed,
        "best_iteration": best,
        "calibration": policy.calibration,
        "lightgbm": policy.lightgbm.model_dump(mode="json"),
        **extra,
    }
