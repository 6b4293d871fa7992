"""The feature contract of a fitted model: which columns, in which order, numeric or categorical.

Training infers it once from the training frame; scoring turns any later frame into exactly the
matrix the booster was trained on, with the same category codes, and refuses values that do not
fit instead of silently guessing. Categories are encoded here rather than by LightGBM's pandas
handling so the saved model is plain text and does not depend on pandas category objects.

Missing values of the columns named ``fill_missing`` at training are scored as a training
value on the risky side of the median (``fill_quantile`` of the risky direction: the median at
0.5, the 90th percentile of days late or the 10th of a bureau score at 0.9), and, where
training saw any missing, with a 0/1 missing flag appended to the matrix whose monotone
direction is +1. LightGBM would otherwise send a missing value down whichever side of a split
it learnt, so "no data" could score better than any reported value; this way a missing value
never scores better than the median does, everything else equal. A fill on the risky side puts
the missing rows beside the risky values in every split (what LightGBM's own missing handling
does when "no payments settled lately" means trouble) while the monotone constraint still
keeps them at or above the median's score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models.errors import InvalidInputError

ColumnKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class FeatureColumn:
    """One model input column.

    ``reference`` is the portfolio median (numeric) or most common level (categorical) in the
    training data: reason codes compare a customer's value with it. ``fill`` (numeric) replaces
    a missing value before the model; ``missing_flag`` adds the column's 0/1 missing flag to
    the model matrix.
    """

    name: str
    kind: ColumnKind
    categories: tuple[str, ...] = ()
    reference: float | str | None = None
    fill: float | None = None
    missing_flag: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "categories": list(self.categories),
            "reference": self.reference,
            "fill": self.fill,
            "missing_flag": self.missing_flag,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureColumn:
        fill = data.get("fill")
        return cls(
            name=str(data["name"]),
            kind=data["kind"],
            categories=tuple(str(c) for c in data.get("categories", ())),
            reference=data.get("reference"),
            fill=None if fill is None else float(fill),
            missing_flag=bool(data.get("missing_flag", False)),
        )


def _is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    return not pd.api.types.is_numeric_dtype(dtype)


def _category_text(series: pd.Series) -> pd.Series:
    """Category labels of the non-missing values. Numbers are written without a trailing
    ``.0`` so a code read as 3 in training and as 3.0 at scoring (a column with gaps) is the
    same category."""
    present = series.dropna()
    if _is_number(series.dtype):
        values = present.astype("float64")
        return values.map(lambda v: str(int(v)) if v.is_integer() else repr(v)).astype("str")
    return present.astype(str)


def _is_number(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _first_bad_row(mask: NDArray[np.bool_], index: pd.Index) -> str:
    positions = np.flatnonzero(mask)
    shown = ", ".join(str(index[p]) for p in positions[:3])
    more = f" and {len(positions) - 3} more" if len(positions) > 3 else ""
    return f"row {shown}{more}"


@dataclass(frozen=True)
class FeatureSchema:
    """Ordered model columns; build with :meth:`infer`, apply with :meth:`to_matrix`.

    The model matrix holds the columns in order, then one missing flag per column with
    ``missing_flag`` (:attr:`matrix_names`)."""

    columns: tuple[FeatureColumn, ...]
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)
    _numeric_positions: list[int] = field(init=False, repr=False, compare=False)
    _flagged: list[int] = field(init=False, repr=False, compare=False)
    _filled: list[tuple[int, float]] = field(init=False, repr=False, compare=False)
    _category_codes: dict[int, dict[str, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidInputError(f"duplicate feature columns: {duplicates}")
        object.__setattr__(self, "_positions", {n: i for i, n in enumerate(names)})
        numeric = [i for i, c in enumerate(self.columns) if c.kind == "numeric"]
        object.__setattr__(self, "_numeric_positions", numeric)
        flagged = [i for i, c in enumerate(self.columns) if c.missing_flag]
        object.__setattr__(self, "_flagged", flagged)
        filled = [(i, c.fill) for i, c in enumerate(self.columns) if c.fill is not None]
        object.__setattr__(self, "_filled", filled)
        # Each categorical column's code of each training level, looked up once per schema.
        codes = {
            i: {level: code for code, level in enumerate(c.categories)}
            for i, c in enumerate(self.columns)
            if c.kind == "categorical"
        }
        object.__setattr__(self, "_category_codes", codes)

    @classmethod
    def infer(
        cls,
        frame: pd.DataFrame,
        categorical: Iterable[str] | None = None,
        fill_missing: Mapping[str, int] | Iterable[str] | None = None,
        fill_quantile: float = 0.5,
    ) -> FeatureSchema:
        """Learn the schema from training data.

        Text and pandas-category columns are categorical, as is any column named in
        ``categorical`` (e.g. a numeric sector code); booleans and numbers are numeric. Date
        columns are refused: a raw date is not a risk driver and would leak the time split.
        Numeric columns named in ``fill_missing`` score a missing value as a training value
        plus a missing flag (see the module docstring): given as a mapping of name to monotone
        direction, the value at ``fill_quantile`` towards the risky side (+1: up, -1: down);
        named without a direction, the median.
        """
        if not 0.5 <= fill_quantile <= 1.0:
            raise InvalidInputError(
                f"fill_quantile must be between 0.5 (the median) and 1 (the riskiest value); "
                f"got {fill_quantile}"
            )
        forced = set(categorical or ())
        directions = (
            dict(fill_missing)
            if isinstance(fill_missing, Mapping)
            else dict.fromkeys(fill_missing or (), 0)
        )
        filled = set(directions)
        unknown = sorted((forced | filled) - set(map(str, frame.columns)))
        if unknown:
            raise InvalidInputError(f"categorical or filled columns not in the data: {unknown}")
        if frame.shape[1] == 0:
            raise InvalidInputError("there are no feature columns")
        columns: list[FeatureColumn] = []
        for name in frame.columns:
            series = frame[name]
            label = str(name)
            if pd.api.types.is_datetime64_any_dtype(series.dtype):
                raise InvalidInputError(
                    f"column {label!r} holds dates; dates cannot be model features"
                )
            if label in forced or _is_categorical(series):
                if label in filled:
                    raise InvalidInputError(
                        f"column {label!r} is categorical; only numeric columns are filled"
                    )
                present = _category_text(series)
                levels = tuple(sorted(present.unique().tolist()))
                reference = str(present.mode().sort_values().iloc[0]) if len(present) else None
                columns.append(FeatureColumn(label, "categorical", levels, reference))
            else:
                values = pd.to_numeric(series).astype("float64")
                median = float(np.nanmedian(values)) if values.notna().any() else None
                fill = None
                if label in filled and median is not None:
                    side = 0.5 + float(np.sign(directions[label])) * (fill_quantile - 0.5)
                    fill = float(np.nanquantile(values, side))
                flag = fill is not None and bool(values.isna().any())
                columns.append(FeatureColumn(label, "numeric", (), median, fill, flag))
        return cls(tuple(columns))

    @property
    def names(self) -> list[str]:
        """The input columns, in model order (what a frame to score must hold)."""
        return [c.name for c in self.columns]

    @property
    def matrix_names(self) -> list[str]:
        """The model matrix's columns: the inputs, then ``<name>_missing`` per missing flag."""
        return [*self.names, *(f"{self.columns[i].name}_missing" for i in self._flagged)]

    def fold(self, contributions: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per-row contributions over :attr:`matrix_names` (+ a last bias column) folded onto
        the input columns (+ bias): each missing flag's contribution is added to its column's,
        so a column's contribution is the whole effect of its value, missing or not."""
        n_inputs = len(self.columns)
        folded = np.concatenate([contributions[:, :n_inputs], contributions[:, -1:]], axis=1)
        for k, position in enumerate(self._flagged):
            folded[:, position] += contributions[:, n_inputs + k]
        return folded

    @property
    def categorical_positions(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.kind == "categorical"]

    def column(self, name: str) -> FeatureColumn:
        try:
            return self.columns[self._positions[name]]
        except KeyError:
            raise InvalidInputError(f"the model has no feature {name!r}") from None

    def monotone_vector(self, spec: Mapping[str, int] | None) -> list[int]:
        """LightGBM's ``monotone_constraints`` over :attr:`matrix_names`: +1 where a higher
        value may never lower the prediction, -1 where it may never raise it, 0 elsewhere;
        +1 for every missing flag."""
        spec = dict(spec or {})
        unknown = sorted(set(spec) - set(self._positions))
        if unknown:
            raise InvalidInputError(f"monotone constraints name unknown features: {unknown}")
        # A missing flag may only raise the prediction: missing never scores below the fill.
        vector = [0] * len(self.columns) + [1] * len(self._flagged)
        for name, direction in spec.items():
            if direction not in (-1, 0, 1):
                raise InvalidInputError(
                    f"monotone direction of {name!r} must be -1, 0 or 1; got {direction!r}"
                )
            if direction and self.column(name).kind == "categorical":
                raise InvalidInputError(
                    f"feature {name!r} is categorical; a categorical feature has no direction"
                )
            vector[self._positions[name]] = int(direction)
        return vector

    def to_matrix(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """The model matrix of ``frame``: columns in model order, categories as their training
        codes, missing values as NaN - or, in a filled column, as its fill value with the
        column's missing flag set (:attr:`matrix_names`).

        Extra columns are ignored. A category never seen in training is treated as missing (a
        new industry must still be scorable); a non-numeric value in a numeric column, or an
        infinite one, is an error that names the column and the rows.
        """
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise InvalidInputError(f"missing feature columns: {missing}")
        n_inputs = len(self.columns)
        matrix = np.empty((len(frame), n_inputs + len(self._flagged)), dtype="float64")
        numeric = self._numeric_positions
        block = self._numeric_block(frame, numeric)
        if block is not None:
            matrix[:, numeric] = block
        for position, column in enumerate(self.columns):
            if block is not None and column.kind == "numeric":
                continue
            series = frame[column.name]
            if column.kind == "categorical":
                matrix[:, position] = self._codes(position, series)
            else:
                matrix[:, position] = self._numeric(column.name, series)
        if self._flagged:
            matrix[:, n_inputs:] = np.isnan(matrix[:, self._flagged])
        for position, fill in self._filled:
            values = matrix[:, position]
            values[np.isnan(values)] = fill
        return matrix

    def _codes(self, position: int, series: pd.Series) -> NDArray[np.float64]:
        """A categorical column's training codes; NaN where missing or never seen in training.
        Labels are :func:`_category_text`'s, written element by element for text columns (a
        row or two at scoring time: no pandas call per value)."""
        present = series.notna().to_numpy()
        codes = np.full(len(series), np.nan)
        if present.any():
            if _is_number(series.dtype):
                labels: Iterable[str] = _category_text(series)
            else:
                labels = map(str, series.to_numpy(dtype=object)[present])
            lookup = self._category_codes[position]
            codes[present] = [lookup.get(label, np.nan) for label in labels]
        return codes

    def _numeric_block(
        self, frame: pd.DataFrame, positions: list[int]
    ) -> NDArray[np.float64] | None:
        """All numeric columns in one conversion when they are plain finite-or-NaN floats
        (the scoring path: one pandas call instead of one per column); None sends the frame
        through the column-by-column checks, which name the column and row of a bad value."""
        names = [self.columns[i].name for i in positions]
        if not names or not frame.columns.is_unique:
            return None
        where = frame.columns.get_indexer(pd.Index(names))
        dtypes = frame.dtypes.to_numpy()[where]
        if not all(isinstance(d, np.dtype) and d.kind == "f" for d in dtypes):
            return None
        block = frame.iloc[:, where].to_numpy(dtype="float64")
        return None if np.isinf(block).any() else block

    @staticmethod
    def _numeric(name: str, series: pd.Series) -> NDArray[np.float64]:
        if pd.api.types.is_bool_dtype(series.dtype):
            return np.asarray(series.astype("float64").to_numpy(), dtype=np.float64)
        if pd.api.types.is_numeric_dtype(series.dtype):
            values = series.astype("float64").to_numpy(na_value=np.nan)
        else:
            converted = pd.to_numeric(series, errors="coerce")
            not_numbers = (converted.isna() & series.notna()).to_numpy()
            if not_numbers.any():
                first = series[not_numbers].iloc[0]
                where = _first_bad_row(not_numbers, series.index)
                raise InvalidInputError(
                    f"column {name!r} must hold numbers; {where} holds {first!r}"
                )
            values = converted.astype("float64").to_numpy(na_value=np.nan)
        infinite = np.isinf(values)
        if infinite.any():
            raise InvalidInputError(
                f"column {name!r} holds an infinite value in "
                f"{_first_bad_row(infinite, series.index)}; leave it empty if unknown"
            )
        return np.asarray(values, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSchema:
        return cls(tuple(FeatureColumn.from_dict(c) for c in data["columns"]))

    def select(self, names: Sequence[str]) -> FeatureSchema:
        """The schema restricted to ``names`` (in this schema's order)."""
        keep = set(names)
        return FeatureSchema(tuple(c for c in self.columns if c.name in keep))
