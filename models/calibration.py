"""Probability calibration: turn the booster's raw log-odds into PDs that match observed rates.

Both calibrators are fitted on held-out data, are non-decreasing in the raw score (so monotone
constraints on the model survive calibration), floor the PD (no customer is ever riskless) and
serialise to plain JSON, so a served model holds no pickled object.

- Platt scaling (default): a two-parameter logistic fit. It keeps the ranking, so the AUC of the
  served PD equals the model's, and it is stable with the few hundred defaults a trade-credit book
  typically has.
- Isotonic regression: a free non-decreasing step function, better for large books, but it ties
  customers within a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted

from models.errors import InvalidInputError

CalibrationMethod = Literal["platt", "isotonic"]

DEFAULT_PD_FLOOR = 0.0003  # the Basel PD floor for corporate exposures (3 basis points)


class Calibrator(Protocol):
    """What the model bundle needs from a fitted calibrator."""

    def predict(self, margin: ArrayLike) -> NDArray[np.float64]: ...

    def to_dict(self) -> dict[str, Any]: ...


def _check_floor(pd_floor: object) -> float:
    if isinstance(pd_floor, bool) or not isinstance(pd_floor, int | float):
        raise ValueError(f"pd_floor must be a number; got {pd_floor!r}")
    if not 0.0 < float(pd_floor) < 0.5:
        raise ValueError(f"pd_floor must lie strictly between 0 and 0.5; got {pd_floor!r}")
    return float(pd_floor)


def _check_xy(margin: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(margin, dtype="float64").ravel()
    target = np.asarray(y, dtype="float64").ravel()
    if x.shape != target.shape:
        raise InvalidInputError(f"{len(x)} scores but {len(target)} outcomes")
    if not np.isfinite(x).all():
        raise InvalidInputError("calibration scores must be finite numbers")
    if not np.isin(target, (0.0, 1.0)).all():
        raise InvalidInputError("calibration outcomes must be 0 or 1")
    if target.min() == target.max():
        raise InvalidInputError(
            "calibration needs both defaults and non-defaults in the held-out data"
        )
    return x, target


class PlattCalibrator(BaseEstimator):
    """PD = 1 / (1 + exp(-(slope × margin + intercept))), fitted by maximum likelihood on
    Platt's smoothed targets (which keep a tiny held-out set from producing 0 or 1).

    Not a full scikit-learn estimator: it takes a 1-D raw score, not a 2-D X. It keeps the
    parameter part of the contract (get_params/set_params/clone, no logic in ``__init__``;
    ``pd_floor`` is checked in ``fit``), ``fit`` returns self, fitted state ends in ``_`` and
    ``predict`` raises ``NotFittedError`` before ``fit``
    (tests/models/test_estimator_contract.py)."""

    def __init__(self, pd_floor: float = DEFAULT_PD_FLOOR) -> None:
        self.pd_floor = pd_floor

    def fit(self, margin: ArrayLike, y: ArrayLike) -> PlattCalibrator:
        floor = _check_floor(self.pd_floor)
        x, target = _check_xy(margin, y)
        positives = target.sum()
        negatives = len(target) - positives
        smoothed = np.where(target == 1.0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
        slope, intercept = _newton_logistic(x, smoothed)
        if slope <= 0:
            raise InvalidInputError(
                "on the held-out data higher model scores do not mean more defaults; "
                "the model has learned nothing usable, so it cannot be calibrated"
            )
        self.slope_ = float(slope)
        self.intercept_ = float(intercept)
        self.pd_floor_ = floor
        return self

    def predict(self, margin: ArrayLike) -> NDArray[np.float64]:
        check_is_fitted(self, "slope_")
        z = self.slope_ * np.asarray(margin, dtype="float64") + self.intercept_
        return np.clip(1.0 / (1.0 + np.exp(-z)), self.pd_floor_, 1.0 - self.pd_floor_)

    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, "slope_")
        return {
            "method": "platt",
            "slope": self.slope_,
            "intercept": self.intercept_,
            "pd_floor": self.pd_floor_,
        }


def _newton_logistic(x: NDArray[np.float64], t: NDArray[np.float64]) -> tuple[float, float]:
    """Maximum-likelihood (slope, intercept) of a one-variable logistic model with soft
    targets: damped Newton steps on this convex problem converge in a handful of iterations."""
    design = np.column_stack([x, np.ones_like(x)])

    def loss(beta: NDArray[np.float64]) -> float:
        z = design @ beta
        return float(np.sum(np.logaddexp(0.0, z) - t * z))

    beta = np.array([1.0, 0.0])
    current = loss(beta)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (p - t)
        weights = np.maximum(p * (1.0 - p), 1e-12)
        hessian = design.T @ (design * weights[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6 and loss(beta - scale * step) > current:
            scale /= 2.0
        beta = beta - scale * step
        previous, current = current, loss(beta)
        if np.abs(scale * step).max() < 1e-10 or previous - current < 1e-12:
            break
    return float(beta[0]), float(beta[1])


class IsotonicCalibrator(BaseEstimator):
    """A non-decreasing step function of the margin, linearly interpolated between steps and
    flat beyond the fitted range.

    Not a full scikit-learn estimator: it takes a 1-D raw score, not a 2-D X. It keeps the
    parameter part of the contract (get_params/set_params/clone, no logic in ``__init__``;
    ``pd_floor`` is checked in ``fit``), ``fit`` returns self, fitted state ends in ``_`` and
    ``predict`` raises ``NotFittedError`` before ``fit``
    (tests/models/test_estimator_contract.py)."""

    def __init__(self, pd_floor: float = DEFAULT_PD_FLOOR) -> None:
        self.pd_floor = pd_floor

    def fit(self, margin: ArrayLike, y: ArrayLike) -> IsotonicCalibrator:
        floor = _check_floor(self.pd_floor)
        x, target = _check_xy(margin, y)
        iso = IsotonicRegression(increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(x, target)
        self.x_ = np.asarray(iso.X_thresholds_, dtype="float64")
        self.y_ = np.asarray(iso.y_thresholds_, dtype="float64")
        self.pd_floor_ = floor
        return self

    def predict(self, margin: ArrayLike) -> NDArray[np.float64]:
        check_is_fitted(self, "x_")
        values = np.interp(np.asarray(margin, dtype="float64"), self.x_, self.y_)
        return np.clip(values, self.pd_floor_, 1.0 - self.pd_floor_)

    def to_dict(self) -> dict[str, Any]:
        check_is_fitted(self, "x_")
        return {
            "method": "isotonic",
            "x": self.x_.tolist(),
            "y": self.y_.tolist(),
            "pd_floor": self.pd_floor_,
        }


def shift_log_odds(
    calibrator: PlattCalibrator | IsotonicCalibrator, shift: float
) -> PlattCalibrator | IsotonicCalibrator:
    """A copy of a fitted calibrator whose PDs are moved by ``shift`` in log-odds (the ranking
    is kept): Platt's intercept moves, an isotonic step function's levels move. The copy has
    the calibrator's own JSON form, so a shifted model is served like any other."""
    if isinstance(calibrator, PlattCalibrator):
        check_is_fitted(calibrator, "slope_")
        platt = PlattCalibrator(pd_floor=calibrator.pd_floor_)
        platt.slope_, platt.pd_floor_ = calibrator.slope_, calibrator.pd_floor_
        platt.intercept_ = calibrator.intercept_ + float(shift)
        return platt
    check_is_fitted(calibrator, "x_")
    iso = IsotonicCalibrator(pd_floor=calibrator.pd_floor_)
    levels = np.clip(calibrator.y_, 1e-12, 1.0 - 1e-12)
    iso.x_ = calibrator.x_.copy()
    iso.y_ = 1.0 / (1.0 + np.exp(-(np.log(levels / (1.0 - levels)) + float(shift))))
    iso.pd_floor_ = calibrator.pd_floor_
    return iso


def calibrate_to_rate(
    calibrator: PlattCalibrator | IsotonicCalibrator, margin: ArrayLike, rate: float
) -> tuple[PlattCalibrator | IsotonicCalibrator, float]:
    """The calibrator shifted in log-odds so that the mean PD of ``margin`` is ``rate``, and
    the shift: how a model of a more frequent event (60+ days past due) is brought down to the
    default rate while keeping its ranking. The mean PD rises with the shift, so bisection
    finds it (to 1e-9 of the rate unless the PD floor or ceiling makes the rate unreachable)."""
    if not 0.0 < rate < 1.0:
        raise InvalidInputError(
            f"a target default rate must lie strictly between 0 and 1; got {rate}"
        )
    values = np.asarray(margin, dtype="float64").ravel()
    if values.size == 0 or not np.isfinite(values).all():
        raise InvalidInputError("calibrating to a rate needs at least one finite model score")
    low, high = -30.0, 30.0
    for _ in range(200):
        middle = (low + high) / 2.0
        mean = float(shift_log_odds(calibrator, middle).predict(values).mean())
        if abs(mean - rate) < 1e-9:
            break
        low, high = (middle, high) if mean < rate else (low, middle)
    return shift_log_odds(calibrator, middle), middle


def make_calibrator(
    method: str, pd_floor: float = DEFAULT_PD_FLOOR
) -> PlattCalibrator | IsotonicCalibrator:
    """An unfitted calibrator for a policy's method name."""
    if method == "platt":
        return PlattCalibrator(pd_floor=pd_floor)
    if method == "isotonic":
        return IsotonicCalibrator(pd_floor=pd_floor)
    raise ValueError(f"calibration method must be 'platt' or 'isotonic'; got {method!r}")


def calibrator_from_dict(data: Mapping[str, Any]) -> PlattCalibrator | IsotonicCalibrator:
    """Rebuild a fitted calibrator from :meth:`to_dict` output."""
    method = data.get("method")
    if method == "platt":
        platt = PlattCalibrator(pd_floor=float(data["pd_floor"]))
        platt.slope_ = float(data["slope"])
        platt.intercept_ = float(data["intercept"])
        platt.pd_floor_ = float(data["pd_floor"])
        return platt
    if method == "isotonic":
        iso = IsotonicCalibrator(pd_floor=float(data["pd_floor"]))
        iso.x_ = np.asarray(data["x"], dtype="float64")
        iso.y_ = np.asarray(data["y"], dtype="float64")
        iso.pd_floor_ = float(data["pd_floor"])
        return iso
    raise InvalidInputError(f"unknown calibration method {method!r} in the saved model")
