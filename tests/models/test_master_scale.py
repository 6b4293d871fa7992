"""The master scale: PD bands to grades, points-to-double-odds scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from models.errors import InvalidInputError
from models.master_scale import grade_of, pd_of_score, scale_table, score_of
from models.policy import MasterScalePolicy

SCALE = MasterScalePolicy()


def test_pd_on_a_band_bound_belongs_to_the_better_grade() -> None:
    assert grade_of([0.0, 0.001, 0.0010001, 0.25, 0.2500001, 1.0], SCALE).tolist() == [
        1,
        1,
        2,
        9,
        10,
        10,
    ]


def test_base_odds_score_base_points() -> None:
    pd_at_50_to_1 = 1.0 / 51.0
    assert score_of([pd_at_50_to_1], SCALE)[0] == pytest.approx(600.0)


def test_doubling_the_odds_adds_points_to_double_odds() -> None:
    odds = 50.0
    doubled = 100.0
    scores = score_of([1 / (1 + odds), 1 / (1 + doubled)], SCALE)
    assert scores[1] - scores[0] == pytest.approx(20.0)


def test_pd_of_score_inverts_score_of() -> None:
    pds = np.array([0.0005, 0.01, 0.2, 0.7])
    assert pd_of_score(score_of(pds, SCALE), SCALE) == pytest.approx(pds)


def test_scale_table_bands_touch_and_cover_zero_to_one() -> None:
    table = scale_table(SCALE)
    assert table["pd_from"].iloc[0] == 0.0
    assert table["pd_to"].iloc[-1] == 1.0
    assert (table["pd_from"].to_numpy()[1:] == table["pd_to"].to_numpy()[:-1]).all()
    assert (table["score_to"] > table["score_from"]).all()


@pytest.mark.parametrize(
    "bounds",
    [(0.1, 0.05, 1.0), (0.1, 0.5), (0.0, 1.0), (1.0,)],
    ids=["decreasing", "last-not-one", "zero-bound", "one-grade"],
)
def test_malformed_scale_is_refused(bounds: tuple[float, ...]) -> None:
    with pytest.raises(ValidationError, match="grade_pd_upper"):
        MasterScalePolicy(grade_pd_upper=bounds)


def test_unknown_policy_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        MasterScalePolicy.model_validate({"base_point": 600})


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan])
def test_pd_outside_zero_one_is_an_error(bad: float) -> None:
    with pytest.raises(InvalidInputError, match="between 0 and 1"):
        grade_of([0.1, bad], SCALE)
