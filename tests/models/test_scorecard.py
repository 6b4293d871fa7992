"""The WOE scorecard baseline: bins, weights of evidence, points."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.scorecard import MISSING_BIN, OTHER_BIN, BinnedRegressionBaseline, WoeScorecard


def _data(seed: int = 0, n: int = 4000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    days_late = rng.gamma(2.0, 6.0, n)
    days_late[rng.uniform(size=n) < 0.05] = np.nan
    sector = rng.choice(["retail", "mining", "food", "rare"], n, p=[0.5, 0.3, 0.18, 0.02])
    noise = rng.normal(size=n)
    logit = -3.0 + 0.12 * np.nan_to_num(days_late, nan=30.0) + (sector == "mining") * 1.0
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"days_late": days_late, "sector": sector, "noise": noise}), y


def test_riskier_bins_get_higher_weight_of_evidence() -> None:
    frame, y = _data()
    card = WoeScorecard().fit(frame, y)
    woe = np.asarray(card.bins_["days_late"].woe[:-1])  # without the missing bin
    assert woe[-1] > 0 > woe[0]
    assert np.corrcoef(np.arange(len(woe)), woe)[0, 1] > 0.9


def test_rare_levels_are_pooled_and_unseen_levels_scored_as_other() -> None:
    frame, y = _data()
    card = WoeScorecard(min_bin_share=0.05).fit(frame, y)
    bins = card.bins_["sector"]
    assert bins.levels == ("food", "mining", "retail")
    assert bins.labels[-2:] == (OTHER_BIN, MISSING_BIN)
    index = bins.bin_index(pd.Series(["rare", "unknown-sector", None, "mining"]))
    assert index.tolist() == [3, 3, 4, 1]


def test_uninformative_column_is_left_out() -> None:
    frame, y = _data()
    card = WoeScorecard().fit(frame, y)
    assert card.information_value_["noise"] < 0.02
    assert card.selected_ == ["days_late", "sector"]


def test_a_directed_column_missing_on_every_row_is_fitted_and_left_out() -> None:
    # A feature nobody reported in the fit rows (no bureau scores on a small book) once
    # crashed the monotone pooling of its (empty) value bins.
    frame, y = _data()
    frame["bureau_score"] = np.nan
    card = WoeScorecard(monotone={"days_late": 1, "bureau_score": -1}).fit(frame, y)
    assert "bureau_score" not in card.selected_
    assert "days_late" in card.selected_
    assert np.isfinite(card.predict_proba(frame)[:, 1]).all()


def test_points_table_adds_up_to_the_master_scale_score() -> None:
    frame, y = _data()
    card = WoeScorecard().fit(frame, y)
    table = card.points_table()
    row = frame.iloc[[7]]
    total = 0.0
    for name in card.selected_:
        bins = card.bins_[name]
        label = bins.labels[bins.bin_index(row[name])[0]]
        total += table[(table.feature == name) & (table.bin == label)].points.iloc[0]
    pd_value = card.predict_pd(row)[0]
    factor = 20 / math.log(2)
    expected = 600 - factor * math.log(50) + factor * math.log((1 - pd_value) / pd_value)
    assert total == pytest.approx(expected, abs=0.2)  # points are rounded to 0.1 per column


def test_scorecard_ranks_far_better_than_chance() -> None:
    frame, y = _data(seed=1)
    test_frame, test_y = _data(seed=2)
    card = WoeScorecard().fit(frame, y)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(test_y, card.predict_pd(test_frame)) > 0.75


def test_columns_read_backwards_are_dropped_and_the_fit_is_the_cold_fit() -> None:
    """A column whose weight comes out negative is dropped and the rest refitted. Here the
    second column carries mostly the first one's measurement error: risky on its own (its
    information value passes the bar), it is used against its own WOE once the first column is
    in. Each refit starts from the previous one; the result must be the optimum that a fit from
    scratch finds on the columns kept."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    n = 6000
    signal, error = rng.normal(size=n), rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-2.0 + 1.5 * signal)))).astype(int)
    frame = pd.DataFrame({"measured": signal + error, "error_echo": error + 0.3 * signal})
    card = WoeScorecard().fit(frame, y)

    assert min(card.information_value_.values()) >= card.min_information_value
    assert card.selected_ == ["measured"]  # error_echo was dropped as read backwards
    cold = LogisticRegression(C=card.c, solver="newton-cholesky", tol=1e-8, max_iter=1000)
    cold.fit(card.transform(frame), y)
    np.testing.assert_allclose(card.coef_, cold.coef_.ravel(), atol=1e-6)
    assert card.intercept_ == pytest.approx(float(cold.intercept_[0]), abs=1e-6)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_bins": 1}, "max_bins must be at least 2; got 1"),
        ({"max_bins": 2.5}, "max_bins must be an integer; got 2.5"),
        ({"min_bin_share": 0.6}, "min_bin_share must lie in"),
        ({"c": 0}, "c \\(inverse regularisation strength\\) must be > 0; got 0"),
    ],
)
def test_bad_parameters_are_named(params: dict[str, object], message: str) -> None:
    frame, y = _data(n=200)
    with pytest.raises(ValueError, match=message):
        WoeScorecard(**params).fit(frame, y)  # type: ignore[arg-type]


def test_regression_baseline_follows_bin_averages() -> None:
    frame, _ = _data()
    days = np.nan_to_num(frame["days_late"].to_numpy(), nan=20.0) * 0.5
    baseline = BinnedRegressionBaseline().fit(frame, days)
    predicted = baseline.predict(frame)
    assert np.mean(np.abs(predicted - days)) < np.mean(np.abs(days - days.mean())) / 2
