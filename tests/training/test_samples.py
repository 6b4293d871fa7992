"""Training samples: features as of T beside labels after T, nothing censored, nobody in default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.customer import build_customer_features
from features.policy import RulesPolicy
from features.registry import CUSTOMER_FEATURES, FEATURES, model_inputs
from ledger.synth import SynthConfig, generate
from training.labels import first_default_dates, late_payment_labels
from training.policy import TrainingPolicy
from training.samples import (
    ONBOARDING_FEATURES,
    data_window,
    default_pd_sample,
    invoice_samples,
    onboarding_sample,
    snapshot_dates,
)

RULES = RulesPolicy()
POLICY = TrainingPolicy()


@pytest.fixture(scope="module")
def ledger():
    return generate(SynthConfig(customers=600, months=30, seed=11)).ledger


def test_snapshots_are_month_ends_whose_label_window_is_observed() -> None:
    dates = snapshot_dates(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"), 12)
    assert dates[0] == pd.Timestamp("2024-07-31")
    assert dates[-1] == pd.Timestamp("2024-12-31")
    assert all(d.is_month_end for d in dates)


def test_default_sample_rows_are_the_features_as_of_their_date(ledger) -> None:
    sample = default_pd_sample(ledger, RULES, POLICY)
    assert len(sample.y) > 1000
    t = sample.dates.iloc[len(sample.dates) // 2]
    rows = (sample.dates == t).to_numpy()
    direct = build_customer_features(ledger, t, RULES).loc[sample.ids[rows].to_numpy()]
    direct = direct[model_inputs(CUSTOMER_FEATURES)]  # the limit-derived features stay out
    pd.testing.assert_frame_equal(
        sample.X[rows].reset_index(drop=True), direct.reset_index(drop=True)
    )


def test_default_sample_leaves_out_customers_already_in_default(ledger) -> None:
    sample = default_pd_sample(ledger, RULES, POLICY)
    first = first_default_dates(ledger).reindex(sample.ids).to_numpy()
    assert not np.any(first <= sample.dates.to_numpy())
    # and every positive defaults within the horizon after its date
    positive = sample.y == 1
    horizon_end = (sample.dates + pd.DateOffset(months=12)).to_numpy()
    assert np.all(first[positive] > sample.dates.to_numpy()[positive])
    assert np.all(first[positive] <= horizon_end[positive])
    assert 0.005 < sample.y.mean() < 0.10


def test_no_sample_holds_a_feature_a_model_may_not_learn_from(ledger) -> None:
    late, days = invoice_samples(ledger, RULES, POLICY)
    samples = [default_pd_sample(ledger, RULES, POLICY), late, days]
    samples.append(onboarding_sample(ledger, RULES, POLICY))
    for sample in samples:
        assert len(sample.X.columns) > 5
        for name in sample.X.columns:
            assert FEATURES[name].model_input, f"{sample.task} learns from {name}"
        assert {"credit_limit", "credit_utilisation"}.isdisjoint(sample.X.columns)


def test_invoice_samples_keep_only_known_outcomes(ledger) -> None:
    late, days = invoice_samples(ledger, RULES, POLICY, late_after_days=5)
    _, end = data_window(ledger)
    labels = late_payment_labels(ledger, end, late_after_days=5).set_index("invoice_id")
    assert labels.loc[late.ids, "observable"].all()
    assert np.array_equal(late.y, labels.loc[late.ids, "late"].to_numpy().astype(float))
    assert not np.isnan(days.y).any()
    assert "customer_id" not in late.X.columns
    stricter, _ = invoice_samples(ledger, RULES, POLICY, late_after_days=30)
    assert stricter.y.mean() < late.y.mean()  # the threshold is honoured


def test_onboarding_sample_uses_only_what_an_applicant_provides(ledger) -> None:
    sample = onboarding_sample(ledger, RULES, POLICY)
    start, end = data_window(ledger)
    assert list(sample.X.columns) == list(ONBOARDING_FEATURES)
    assert (sample.dates >= start).all()
    assert (sample.dates + pd.DateOffset(months=12) <= end).all()
    assert len(sample.y) > 50


def test_a_short_ledger_starts_its_snapshots_earlier_down_to_the_floor() -> None:
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-06-30")  # 18 months
    assert len(snapshot_dates(start, end, 12)) == 0  # 6 months of warm-up leave nothing
    dates = snapshot_dates(start, end, 12, 6, min_warmup_months=2, min_snapshots=6)
    assert dates[0] == pd.Timestamp("2024-03-31")
    assert dates[-1] == pd.Timestamp("2024-06-30")
    long = snapshot_dates(start, pd.Timestamp("2026-12-31"), 12, 6, 2, min_snapshots=6)
    assert long[0] == pd.Timestamp("2024-07-31")
