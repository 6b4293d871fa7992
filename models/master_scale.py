"""The master scale: one mapping from PD to risk grade and score points for every model.

Grades are what credit controllers act on and points are what scorecards print; both derive from
the calibrated PD so that a grade means the same default risk whichever model produced it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from models.errors import InvalidInputError
from models.policy import MasterScalePolicy

# Scores are finite only for 0 < PD < 1; a PD this close to the edge is treated as the edge.
_PD_EPSILON = 1e-6


def _as_pd_array(pd_values: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(pd_values, dtype="float64")
    bad = ~np.isfinite(values) | (values < 0.0) | (values > 1.0)
    if bad.any():
        position = int(np.flatnonzero(bad.ravel())[0])
        raise InvalidInputError(
            f"a probability of default must lie between 0 and 1; "
            f"got {values.ravel()[position]!r} at position {position}"
        )
    return values


def grade_of(pd_values: ArrayLike, policy: MasterScalePolicy) -> NDArray[np.int64]:
    """Risk grade (1 = best) of each PD: the first grade whose upper bound it does not exceed."""
    values = _as_pd_array(pd_values)
    bounds = np.asarray(policy.grade_pd_upper, dtype="float64")
    return np.searchsorted(bounds, values, side="left").astype("int64") + 1


def _scaling(policy: MasterScalePolicy) -> tuple[float, float]:
    factor = policy.points_to_double_odds / math.log(2.0)
    offset = policy.base_points - factor * math.log(policy.base_odds)
    return factor, offset


def score_of(pd_values: ArrayLike, policy: MasterScalePolicy) -> NDArray[np.float64]:
    """Score points of each PD: ``offset + factor × ln(good:bad odds)``, higher is better."""
    values = np.clip(_as_pd_array(pd_values), _PD_EPSILON, 1.0 - _PD_EPSILON)
    factor, offset = _scaling(policy)
    return offset + factor * np.log((1.0 - values) / values)


def pd_of_score(scores: ArrayLike, policy: MasterScalePolicy) -> NDArray[np.float64]:
    """The PD a score stands for (inverse of :func:`score_of`)."""
    factor, offset = _scaling(policy)
    odds = np.exp((np.asarray(scores, dtype="float64") - offset) / factor)
    return 1.0 / (1.0 + odds)


def scale_table(policy: MasterScalePolicy) -> pd.DataFrame:
    """The master scale as a table: grade, PD band and the score band it corresponds to."""
    upper = np.asarray(policy.grade_pd_upper, dtype="float64")
    lower = np.concatenate([[0.0], upper[:-1]])
    return pd.DataFrame(
        {
            "grade": np.arange(1, policy.n_grades + 1),
            "pd_from": lower,
            "pd_to": upper,
            "score_from": np.round(score_of(upper, policy), 1),
            "score_to": np.round(score_of(lower, policy), 1),
        }
    )
