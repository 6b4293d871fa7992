"""``arscore train onboarding --table FILE --target COLUMN``: an onboarding PD model from the
application and bureau table a company already has, in whatever columns it has.

Every column other than the target, the id and the date is a candidate feature (numeric or
categorical, missing values allowed). Columns that cannot carry information — empty, constant,
dates, identifiers or free text — are left out and reported, never silently used. With a date
column the model is tested out of time, otherwise by stratified cross-validation; calibration,
the scorecard baseline, MLflow logging and the registry are those of every other task.

Rows in messages are counted from 1 = the first data row below the header.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models.errors import InsufficientDataError, InvalidInputError
from models.policy import MasterScalePolicy
from models.tasks import REGISTERED_MODELS, Task
from training.fit import BinaryFit, fit_binary_task
from training.inputs import binary_target
from training.policy import TrainingPolicy
from training.tracking import RegisteredModel, log_and_register

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
# A text column with more distinct values than this share of its rows is an id or free text.
_MAX_DISTINCT_SHARE = 0.5
_MIN_DISTINCT_FOR_ID = 50


@dataclass(frozen=True)
class PreparedTable:
    """The user's table split into features, outcome, dates and ids, plus what was left out."""

    features: pd.DataFrame
    target: NDArray[np.float64]
    times: pd.Series | None
    ids: pd.Series | None
    dropped: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TabularOutcome:
    """The trained onboarding model, where it was registered, and what to tell the user."""

    fit: BinaryFit
    table: PreparedTable
    registered: RegisteredModel | None

    def summary_lines(self) -> list[str]:
        """Plain-language lines for the command line."""
        m, b = self.fit.lightgbm_metrics, self.fit.baseline_metrics
        lines = [
            f"rows: {len(self.table.target):,}, events: {int(self.table.target.sum()):,} "
            f"({self.table.target.mean():.1%})",
            f"features used: {len(self.fit.bundle.schema.columns)}",
            f"split: {self.fit.split.description}",
            f"LightGBM: AUC {m['auc']:.3f}, Gini {m['gini']:.3f}, KS {m['ks']:.3f}, "
            f"Brier {m['brier']:.4f}",
            f"scorecard baseline: AUC {b['auc']:.3f}, Gini {b['gini']:.3f}, KS {b['ks']:.3f}, "
            f"Brier {b['brier']:.4f}",
            f"deployed: {self.fit.selection.reason}",
        ]
        lines += [f"left out {name}: {why}" for name, why in self.table.dropped.items()]
        lines += list(self.table.notes)
        if self.registered is not None:
            r = self.registered
            lines.append(f"registered {r.name} version {r.version} (run {r.run_id})")
            lines.append(
                ("champion: " if r.decision.promoted else "not champion: ") + r.decision.reason
            )
        return lines


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (comma, semicolon or tab separated, optionally gzipped) or Parquet file."""
    source = Path(path)
    if not source.is_file():
        raise InvalidInputError(f"no file at {source}")
    name = source.name.lower()
    if name.endswith((".parquet", ".pq")):
        return pd.read_parquet(source)
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".tsv.gz")):
        return pd.read_csv(source, sep=_delimiter(source), compression="infer")
    raise InvalidInputError(f"{source.name}: the table must be a .csv, .csv.gz or .parquet file")


def _delimiter(source: Path) -> str:
    if source.name.lower().endswith(".gz"):
        with gzip.open(source, "rt", encoding="utf-8", errors="replace") as handle:
            sample = handle.read(64_000)
    else:
        with source.open(encoding="utf-8", errors="replace") as handle:
            sample = handle.read(64_000)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _rows(mask: NDArray[np.bool_], index: pd.Index) -> str:
    positions = np.flatnonzero(mask)
    shown = ", ".join(str(index[p]) for p in positions[:5])
    return shown + (f" and {len(positions) - 5} more" if len(positions) > 5 else "")


def target_from_column(series: pd.Series, positive_label: str | None = None) -> NDArray:
    """The 0/1 outcome of a target column: 0/1, true/false, yes/no, or any two labels of
    which ``positive_label`` is the bad outcome."""
    name = series.name
    missing = series.isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            f"the target {name!r} is empty in {int(missing.sum())} rows "
            f"(rows {_rows(missing, series.index)}); remove those rows or fill in the outcome"
        )
    if positive_label is not None:
        text = series.astype(str).str.strip()
        levels = sorted(text.unique().tolist())
        if positive_label not in levels:
            raise InvalidInputError(
                f"the positive label {positive_label!r} does not occur in target {name!r}; "
                f"its values are {levels[:10]}"
            )
        if len(levels) != 2:
            raise InvalidInputError(
                f"target {name!r} must have exactly two values; it has {len(levels)}: {levels[:10]}"
            )
        return (text == positive_label).to_numpy(dtype="float64")
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        try:
            return binary_target(series)
        except InvalidInputError as exc:
            raise InvalidInputError(f"target {name!r}: {exc}") from None
    text = series.astype(str).str.strip().str.lower()
    known = text.isin(_TRUE | _FALSE)
    if known.all():
        return text.isin(_TRUE).to_numpy(dtype="float64")
    levels = sorted(series.astype(str).str.strip().unique().tolist())
    if len(levels) == 2:
        raise InvalidInputError(
            f"target {name!r} has the values {levels[0]!r} and {levels[1]!r}; say which one is "
            "the bad outcome (positive label)"
        )
    raise InvalidInputError(
        f"target {name!r} must be 0/1, yes/no or two labels; it has {len(levels)} values such "
        f"as {levels[:5]}"
    )


def _dates(series: pd.Series) -> pd.Series:
    name = series.name
    empty = series.isna().to_numpy()
    if empty.any():
        raise InvalidInputError(
            f"the date column {name!r} is empty in {int(empty.sum())} rows "
            f"(rows {_rows(empty, series.index)}); every row needs a date for the time split"
        )
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.astype("datetime64[ns]")
    parsed = pd.to_datetime(series, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = series[bad].iloc[0]
        raise InvalidInputError(
            f"the date column {name!r} holds values that are not dates in rows "
            f"{_rows(bad, series.index)} (such as {first!r}); write dates like 2024-03-31"
        )
    return parsed.astype("datetime64[ns]")


def screen_columns(frame: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Which columns can be features; the others with the reason they are left out."""
    kept: list[str] = []
    dropped: dict[str, str] = {}
    for name in frame.columns:
        series = frame[name]
        present = series.dropna()
        label = str(name)
        if present.empty:
            dropped[label] = "empty in every row"
        elif present.nunique() == 1:
            dropped[label] = f"the same value ({present.iloc[0]!r}) in every row"
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            dropped[label] = "holds dates; dates are not features (give it as the date column)"
        elif not (
            pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
        ) and present.nunique() > max(_MIN_DISTINCT_FOR_ID, _MAX_DISTINCT_SHARE * len(present)):
            dropped[label] = (
                f"text with {present.nunique():,} different values: an identifier or free text"
            )
        else:
            kept.append(label)
    return kept, dropped


def prepare_table(
    frame: pd.DataFrame,
    target: str,
    *,
    id_column: str | None = None,
    date_column: str | None = None,
    positive_label: str | None = None,
) -> PreparedTable:
    """Split a user table into features, outcome, dates and ids, with clear errors."""
    table = frame.reset_index(drop=True)
    table.index = table.index + 1  # rows are named as a user counts them
    table.columns = [str(c) for c in table.columns]
    roles = {"target": target, "id column": id_column, "date column": date_column}
    for role, column in roles.items():
        if column is not None and column not in table.columns:
            raise InvalidInputError(
                f"the {role} {column!r} is not in the table; its columns are "
                f"{list(table.columns)[:30]}"
            )
    chosen = [c for c in roles.values() if c is not None]
    if len(set(chosen)) != len(chosen):
        raise InvalidInputError("the target, id and date columns must be different columns")
    y = target_from_column(table[target], positive_label)
    times = None if date_column is None else _dates(table[date_column])
    ids = None if id_column is None else table[id_column]
    notes: list[str] = []
    if ids is not None:
        repeated = int(ids.duplicated(keep=False).sum())
        if repeated:
            notes.append(
                f"note: {repeated} rows share their id with another row; the same company in "
                "training and test rows flatters the test figures"
            )
    candidates = table.drop(columns=chosen)
    kept, dropped = screen_columns(candidates)
    if not kept:
        reasons = "; ".join(f"{k}: {v}" for k, v in dropped.items()) or "the table has no others"
        raise InsufficientDataError(f"no usable feature columns ({reasons})")
    return PreparedTable(
        features=candidates[kept].reset_index(drop=True),
        target=y,
        times=None if times is None else times.reset_index(drop=True),
        ids=None if ids is None else ids.reset_index(drop=True),
        dropped=dropped,
        notes=tuple(notes),
    )


def train_onboarding_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    id_column: str | None = None,
    date_column: str | None = None,
    positive_label: str | None = None,
    tracking_uri: str | None = None,
    policy: TrainingPolicy | None = None,
    scale: MasterScalePolicy | None = None,
    promote: bool = False,
    registered_name: str = REGISTERED_MODELS[Task.ONBOARDING_PD],
    categorical: Sequence[str] | None = None,
    source: str = "table",
) -> TabularOutcome:
    """Train, test and (with a ``tracking_uri``) log and register an onboarding PD model.

    Raises :class:`InsufficientDataError` when the table cannot support a model (too few
    events, no usable columns) and :class:`InvalidInputError` for malformed input.
    """
    prepared = prepare_table(
        frame,
        target,
        id_column=id_column,
        date_column=date_column,
        positive_label=positive_label,
    )
    wanted = [c for c in (categorical or ()) if c in prepared.features.columns]
    fit = fit_binary_task(
        Task.ONBOARDING_PD.value,
        prepared.features,
        prepared.target,
        times=prepared.times,
        categorical=wanted,
        policy=policy,
        scale=scale,
    )
    registered = None
    if tracking_uri is not None:
        registered = log_and_register(
            fit,
            registered_name=registered_name,
            tracking_uri=tracking_uri,
            run_name=f"onboarding from {source}",
            extra_params={
                "source": source,
                "target": target,
                "positive_label": positive_label,
                "id_column": id_column,
                "date_column": date_column,
                "dropped_columns": ", ".join(prepared.dropped) or "none",
            },
            promote=promote,
        )
    return TabularOutcome(fit=fit, table=prepared, registered=registered)


def train_onboarding_table(
    path: str | Path,
    target: str,
    id_column: str | None = None,
    date_column: str | None = None,
    tracking_uri: str | None = None,
    *,
    positive_label: str | None = None,
    policy: TrainingPolicy | None = None,
    scale: MasterScalePolicy | None = None,
    promote: bool = False,
) -> TabularOutcome:
    """The ``train onboarding --table`` use case: read the file, then
    :func:`train_onboarding_frame`."""
    source = Path(path)
    return train_onboarding_frame(
        read_table(source),
        target,
        id_column=id_column,
        date_column=date_column,
        positive_label=positive_label,
        tracking_uri=tracking_uri,
        policy=policy,
        scale=scale,
        promote=promote,
        source=source.name,
    )
