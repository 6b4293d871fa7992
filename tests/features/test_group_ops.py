"""Per-customer reductions: the signed median and the least-squares slope against a direct
computation, per group and independent of the other groups."""

from __future__ import annotations

import math

import numpy as np
import pytest

from features.group_ops import group_median_signed_days, group_slope


def test_signed_median_takes_early_payments_as_negative_days() -> None:
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    days = np.array([-5, -2, 3, 8, -7, -1, -4])
    median = group_median_signed_days(codes, 3, days)
    assert median[0] == 0.5  # (-2 + 3) / 2
    assert median[1] == -4
    assert math.isnan(median[2])  # no rows: no median


def test_signed_median_equals_numpy_on_random_groups() -> None:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 20, 500)
    days = rng.integers(-40, 120, 500)
    median = group_median_signed_days(codes, 20, days)
    for code in range(20):
        assert median[code] == np.median(days[codes == code])


def test_slope_equals_a_least_squares_fit_per_group() -> None:
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 6, 300)
    x = rng.integers(-365, 0, 300).astype(float)
    y = 0.05 * x * (codes + 1) + rng.normal(0, 3, 300)
    slope = group_slope(codes, 6, x, y)
    for code in range(6):
        inside = codes == code
        assert slope[code] == pytest.approx(np.polyfit(x[inside], y[inside], 1)[0], rel=1e-9)


def test_slope_needs_enough_rows_and_some_spread() -> None:
    codes = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    x = np.array([1.0, 2.0, 5.0, 5.0, 5.0, 1.0, 2.0, 3.0])
    y = np.array([1.0, 3.0, 1.0, 2.0, 3.0, 2.0, 4.0, 6.0])
    slope = group_slope(codes, 4, x, y, min_rows=3)
    assert math.isnan(slope[0])  # two rows: below min_rows
    assert math.isnan(slope[1])  # all on one day: no slope
    assert slope[2] == pytest.approx(2.0)
    assert math.isnan(slope[3])  # no rows


def test_a_groups_slope_does_not_depend_on_the_other_groups() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=50) * 100, rng.normal(size=50)
    alone = group_slope(np.zeros(50, dtype=np.int64), 1, x, y)
    codes = np.r_[np.zeros(50, dtype=np.int64), np.ones(40, dtype=np.int64)]
    mixed = group_slope(codes, 2, np.r_[x, rng.normal(size=40) * 1e6], np.r_[y, np.ones(40)])
    assert mixed[0] == alone[0]
