"""A small fitted model bundle built directly from LightGBM, for the model-layer tests."""

from __future__ import annotations

from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.bundle import ModelBundle
from models.calibration import PlattCalibrator
from models.feature_schema import FeatureSchema
from models.policy import MasterScalePolicy


def credit_frame(seed: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers whose default odds rise with days late and utilisation; sector matters."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "avg_days_late": rng.gamma(2.0, 6.0, n),
            "utilisation": rng.uniform(0.0, 1.2, n),
            "sector": rng.choice(["food", "mining", "retail"], n),
            "years_trading": rng.integers(0, 40, n).astype(float),
        }
    )
    frame.loc[rng.uniform(size=n) < 0.05, "years_trading"] = np.nan
    logit = (
        -3.5
        + 0.09 * frame["avg_days_late"]
        + 1.2 * frame["utilisation"]
        + 0.8 * (frame["sector"] == "mining")
        - 0.02 * frame["years_trading"].fillna(5)
    )
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(float)
    return frame, y


CreditFrame = Callable[[int, int], tuple[pd.DataFrame, np.ndarray]]


@pytest.fixture(name="credit_frame")
def credit_frame_fixture() -> CreditFrame:
    """The synthetic-customer generator, for tests that need fresh rows."""
    return credit_frame


@pytest.fixture(scope="module")
def bundle() -> ModelBundle:
    frame, y = credit_frame(seed=11, n=3000)
    schema = FeatureSchema.infer(frame)
    matrix = schema.to_matrix(frame)
    params = {
        "objective": "binary",
        "num_leaves": 7,
        "learning_rate": 0.1,
        "min_data_in_leaf": 30,
        "num_threads": 2,
        "deterministic": True,
        "force_col_wise": True,
        "seed": 1,
        "verbosity": -1,
    }
    train = lgb.Dataset(
        matrix[:2000],
        label=y[:2000],
        feature_name=[f"f{i}" for i in range(matrix.shape[1])],
        categorical_feature=schema.categorical_positions,
    )
    booster = lgb.train(params, train, num_boost_round=60)
    calibrator = PlattCalibrator().fit(booster.predict(matrix[2000:], raw_score=True), y[2000:])
    return ModelBundle(
        task="test_pd",
        kind="binary",
        booster=booster,
        schema=schema,
        calibrator=calibrator,
        monotone={"avg_days_late": 1},
        metrics={"auc": 0.8},
        baseline_metrics={"auc": 0.75},
        master_scale=MasterScalePolicy(),
        info={"seed": 1},
    )
