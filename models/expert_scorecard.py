"""The expert scorecard: the fallback tier that gives every customer and applicant a PD,
grade, limit and reasons when no trained model can (a small book with too few defaults, an
invoices-only export, onboarding before any onboarding model).

Its points per factor live in the credit policy (:class:`models.policy.ExpertScorecardPolicy`);
this module turns a feature frame into points, PDs and reasons. Reasons are the factors whose
points moved the customer furthest from the neutral band (0 points), in log-odds of default
like a model's reasons and worded with the same feature texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models.errors import InvalidInputError
from models.policy import ExpertScorecardPolicy
from models.reasons import Explanation, FeatureText, explain_row


def factor_points(features: pd.DataFrame, policy: ExpertScorecardPolicy) -> pd.DataFrame:
    """Each customer's points per factor (rows as ``features``, one column per factor).

    A value scores the band whose upper edge it does not exceed first; a missing value scores
    the factor's ``missing_points``.
    """
    absent = [name for name in policy.factors if name not in features.columns]
    if absent:
        raise InvalidInputError(f"the expert scorecard needs feature column(s) {absent}")
    columns: dict[str, NDArray[np.float64]] = {}
    for name, factor in policy.factors.items():
        values = pd.to_numeric(features[name], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        band = np.searchsorted(np.asarray(factor.edges, dtype=float), values, side="left")
        points = np.asarray(factor.points, dtype=float)[np.minimum(band, len(factor.edges))]
        columns[name] = np.where(np.isnan(values), factor.missing_points, points)
    return pd.DataFrame(columns, index=features.index)


def pd_of_points(points: NDArray[np.float64], policy: ExpertScorecardPolicy) -> NDArray[np.float64]:
    """``1 / (1 + exp(-(a + b × points)))``: the portfolio default rate at 0 points, the odds
    of default halved by every ``points_to_double_odds`` points."""
    logit = policy.intercept + policy.slope * np.asarray(points, dtype=float)
    return 1.0 / (1.0 + np.exp(-logit))


@dataclass(frozen=True)
class ExpertScores:
    """The scorecard's result for a batch: total points, PD and reasons of each row."""

    points: NDArray[np.float64]
    pd: NDArray[np.float64]
    explanations: list[Explanation]


def score_expert(
    features: pd.DataFrame,
    policy: ExpertScorecardPolicy,
    top_n: int = 3,
    texts: Mapping[str, FeatureText] | None = None,
) -> ExpertScores:
    """Points, PD and the ``top_n`` reasons each way of every row of ``features``.

    A factor's contribution is its points in log-odds of default (``b × points``, positive
    raises risk); factors in their neutral band are never reasons.
    """
    per_factor = factor_points(features, policy)
    totals = per_factor.sum(axis=1).to_numpy(dtype=float)
    contributions = per_factor.to_numpy(dtype=float) * policy.slope
    names = list(per_factor.columns)
    values = features[names].to_numpy(dtype=object)
    references: list[float | str | None] = [None] * len(names)
    categorical = [False] * len(names)
    base = np.full((len(features), 1), policy.intercept)
    rows = np.hstack([contributions, base])
    explanations = [
        explain_row(rows[i], names, values[i], references, categorical, top_n, texts)
        for i in range(len(features))
    ]
    return ExpertScores(totals, pd_of_points(totals, policy), explanations)
