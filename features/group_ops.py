"""Per-customer reductions over flat arrays keyed by customer code.

``np.bincount`` and ``ufunc.at`` cost a few nanoseconds per row and nothing per group, which is
what lets one code path serve five million invoices and a single customer alike. Every reduction
visits rows in their given order, so a customer's result does not depend on who else is present.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

Empty: TypeAlias = float | np.integer[Any]  # the value of a code with no rows (NaN, a sentinel)
_VALUE_BITS = 21  # medians take whole-day values below 2**21 (about 5,700 years)
_SIGNED_OFFSET = 1 << (_VALUE_BITS - 1)  # signed medians: -2**20 .. 2**20 - 1 days


def group_sum(codes: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``weights`` (or row count) per code, as float64."""
    if weights is None:
        return np.bincount(codes, minlength=n).astype(np.float64)
    return np.bincount(codes, weights=weights, minlength=n).astype(np.float64, copy=False)


def group_count(codes: np.ndarray, n: int, mask: np.ndarray) -> np.ndarray:
    """Rows per code where ``mask`` holds, as float64."""
    return np.bincount(codes, weights=mask.astype(np.float64), minlength=n)


def group_max(codes: np.ndarray, n: int, values: np.ndarray, empty: Empty) -> np.ndarray:
    """Maximum per code; ``empty`` (may be NaN) where a code has no rows."""
    out = np.full(n, empty, dtype=np.float64)
    # Same dtypes on both sides keep ufunc.at on numpy's fast path (20x faster than casting).
    np.fmax.at(out, codes.astype(np.int64, copy=False), values.astype(np.float64, copy=False))
    return out


def group_min(codes: np.ndarray, n: int, values: np.ndarray, empty: Empty) -> np.ndarray:
    """Minimum per code; ``empty`` (may be NaN) where a code has no rows."""
    out = np.full(n, empty, dtype=np.float64)
    np.fmin.at(out, codes.astype(np.int64, copy=False), values.astype(np.float64, copy=False))
    return out


def group_median_days(codes: np.ndarray, n: int, days: np.ndarray) -> np.ndarray:
    """Median of whole non-negative day counts per code (NaN where none), with one sort of
    packed ``code|value`` keys instead of a sort per group."""
    values = np.minimum(days.astype(np.int64), (1 << _VALUE_BITS) - 1)
    keys = np.sort((codes.astype(np.int64) << _VALUE_BITS) | values)
    sorted_values = (keys & ((1 << _VALUE_BITS) - 1)).astype(np.float64)
    counts = np.bincount(codes, minlength=n)
    starts = np.cumsum(counts) - counts
    out = np.full(n, np.nan)
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    out[has] = (sorted_values[low] + sorted_values[high]) / 2
    return out


def group_median_signed_days(codes: np.ndarray, n: int, days: np.ndarray) -> np.ndarray:
    """Median of whole day counts that may be negative (payments before the due date) per code,
    NaN where none: :func:`group_median_days` on values shifted to be non-negative."""
    shifted = np.clip(days.astype(np.int64), -_SIGNED_OFFSET, _SIGNED_OFFSET - 1) + _SIGNED_OFFSET
    return group_median_days(codes, n, shifted) - _SIGNED_OFFSET


def group_slope(
    codes: np.ndarray, n: int, x: np.ndarray, y: np.ndarray, min_rows: int = 2
) -> np.ndarray:
    """Least-squares slope of ``y`` on ``x`` per code; NaN with fewer than ``min_rows`` rows or
    when all of a code's ``x`` are equal (no slope to measure). Centred sums, so large ``x``
    values (day numbers) lose no precision."""
    count = group_sum(codes, n)
    mean_x = ratio(group_sum(codes, n, x), count)
    mean_y = ratio(group_sum(codes, n, y), count)
    dx = x - mean_x[codes]
    dy = y - mean_y[codes]
    sxx = group_sum(codes, n, dx * dx)
    slope = ratio(group_sum(codes, n, dx * dy), sxx)
    return np.where(count >= min_rows, slope, np.nan)


def distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique``'s hashing path is orders of magnitude slower on
    millions of int64 keys than a sort)."""
    ordered = np.sort(keys)
    if len(ordered) == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is zero (no basis to compare)."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def row_nanmedian(values: np.ndarray) -> np.ndarray:
    """Median of each row ignoring NaN; NaN for a row with no values (no warning noise)."""
    ordered = np.sort(values, axis=1)  # NaN sorts last
    valid = (~np.isnan(values)).sum(axis=1)
    out = np.full(len(values), np.nan)
    rows = np.flatnonzero(valid > 0)
    low = ordered[rows, (valid[rows] - 1) // 2]
    high = ordered[rows, valid[rows] // 2]
    out[rows] = (low + high) / 2
    return out
