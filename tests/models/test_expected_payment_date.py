"""The expected payment date of an open invoice: due date plus expected days late, early
payers before the due date, and never before the as-of date for an invoice still open."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.scoring.invoices import expected_payment_dates

AS_OF = pd.Timestamp("2026-10-31")


def _dates(*days: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(days)))


def test_an_early_payer_is_expected_before_the_due_date() -> None:
    expected = expected_payment_dates(_dates("2026-11-20"), pd.Series([-5.4]), AS_OF)
    assert expected.iloc[0] == pd.Timestamp("2026-11-15")


def test_a_late_payer_is_expected_after_the_due_date() -> None:
    expected = expected_payment_dates(_dates("2026-11-20"), pd.Series([3.0]), AS_OF)
    assert expected.iloc[0] == pd.Timestamp("2026-11-23")


def test_an_open_invoice_is_never_expected_before_the_as_of_date() -> None:
    # due 2026-10-01 and expected 10 days late: the 11th has passed and it is still open
    overdue = expected_payment_dates(_dates("2026-10-01"), pd.Series([10.0]), AS_OF)
    assert overdue.iloc[0] == AS_OF
    # an early payer whose expected day (due minus 5) is already past
    early = expected_payment_dates(_dates("2026-11-02"), pd.Series([-5.0]), AS_OF)
    assert early.iloc[0] == AS_OF


def test_no_expected_days_late_gives_no_expected_date() -> None:
    expected = expected_payment_dates(_dates("2026-11-20"), pd.Series([np.nan]), AS_OF)
    assert pd.isna(expected.iloc[0])
