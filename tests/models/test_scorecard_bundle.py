"""A WOE scorecard served like a booster: same bundle, same scoring and reasons, no pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.bundle import SCORECARD_FILE, ModelBundle, scorecard_frame
from models.calibration import PlattCalibrator
from models.feature_schema import FeatureSchema
from models.policy import MasterScalePolicy
from models.scorecard import WoeScorecard
from tests.models.conftest import CreditFrame


@pytest.fixture(scope="module")
def card_bundle() -> ModelBundle:
    from tests.models.conftest import credit_frame

    frame, y = credit_frame(11, 3000)
    schema = FeatureSchema.infer(frame, fill_missing=["years_trading"])
    matrix = scorecard_frame(schema, schema.to_matrix(frame))
    card = WoeScorecard(monotone={"avg_days_late": 1, "years_trading_missing": 1})
    card.fit(matrix.iloc[:2000], y[:2000])
    calibrator = PlattCalibrator().fit(card.decision_function(matrix.iloc[2000:]), y[2000:])
    return ModelBundle(
        task="test_pd",
        kind="binary",
        booster=card,
        schema=schema,
        calibrator=calibrator,
        master_scale=MasterScalePolicy(),
    )


def test_scorecard_bundle_round_trips_through_json_without_pickle(
    card_bundle: ModelBundle, credit_frame: CreditFrame, tmp_path: Path
) -> None:
    frame, _ = credit_frame(5, 200)
    saved = card_bundle.save(tmp_path / "bundle")
    assert sorted(p.name for p in saved.iterdir()) == [
        "bundle.json",
        "calibrator.json",
        "manifest.json",
        SCORECARD_FILE,
    ]
    loaded = ModelBundle.load(saved)
    assert loaded.estimator == "woe_scorecard"
    assert loaded.predict_pd(frame) == pytest.approx(card_bundle.predict_pd(frame), abs=1e-12)


def test_scorecard_contributions_sum_to_the_raw_score_and_give_reasons(
    card_bundle: ModelBundle, credit_frame: CreditFrame
) -> None:
    frame, _ = credit_frame(6, 50)
    contributions = card_bundle.contributions(frame)
    assert list(contributions.columns) == [*card_bundle.schema.names, "bias"]
    np.testing.assert_allclose(contributions.sum(axis=1), card_bundle.raw_score(frame))
    pd_values, explanations = card_bundle.predict_and_explain(frame, top_n=2)
    np.testing.assert_allclose(pd_values, card_bundle.predict_pd(frame))
    riskiest = int(np.argmax(frame["avg_days_late"]))
    assert explanations[riskiest].raising[0].feature == "avg_days_late"
    assert "portfolio median" in explanations[riskiest].raising[0].text


def test_a_scorecard_with_a_direction_never_lowers_the_pd_for_more_days_late(
    card_bundle: ModelBundle, credit_frame: CreditFrame
) -> None:
    frame, _ = credit_frame(7, 20)
    grid = np.linspace(0.0, 120.0, 41)
    for _, row in frame.iterrows():
        curve = pd.DataFrame([row.to_dict()] * len(grid))
        curve["avg_days_late"] = grid
        assert np.all(np.diff(card_bundle.predict_pd(curve)) >= 0)


def test_a_missing_value_scores_no_better_than_the_median(
    card_bundle: ModelBundle, credit_frame: CreditFrame
) -> None:
    frame, _ = credit_frame(8, 50)
    median = frame.assign(years_trading=card_bundle.schema.column("years_trading").fill)
    missing = frame.assign(years_trading=np.nan)
    assert np.all(card_bundle.predict_pd(missing) >= card_bundle.predict_pd(median) - 1e-12)
