"""Performance figures: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import InvalidInputError
from models.metrics import (
    binary_metrics,
    calibration_table,
    grade_calibration,
    ks_statistic,
    regression_metrics,
)
from models.policy import MasterScalePolicy


def test_perfect_ranking_has_auc_one_gini_one_ks_one() -> None:
    m = binary_metrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert (m["auc"], m["gini"], m["ks"]) == (1.0, 1.0, 1.0)


def test_hand_computed_case() -> None:
    y = [0, 1, 0, 1]
    pd_values = [0.1, 0.4, 0.35, 0.8]
    m = binary_metrics(y, pd_values)
    # Pairs (defaulter, payer): (0.4 > 0.1), (0.4 > 0.35), (0.8 > 0.1), (0.8 > 0.35): AUC 1.
    # Brier: (0.01 + 0.36 + 0.1225 + 0.04) / 4
    assert m["brier"] == pytest.approx((0.01 + 0.36 + 0.1225 + 0.04) / 4)
    assert m["positive_rate"] == 0.5
    assert ks_statistic([0, 1, 1, 0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.5)


def test_calibration_table_bins_hold_equal_counts() -> None:
    rng = np.random.default_rng(0)
    pd_values = rng.uniform(0, 0.3, 1000)
    y = (rng.uniform(size=1000) < pd_values).astype(int)
    table = calibration_table(y, pd_values, bins=10)
    assert table["n"].tolist() == [100] * 10
    assert table["mean_pd"].is_monotonic_increasing
    order = np.argsort(pd_values, kind="stable")
    assert table["observed_rate"].iloc[0] == pytest.approx(y[order[:100]].mean())
    assert (table["n"] * table["observed_rate"]).sum() == pytest.approx(y.sum())


def test_grade_calibration_counts_every_row_once() -> None:
    pd_values = np.array([0.0005, 0.0005, 0.01, 0.2, 0.5])
    table = grade_calibration([0, 0, 0, 1, 1], pd_values, MasterScalePolicy())
    assert table["n"].sum() == 5
    assert table.set_index("grade").loc[[1, 5, 9, 10], "n"].tolist() == [2, 1, 1, 1]
    assert table.set_index("grade").loc[10, "observed_rate"] == 1.0


def test_metrics_need_both_outcomes() -> None:
    with pytest.raises(InvalidInputError, match="both defaults and non-defaults"):
        binary_metrics([0, 0, 0], [0.1, 0.2, 0.3])


def test_regression_metrics_are_in_the_target_unit() -> None:
    m = regression_metrics([0.0, 10.0, 20.0], [2.0, 10.0, 14.0])
    assert m["mae"] == pytest.approx(8 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt((4 + 0 + 36) / 3))
