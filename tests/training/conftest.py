"""Synthetic customer tables with dates, for the training tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest


@dataclass(frozen=True)
class Sample:
    features: pd.DataFrame
    target: np.ndarray
    times: pd.Series
    true_pd: np.ndarray


def make_sample(seed: int = 0, n: int = 3000, dip: bool = False) -> Sample:
    """Customers over three years whose default odds rise with days late and utilisation.

    With ``dip`` the true risk falls for 25–40 days late (a non-monotone pattern an
    unconstrained model will follow and a monotone one must not).
    """
    rng = np.random.default_rng(seed)
    days_late = rng.gamma(2.0, 9.0, n)
    utilisation = rng.uniform(0.0, 1.2, n)
    sector = rng.choice(["food", "mining", "retail", "transport"], n)
    noise = rng.normal(size=n)
    logit = -3.2 + 0.05 * days_late + 1.3 * utilisation + 0.7 * (sector == "mining")
    if dip:
        logit -= 2.5 * ((days_late > 25) & (days_late < 40))
    true_pd = 1 / (1 + np.exp(-logit))
    y = (rng.uniform(size=n) < true_pd).astype(int)
    times = pd.Series(
        pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    )
    features = pd.DataFrame(
        {"days_late": days_late, "utilisation": utilisation, "sector": sector, "noise": noise}
    )
    return Sample(features, y, times, true_pd)


@pytest.fixture(name="make_sample", scope="session")
def make_sample_fixture() -> Callable[..., Sample]:
    return make_sample
