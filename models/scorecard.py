"""The transparent baseline: a classic WOE scorecard (binned features → logistic regression).

Every LightGBM model is reported beside it, so a finance user can see what the boosted model
adds over a model whose every point can be read off a table.

Binning: numeric columns into quantile bins of the training data, categorical columns one bin per
level with rare levels pooled as "other"; missing values get their own bin. Weight of evidence is
``ln(share of defaults in the bin / share of non-defaults in the bin)`` (positive = riskier than
average), with half-count smoothing so an empty cell does not give an infinite weight. Columns
below a minimum information value are left out, as scorecard practice does (IV < 0.02 means
"not predictive", Siddiqi 2006).

Credit logic holds in a scorecard too: a column with a direction (``monotone``) has its numeric
bins' weights pooled until they rise (or fall) with the value (pool-adjacent-violators, weighted
by bin counts), and a column whose coefficient comes out negative (its own WOE read backwards, as
collinear columns do) is dropped and the regression refitted, so a riskier bin never lowers the
PD. A fitted scorecard explains itself like SHAP: each column contributes
``coefficient × (WOE of its bin − its mean WOE in training)`` log-odds (the exact SHAP value of a
linear model with independent inputs), and it round-trips through plain JSON (:meth:`to_dict`,
:meth:`from_dict`), so it can be served without pickle.

Size: over the house's ~400 lines because the scorecard and its regression sibling
(:class:`BinnedRegressionBaseline`) share the binning, the scikit-learn input checks and tags;
the input checks are the next to move to a module of their own.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, column_or_1d
from threadpoolctl import threadpool_limits

from models.errors import InvalidInputError

MISSING_BIN = "missing"


def _one_blas_thread() -> threadpool_limits:
    """One BLAS thread for the linear fits on the binned matrix: it is tall and thin (rows >>
    columns), where more threads buy nothing and on a busy machine cost several times over
    (one late-payment scorecard on 2 loaded cores: 54 s with the default threads, 7.8 s with
    one)."""
    return threadpool_limits(limits=1, user_api="blas")


OTHER_BIN = "other"
SCORECARD_FORMAT = "arscore-woe-scorecard"


@dataclass(frozen=True)
class ColumnBins:
    """The bins of one column and their weights of evidence."""

    name: str
    numeric: bool
    edges: tuple[float, ...]  # numeric: inner cut points; bin k holds edges[k-1] <= x < edges[k]
    levels: tuple[str, ...]  # categorical: levels with their own bin
    labels: tuple[str, ...]  # one label per bin, then "other" (categorical) and "missing"
    woe: tuple[float, ...]
    counts: tuple[int, ...]
    defaults: tuple[int, ...]
    information_value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnBins:
        return cls(
            name=str(data["name"]),
            numeric=bool(data["numeric"]),
            edges=tuple(float(e) for e in data["edges"]),
            levels=tuple(str(v) for v in data["levels"]),
            labels=tuple(str(v) for v in data["labels"]),
            woe=tuple(float(w) for w in data["woe"]),
            counts=tuple(int(c) for c in data["counts"]),
            defaults=tuple(int(d) for d in data["defaults"]),
            information_value=float(data["information_value"]),
        )

    def bin_index(self, series: pd.Series) -> NDArray[np.int64]:
        """Bin number of each value (same order as ``labels``)."""
        missing_bin = len(self.labels) - 1
        present = series.notna().to_numpy()
        index = np.full(len(series), missing_bin, dtype="int64")
        if self.numeric:
            values = pd.to_numeric(series[present]).astype("float64").to_numpy()
            index[present] = np.searchsorted(np.asarray(self.edges), values, side="right")
        else:
            other_bin = missing_bin - 1
            found = pd.Index(self.levels, dtype="str").get_indexer(
                pd.Index(series[present].astype(str))
            )
            index[present] = np.where(found >= 0, found, other_bin)
        return index


def _numeric_edges(values: NDArray[np.float64], max_bins: int) -> tuple[float, ...]:
    if len(values) == 0:
        return ()
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, max_bins + 1)[1:-1], method="lower")
    # A cut point equal to the minimum would leave the first bin empty.
    return tuple(float(e) for e in np.unique(quantiles) if e > values.min())


def _woe(defaults: NDArray[np.floating], goods: NDArray[np.floating]) -> NDArray[np.float64]:
    total_bad = defaults.sum()
    total_good = goods.sum()
    return np.log((defaults + 0.5) / (total_bad + 0.5)) - np.log((goods + 0.5) / (total_good + 0.5))


def _layout(
    name: str, series: pd.Series, numeric: bool, max_bins: int, min_bin_share: float
) -> ColumnBins:
    """The bins of one column (statistics left empty)."""
    present = series.notna().to_numpy()
    if numeric:
        values = pd.to_numeric(series[present]).to_numpy(dtype=np.float64)
        edges = _numeric_edges(values, max_bins)
        bounds = (-math.inf, *edges, math.inf)
        labels = tuple(f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(bounds))
        levels: tuple[str, ...] = ()
    else:
        edges = ()
        shares = series[present].astype(str).value_counts(normalize=True)
        levels = tuple(sorted(shares[shares >= min_bin_share].index.tolist()))
        labels = (*levels, OTHER_BIN)
    return ColumnBins(name, numeric, edges, levels, (*labels, MISSING_BIN), (), (), (), 0.0)


def _pool_adjacent(
    values: NDArray[np.float64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The weighted least-squares non-decreasing sequence closest to ``values``."""
    blocks: list[list[float]] = []  # [mean, weight, length]
    for v, w in zip(values, weights, strict=True):
        blocks.append([float(v), max(float(w), 1e-9), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, w1, n1), (m2, w2, n2) = blocks[-2], blocks[-1]
            blocks[-2:] = [[(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2]]
    if not blocks:
        return np.zeros(0, dtype="float64")
    return np.concatenate([np.full(int(n), m) for m, _, n in blocks])


def _bins_for(
    name: str,
    series: pd.Series,
    y: NDArray[np.float64],
    numeric: bool,
    max_bins: int,
    min_bin_share: float,
    direction: int = 0,
) -> ColumnBins:
    layout = _layout(name, series, numeric, max_bins, min_bin_share)
    index = layout.bin_index(series)
    counts = np.bincount(index, minlength=len(layout.labels)).astype("float64")
    # Weighted counts are floats (numpy's stubs type every bincount as integers).
    defaults = np.asarray(np.bincount(index, weights=y, minlength=len(layout.labels)), np.float64)
    goods = counts - defaults
    woe = np.where(counts > 0, _woe(defaults, goods), 0.0)
    if numeric and direction:
        # The value bins (all but "missing") in order; empty bins take no part in the pooling.
        ordered = np.arange(len(layout.labels) - 1)
        used = ordered[counts[ordered] > 0]
        pooled = _pool_adjacent(direction * woe[used], counts[used])
        woe[used] = direction * pooled
    bad_share = defaults / max(defaults.sum(), 1.0)
    good_share = goods / max(goods.sum(), 1.0)
    iv = float(np.sum((bad_share - good_share) * woe))
    return replace(
        layout,
        woe=tuple(float(w) for w in woe),
        counts=tuple(int(c) for c in counts),
        defaults=tuple(int(d) for d in defaults),
        information_value=iv,
    )


def _fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else ("-inf" if value < 0 else "inf")


class WoeScorecard(TransformerMixin, BaseEstimator):
    """Binned-WOE logistic-regression scorecard.

    Parameters are the classic scorecard choices; points use the same points-to-double-odds
    scaling as the master scale so scorecard points and model scores are on one scale.

    A scikit-learn estimator and transformer (``transform`` gives the WOE matrix) that takes a
    frame of named columns or any 2-D array; outcomes must be 0 and 1, so the checks that fit on
    multi-class targets are expected failures (tests/models/test_estimator_contract.py).
    """

    def __init__(
        self,
        max_bins: int = 8,
        min_bin_share: float = 0.05,
        min_information_value: float = 0.02,
        c: float = 1.0,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        points_to_double_odds: float = 20.0,
        monotone: Mapping[str, int] | None = None,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.min_information_value = min_information_value
        self.c = c
        self.base_points = base_points
        self.base_odds = base_odds
        self.points_to_double_odds = points_to_double_odds
        self.monotone = monotone

    def __sklearn_tags__(self) -> Tags:
        return _frame_input_tags(super().__sklearn_tags__())

    def _check_params(self) -> None:
        if isinstance(self.max_bins, bool) or not isinstance(self.max_bins, int):
            raise ValueError(f"max_bins must be an integer; got {self.max_bins!r}")
        if self.max_bins < 2:
            raise ValueError(f"max_bins must be at least 2; got {self.max_bins}")
        if not 0.0 <= self.min_bin_share < 0.5:
            raise ValueError(f"min_bin_share must lie in [0, 0.5); got {self.min_bin_share!r}")
        if self.min_information_value < 0:
            raise ValueError(
                f"min_information_value must be >= 0; got {self.min_information_value!r}"
            )
        if not self.c > 0:
            raise ValueError(f"c (inverse regularisation strength) must be > 0; got {self.c!r}")
        if self.monotone is not None and (
            not isinstance(self.monotone, Mapping)
            or any(d not in (-1, 0, 1) for d in self.monotone.values())
        ):
            raise ValueError(f"monotone must map column names to -1, 0 or 1; got {self.monotone!r}")

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike) -> WoeScorecard:
        self._check_params()
        frame, target = _check_fit_input(self, X, y)
        if len(target) != len(frame):
            raise InvalidInputError(f"{len(frame)} rows but {len(target)} outcomes")
        if not np.isin(target, (0.0, 1.0)).all() or target.min() == target.max():
            raise InvalidInputError("the scorecard needs outcomes of 0 and 1, both present")
        directions = dict(self.monotone or {})
        bins = {
            str(name): _bins_for(
                str(name),
                frame[name],
                target,
                not _text_like(frame[name]),
                self.max_bins,
                self.min_bin_share,
                int(directions.get(str(name), 0)),
            )
            for name in frame.columns
        }
        self.columns_ = list(bins)
        self.information_value_ = {n: b.information_value for n, b in bins.items()}
        selected = [n for n, b in bins.items() if b.information_value >= self.min_information_value]
        # With no column above the bar, keep them all rather than fit an intercept-only model.
        self.selected_ = selected or list(bins)
        self.bins_ = {n: bins[n] for n in self.selected_}
        with _one_blas_thread():
            return self._fit_weights(frame, target, bins)

    def _fit_weights(
        self, frame: pd.DataFrame, target: NDArray[np.float64], bins: dict[str, ColumnBins]
    ) -> WoeScorecard:
        """The logistic weights of the selected columns' WOE, dropping any column the fit reads
        backwards (a negative weight)."""
        names, every = list(self.selected_), self.transform(frame)
        keep = list(range(len(names)))
        start: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
        while True:
            # Newton steps (n_samples >> n_features): a few exact iterations where L-BFGS took
            # ~40 loose ones, so a tight tolerance costs one more step at most; each refit
            # starts from the previous fit less the dropped column.
            model = LogisticRegression(
                C=self.c,
                solver="newton-cholesky",
                tol=1e-8,
                max_iter=1000,
                warm_start=start is not None,
            )
            if start is not None:
                model.coef_, model.intercept_ = start
            woe = every[:, keep]
            model.fit(woe, target)
            coef = model.coef_.ravel().astype("float64")
            if coef.min() >= 0 or len(keep) == 1:
                break
            # A negative weight on a WOE reads the column backwards: drop the worst and refit.
            worst = int(np.argmin(coef))
            keep.pop(worst)
            start = (np.delete(model.coef_, worst, axis=1), model.intercept_.copy())
        self.selected_ = [names[i] for i in keep]
        self.bins_ = {n: bins[n] for n in self.selected_}
        self.coef_ = np.maximum(coef, 0.0)
        self.intercept_ = float(model.intercept_[0])
        self.woe_mean_ = woe.mean(axis=0).astype("float64")
        return self

    def decision_function(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Log-odds of default of each row (before any calibration)."""
        check_is_fitted(self, "coef_")
        woe = self.transform(frame)
        # Column by column, as a sum of contributions is: one row scores exactly as in a batch.
        z = np.full(len(woe), self.intercept_)
        for j in range(woe.shape[1]):
            z += woe[:, j] * self.coef_[j]
        return z

    def contributions(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Per-row log-odds contribution of every fitted input column (in ``columns_`` order,
        zero for columns left out) and, last, the base value: ``coefficient × (WOE − mean
        training WOE)`` per column, ``intercept + Σ coefficient × mean WOE`` as the base. Each
        row sums to :meth:`decision_function`, as LightGBM's ``pred_contrib`` does."""
        check_is_fitted(self, "coef_")
        woe = self.transform(frame)
        out = np.zeros((len(woe), len(self.columns_) + 1), dtype="float64")
        position = {n: i for i, n in enumerate(self.columns_)}
        for j, name in enumerate(self.selected_):
            out[:, position[name]] = self.coef_[j] * (woe[:, j] - self.woe_mean_[j])
        out[:, -1] = self.intercept_ + float(self.coef_ @ self.woe_mean_)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The fitted scorecard as plain JSON-ready data: parameters, bins, WOE, coefficients,
        intercept and mean WOE (:meth:`from_dict` rebuilds it)."""
        check_is_fitted(self, "coef_")
        params = self.get_params()
        params["monotone"] = None if self.monotone is None else dict(self.monotone)
        return {
            "format": SCORECARD_FORMAT,
            "params": params,
            "columns": list(self.columns_),
            "selected": list(self.selected_),
            "bins": [self.bins_[n].to_dict() for n in self.selected_],
            "coefficients": [float(c) for c in self.coef_],
            "intercept": self.intercept_,
            "woe_mean": [float(w) for w in self.woe_mean_],
            "information_value": dict(self.information_value_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WoeScorecard:
        """A fitted scorecard from :meth:`to_dict` output."""
        if data.get("format") != SCORECARD_FORMAT:
            raise InvalidInputError("not a saved arscore WOE scorecard")
        card = cls(**data["params"])
        card.columns_ = [str(n) for n in data["columns"]]
        card.selected_ = [str(n) for n in data["selected"]]
        card.bins_ = {b["name"]: ColumnBins.from_dict(b) for b in data["bins"]}
        card.coef_ = np.asarray(data["coefficients"], dtype="float64")
        card.intercept_ = float(data["intercept"])
        card.woe_mean_ = np.asarray(data["woe_mean"], dtype="float64")
        card.information_value_ = {str(k): float(v) for k, v in data["information_value"].items()}
        card.n_features_in_ = len(card.columns_)
        return card

    def transform(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """WOE matrix of the selected columns."""
        check_is_fitted(self, "bins_")
        frame = _as_frame(frame, self)
        missing = [n for n in self.selected_ if n not in frame.columns]
        if missing:
            raise InvalidInputError(f"missing scorecard columns: {missing}")
        out = np.empty((len(frame), len(self.selected_)), dtype="float64")
        for j, name in enumerate(self.selected_):
            bins = self.bins_[name]
            out[:, j] = np.asarray(bins.woe)[bins.bin_index(frame[name])]
        return out

    def predict_pd(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Probability of default of each row."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(frame)))

    def predict_proba(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """scikit-learn style: columns are P(no default), P(default)."""
        p = self.predict_pd(frame)
        return np.column_stack([1.0 - p, p])

    def points_table(self) -> pd.DataFrame:
        """The scorecard as a table: points per bin; a customer's score is the sum over columns.

        Points share the master-scale scaling, ``offset + factor × ln(good:bad odds)``, with the
        intercept and offset spread evenly over the columns.
        """
        check_is_fitted(self, "coef_")
        factor = self.points_to_double_odds / math.log(2.0)
        offset = self.base_points - factor * math.log(self.base_odds)
        n = len(self.selected_)
        rows = []
        for coef, name in zip(self.coef_, self.selected_, strict=True):
            bins = self.bins_[name]
            for label, woe, count, defaults in zip(
                bins.labels, bins.woe, bins.counts, bins.defaults, strict=True
            ):
                points = offset / n - factor * (coef * woe + self.intercept_ / n)
                rows.append(
                    {
                        "feature": name,
                        "bin": label,
                        "count": count,
                        "default_rate": defaults / count if count else float("nan"),
                        "woe": woe,
                        "coefficient": coef,
                        "points": round(points, 1),
                        "information_value": bins.information_value,
                    }
                )
        return pd.DataFrame(rows)


def _as_frame(X: pd.DataFrame | ArrayLike, model: BaseEstimator) -> pd.DataFrame:
    """The input as columns: a DataFrame as it is (its column names find the bins), any other
    2-D array-like with its columns named by position ("0", "1", ...); a fitted model checks
    such an array has as many columns as it was fitted on (positions carry no names to check)."""
    if isinstance(X, pd.DataFrame):
        # Bins are keyed by the column name as text, so a frame with, say, integer column
        # names is scored the same way it was fitted.
        return X if _named_by_text(X) else X.rename(columns=str)
    array = np.asarray(X)  # a sparse matrix becomes a 0-D object array
    if array.ndim != 2:
        raise ValueError(
            f"expected a dense 2-D array of rows and columns, got a {array.ndim}-D one "
            "(sparse input is not supported). Reshape your data with array.reshape(-1, 1) "
            "for a single column or array.reshape(1, -1) for a single row."
        )
    if np.iscomplexobj(array):
        raise ValueError("Complex data not supported")
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and array.shape[1] != expected:
        raise ValueError(
            f"X has {array.shape[1]} features, but {type(model).__name__} is expecting "
            f"{expected} features as input."
        )
    return pd.DataFrame(array, columns=[str(j) for j in range(array.shape[1])])


def _named_by_text(frame: pd.DataFrame) -> bool:
    return all(isinstance(c, str) for c in frame.columns)


def _check_fit_input(
    model: BaseEstimator, X: pd.DataFrame | ArrayLike, y: ArrayLike | None
) -> tuple[pd.DataFrame, NDArray[np.float64]]:
    """The fit input as a frame and the outcomes as floats; sets ``n_features_in_`` and, when
    the columns have names, ``feature_names_in_``."""
    for attribute in ("n_features_in_", "feature_names_in_"):
        if hasattr(model, attribute):
            delattr(model, attribute)  # a refit forgets the previous fit's columns
    if y is None:
        raise ValueError(
            f"{type(model).__name__} requires y to be passed, but the target y is None"
        )
    frame = _as_frame(X, model)
    if frame.shape[1] == 0:
        raise ValueError(f"0 feature(s) (shape={frame.shape}) while a minimum of 1 is required.")
    model.n_features_in_ = frame.shape[1]
    if isinstance(X, pd.DataFrame) and _named_by_text(X):
        model.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
    return frame, column_or_1d(y, dtype="float64", warn=True)


def _frame_input_tags(tags: Tags) -> Tags:
    """What the binned models take: a frame of numeric and text columns, missing values
    allowed (they get their own bin), and an outcome to fit on."""
    tags.input_tags.allow_nan = True
    tags.input_tags.categorical = True
    tags.input_tags.string = True
    tags.target_tags.required = True
    return tags


def _text_like(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    return not pd.api.types.is_numeric_dtype(series.dtype)


class BinnedRegressionBaseline(RegressorMixin, TransformerMixin, BaseEstimator):
    """The transparent baseline of a quantity (e.g. days late): each column binned like the
    scorecard, each bin replaced by its average outcome (shrunk towards the overall average when
    the bin is small), then a ridge regression on those averages. A scikit-learn regressor and
    transformer (``transform`` gives the bin-average matrix) that passes every estimator check."""

    def __init__(self, max_bins: int = 8, min_bin_share: float = 0.05, shrinkage: float = 20.0):
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.shrinkage = shrinkage

    def __sklearn_tags__(self) -> Tags:
        return _frame_input_tags(super().__sklearn_tags__())

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike) -> BinnedRegressionBaseline:
        if isinstance(self.max_bins, bool) or not isinstance(self.max_bins, int):
            raise ValueError(f"max_bins must be an integer; got {self.max_bins!r}")
        if self.max_bins < 2:
            raise ValueError(f"max_bins must be at least 2; got {self.max_bins}")
        if self.shrinkage < 0:
            raise ValueError(f"shrinkage must be >= 0; got {self.shrinkage!r}")
        frame, target = _check_fit_input(self, X, y)
        if len(target) != len(frame):
            raise InvalidInputError(f"{len(frame)} rows but {len(target)} outcomes")
        if not np.isfinite(target).all():
            raise InvalidInputError("outcomes must be finite numbers")
        overall = float(target.mean())
        self.bins_: dict[str, ColumnBins] = {}
        self.bin_means_: dict[str, NDArray[np.float64]] = {}
        for name in frame.columns:
            layout = _layout(
                str(name),
                frame[name],
                not _text_like(frame[name]),
                self.max_bins,
                self.min_bin_share,
            )
            index = layout.bin_index(frame[name])
            counts = np.bincount(index, minlength=len(layout.labels)).astype("float64")
            sums = np.bincount(index, weights=target, minlength=len(layout.labels))
            self.bins_[str(name)] = layout
            self.bin_means_[str(name)] = (
                (sums + self.shrinkage * overall) / (counts + self.shrinkage)
                if self.shrinkage > 0
                else np.where(counts > 0, sums / np.maximum(counts, 1), overall)
            )
        with _one_blas_thread():
            self.model_ = Ridge(alpha=1.0).fit(self.transform(frame), target)
        return self

    def transform(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        """Bin-average matrix."""
        check_is_fitted(self, "bins_")
        frame = _as_frame(frame, self)
        missing = [n for n in self.bins_ if n not in frame.columns]
        if missing:
            raise InvalidInputError(f"missing baseline columns: {missing}")
        return np.column_stack(
            [self.bin_means_[n][b.bin_index(frame[n])] for n, b in self.bins_.items()]
        )

    def predict(self, frame: pd.DataFrame | ArrayLike) -> NDArray[np.float64]:
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(self.transform(frame)), dtype="float64")
