"""Calibration: fitted on held-out data, it must bring PDs to observed rates."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from models.calibration import (
    IsotonicCalibrator,
    PlattCalibrator,
    calibrate_to_rate,
    calibrator_from_dict,
    make_calibrator,
)
from models.errors import InvalidInputError


def _miscalibrated(seed: int, n: int = 6000) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores that rank well but are too extreme and shifted: the true log-odds are
    (margin - 1) / 3."""
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(-2.0, 1.2, n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-true_logit))).astype(float)
    margin = 3.0 * true_logit + 1.0
    return margin, y


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_improves_brier_on_held_out_data(method: str) -> None:
    margin, y = _miscalibrated(seed=1)
    fit_part, held_out = slice(0, 3000), slice(3000, None)
    calibrator = make_calibrator(method).fit(margin[fit_part], y[fit_part])
    raw_pd = 1 / (1 + np.exp(-margin[held_out]))
    calibrated = calibrator.predict(margin[held_out])
    true_pd = 1 / (1 + np.exp(-(margin[held_out] - 1.0) / 3.0))
    raw_brier = brier_score_loss(y[held_out], raw_pd)
    calibrated_brier = brier_score_loss(y[held_out], calibrated)
    best_possible = brier_score_loss(y[held_out], true_pd)
    assert calibrated_brier < raw_brier
    assert calibrated_brier - best_possible < 0.25 * (raw_brier - best_possible)
    # Calibrated PDs match the observed default rate in level.
    assert calibrated.mean() == pytest.approx(y[held_out].mean(), abs=0.01)


def test_platt_recovers_the_true_scaling() -> None:
    margin, y = _miscalibrated(seed=2, n=40_000)
    platt = PlattCalibrator().fit(margin, y)
    assert platt.slope_ == pytest.approx(1 / 3, abs=0.03)
    assert platt.intercept_ == pytest.approx(-1 / 3, abs=0.1)


def test_platt_keeps_the_ranking() -> None:
    margin, y = _miscalibrated(seed=3)
    pd_values = PlattCalibrator().fit(margin, y).predict(margin)
    assert roc_auc_score(y, pd_values) == pytest.approx(roc_auc_score(y, margin))


@pytest.mark.parametrize("cls", [PlattCalibrator, IsotonicCalibrator])
def test_calibrated_pd_never_falls_as_the_score_rises(cls: type) -> None:
    margin, y = _miscalibrated(seed=4)
    grid = np.linspace(margin.min() - 5, margin.max() + 5, 500)
    pd_values = cls().fit(margin, y).predict(grid)
    assert (np.diff(pd_values) >= 0).all()


@pytest.mark.parametrize("cls", [PlattCalibrator, IsotonicCalibrator])
def test_pd_is_floored(cls: type) -> None:
    margin, y = _miscalibrated(seed=5)
    pd_values = cls(pd_floor=0.001).fit(margin, y).predict(np.array([-1e3, 1e3]))
    assert pd_values[0] == pytest.approx(0.001)
    assert pd_values[1] == pytest.approx(0.999)


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_json_round_trip_predicts_the_same(method: str) -> None:
    margin, y = _miscalibrated(seed=6)
    calibrator = make_calibrator(method).fit(margin, y)
    restored = calibrator_from_dict(json.loads(json.dumps(calibrator.to_dict())))
    assert restored.predict(margin) == pytest.approx(calibrator.predict(margin))


def test_scores_that_fall_with_risk_cannot_be_calibrated() -> None:
    margin, y = _miscalibrated(seed=7)
    with pytest.raises(InvalidInputError, match="higher model scores do not mean more defaults"):
        PlattCalibrator().fit(-margin, y)


def test_held_out_data_without_defaults_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="both defaults and non-defaults"):
        IsotonicCalibrator().fit(np.arange(10.0), np.zeros(10))


@pytest.mark.parametrize("floor", [0, 0.7, "0.01"])
def test_bad_pd_floor_is_named(floor: object) -> None:
    margin, y = _miscalibrated(seed=8, n=200)
    with pytest.raises(ValueError, match="pd_floor"):
        PlattCalibrator(pd_floor=floor).fit(margin, y)  # type: ignore[arg-type]


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="'platt' or 'isotonic'; got 'beta'"):
        make_calibrator("beta")


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibrating_to_a_rate_meets_the_rate_and_keeps_the_ranking(method: str) -> None:
    rng = np.random.default_rng(3)
    margin = rng.normal(size=4000)
    y = (rng.uniform(size=4000) < 1 / (1 + np.exp(-(margin - 1.0)))).astype(float)
    calibrator = make_calibrator(method).fit(margin, y)
    shifted, shift = calibrate_to_rate(calibrator, margin, 0.02)
    before, after = calibrator.predict(margin), shifted.predict(margin)
    assert after.mean() == pytest.approx(0.02, abs=1e-6)
    assert shift < 0  # a more frequent event is brought down
    order = np.argsort(before, kind="stable")
    assert np.all(np.diff(after[order]) >= -1e-12)  # the ranking is kept
    reloaded = calibrator_from_dict(json.loads(json.dumps(shifted.to_dict())))
    assert np.allclose(reloaded.predict(margin), after)


def test_a_rate_outside_zero_and_one_is_refused() -> None:
    calibrator = make_calibrator("platt").fit([0.0, 1.0, 2.0, 3.0], [0, 0, 1, 1])
    with pytest.raises(InvalidInputError, match="strictly between 0 and 1"):
        calibrate_to_rate(calibrator, [0.5, 1.5], 1.0)
