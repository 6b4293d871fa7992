"""The customer-level aging a score shows is exactly the full report's customer part, and
passing features already computed changes nothing."""

from __future__ import annotations

import pandas as pd

from features.aging import age_arrays, customer_aging
from features.customer import customer_features_at
from features.ledger_arrays import LedgerArrays, to_day
from ledger.synth import SynthConfig, generate


def test_customer_aging_equals_the_full_reports_customer_part() -> None:
    arrays = LedgerArrays.from_ledger(
        generate(SynthConfig(customers=150, months=18, seed=4)).ledger
    )
    for as_of in ("2025-12-31", "2026-10-31"):
        full = age_arrays(arrays, as_of)
        features = customer_features_at(arrays, to_day(as_of))
        for part in (
            customer_aging(arrays, as_of),
            customer_aging(arrays, as_of, features=features),
        ):
            pd.testing.assert_frame_equal(part.customers, full.customers)
            pd.testing.assert_frame_equal(part.warnings, full.warnings)
            assert part.buckets == full.buckets
        assert len(full.warnings) > 0
        with_features = age_arrays(arrays, as_of, features=features)
        pd.testing.assert_frame_equal(with_features.invoices, full.invoices)
        assert with_features.summary == full.summary
