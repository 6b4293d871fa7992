"""scikit-learn's estimator contract, where the model layer claims it.

- ``BinnedRegressionBaseline`` (a regressor and a transformer) passes every check of
  ``parametrize_with_checks``.
- ``WoeScorecard`` runs every check too. It is a PD model: ``fit`` takes outcomes 0 and 1 with
  both present and refuses anything else, while the checks below fit every estimator that is
  neither a classifier nor a regressor on a multi-class target; those are expected to fail, and
  what they would have checked is checked here on 0/1 outcomes instead.
- The calibrators take a 1-D raw score, not a 2-D X, so they do not claim the full contract
  (most checks pass a matrix); they claim the parameter part of it and the fit/predict
  protocol, tested here with scikit-learn's own parameter checks and 1-D scores.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

from models.calibration import IsotonicCalibrator, PlattCalibrator
from models.scorecard import BinnedRegressionBaseline, WoeScorecard

_BINARY_OUTCOMES_ONLY = (
    "WoeScorecard fits a default model: outcomes must be 0 and 1, both present, and this check "
    "fits it on a multi-class target (see test_fit_contract_on_the_data_each_model_takes)"
)
_FAIL_ON_MULTICLASS_TARGETS = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    if isinstance(estimator, WoeScorecard):
        return dict.fromkeys(_FAIL_ON_MULTICLASS_TARGETS, _BINARY_OUTCOMES_ONLY)
    return {}


@parametrize_with_checks(
    [WoeScorecard(), BinnedRegressionBaseline()],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,  # a check that starts passing must come off the list
)
def test_binned_models_follow_the_sklearn_contract(estimator, check) -> None:
    check(estimator)


def _book(seed: int = 0, n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    days_late = rng.gamma(2.0, 8.0, n)
    days_late[::17] = np.nan
    frame = pd.DataFrame(
        {
            "days_late": days_late,
            "sector": rng.choice(["retail", "build", "food", "rare"], n, p=[0.4, 0.3, 0.28, 0.02]),
        }
    )
    logit = -2.0 + 0.06 * np.nan_to_num(days_late, nan=30.0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(float)
    return frame, y


def _fitted_attributes(estimator: object) -> set[str]:
    return {k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")}


def _predict(estimator, X):
    if isinstance(estimator, WoeScorecard):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def _fit_data(estimator):
    frame, y = _book()
    if isinstance(estimator, WoeScorecard):
        return frame, y
    # The calibrators take a 1-D raw score (the booster's log-odds).
    margin = -2.0 + 0.06 * frame["days_late"].fillna(30.0).to_numpy()
    return margin, y


CONTRACT = [WoeScorecard(max_bins=5, c=0.5), PlattCalibrator(), IsotonicCalibrator(0.001)]


@pytest.mark.parametrize("estimator", CONTRACT, ids=lambda e: type(e).__name__)
def test_fit_contract_on_the_data_each_model_takes(estimator) -> None:
    """What the checks expected to fail above would have asserted, on data each model takes:
    fit returns self and leaves the parameters alone, fitted state ends in ``_`` and nothing
    else is added, refitting gives the same answer, a clone forgets the fit, a pickle keeps it,
    a row's prediction does not depend on the batch it comes in."""
    X, y = _fit_data(estimator)
    params = estimator.get_params()
    before = set(vars(estimator))
    with pytest.raises(NotFittedError):
        _predict(estimator, X)
    assert estimator.fit(X, y) is estimator
    assert estimator.get_params() == params
    added = set(vars(estimator)) - before
    assert added
    assert added == _fitted_attributes(estimator), added - _fitted_attributes(estimator)
    first = _predict(estimator, X)
    np.testing.assert_array_equal(_predict(estimator.fit(X, y), X), first)
    unfitted = clone(estimator)
    assert unfitted.get_params() == params
    assert not _fitted_attributes(unfitted)
    np.testing.assert_array_equal(_predict(pickle.loads(pickle.dumps(estimator)), X), first)
    rows = X.iloc[::7] if isinstance(X, pd.DataFrame) else X[::7]
    np.testing.assert_allclose(_predict(estimator, rows), first[::7], rtol=1e-12)


@pytest.mark.parametrize(
    "check",
    [
        check_estimator_cloneable,
        check_estimator_repr,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
        check_do_not_raise_errors_in_init_or_set_params,
    ],
    ids=lambda c: c.__name__,
)
@pytest.mark.parametrize("cls", [PlattCalibrator, IsotonicCalibrator])
def test_calibrators_keep_the_parameter_contract(cls, check) -> None:
    """scikit-learn's own checks of the parameter part of the contract (the ones that do not
    fit on a 2-D X): get_params/set_params/clone round trips, no logic in ``__init__``."""
    check(cls.__name__, cls())


@pytest.mark.parametrize("cls", [PlattCalibrator, IsotonicCalibrator])
def test_calibrator_parameters_are_checked_in_fit_not_init(cls) -> None:
    calibrator = cls(pd_floor=2.0)  # accepted as given: validation belongs to fit
    assert calibrator.get_params() == {"pd_floor": 2.0}
    assert clone(calibrator.set_params(pd_floor=0.01)).pd_floor == 0.01
    calibrator.set_params(pd_floor=2.0)
    with pytest.raises(ValueError, match="pd_floor"):
        calibrator.fit(*_fit_data(calibrator))
