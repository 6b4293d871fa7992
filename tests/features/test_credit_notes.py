"""Credit notes in features, aging, exposure and labels (issue #11 item 2): netted against the
invoice they name, else oldest first; counted from their issue date only; never an invoice row
of a feature table, a label, the worklist or the aging's invoice table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.aging import age_ledger
from features.customer import customer_features_at
from features.invoice import build_invoice_features, build_invoice_features_at_issue
from features.ledger_arrays import LedgerArrays
from features.policy import DEFAULT_RULES
from ledger.frames import Ledger
from training.labels import late_payment_labels
from training.policy import TrainingPolicy
from training.samples import invoice_samples

from .conftest import known_at, random_ledger


@pytest.fixture
def credited() -> Ledger:
    """Written out so every figure can be checked by hand.

    C1 (limit 1,000):
      I1   2024-01-01 due 01-31   300
      I2   2024-02-01 due 03-02   500  paid 200 on 03-01
      CN1  2024-02-10            -100  names I2: I2 open 400 from 02-10
      CN2  2024-03-10            -600  names nothing: oldest first, I1 300 (due 01-31), then
                                       I2 200; 100 left unapplied. Both settled on 03-10.
    C2 (limit 1,000):
      CN3  2024-01-10             -50  before any invoice: 50 unapplied from 01-10
      I3   2024-01-15 due 02-14   400  open (a later invoice does not absorb the credit)
    """
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name": ["Alpha GmbH", "Beta SARL"],
            "onboarding_date": ["2023-06-01", "2023-06-01"],
            "payment_terms_days": [30, 30],
            "credit_limit": [1_000.0, 1_000.0],
            "currency": "EUR",
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2", "CN1", "CN2", "CN3", "I3"],
            "customer_id": ["C1", "C1", "C1", "C1", "C2", "C2"],
            "invoice_date": [
                "2024-01-01", "2024-02-01", "2024-02-10", "2024-03-10", "2024-01-10", "2024-01-15"
            ],
            "due_date": [
                "2024-01-31", "2024-03-02", "2024-02-10", "2024-03-10", "2024-01-10", "2024-02-14"
            ],
            "amount": [300.0, 500.0, -100.0, -600.0, -50.0, 400.0],
            "currency": "EUR",
            "reference_invoice_id": [None, None, "I2", None, None, None],
        }
    )  # fmt: skip
    payments = pd.DataFrame(
        {
            "payment_id": ["P1"],
            "invoice_id": ["I2"],
            "payment_date": ["2024-03-01"],
            "amount": [200.0],
        }
    )
    return Ledger.from_frames(customers, invoices, payments)


def test_a_credit_named_by_its_invoice_lowers_that_invoices_open_amount(credited: Ledger):
    report = age_ledger(credited, "2024-02-15")

    open_invoices = report.invoices["open_amount"]
    assert open_invoices.to_dict() == {"I1": 300.0, "I2": 400.0, "I3": 400.0}
    assert report.customers.loc["C1", ["open_ar", "unapplied_credit", "exposure"]].tolist() == [
        700.0,
        0.0,
        700.0,
    ]


def test_an_unreferenced_credit_nets_oldest_first_and_the_rest_is_unapplied(credited: Ledger):
    report = age_ledger(credited, "2024-03-15", include_settled=True)

    c1 = report.customers.loc["C1"]
    assert (c1["open_ar"], c1["unapplied_credit"], c1["exposure"]) == (0.0, 100.0, -100.0)
    invoices = report.invoices
    assert invoices.loc[["I1", "I2"], "status"].tolist() == ["paid", "paid"]
    assert invoices.loc[["I1", "I2"], "days_overdue"].tolist() == [39, 8]  # settled on 03-10
    c2 = report.customers.loc["C2"]
    assert (c2["open_ar"], c2["unapplied_credit"], c2["exposure"]) == (400.0, 50.0, 350.0)
    assert report.summary["unapplied_credit"] == 150.0
    assert c2["utilisation"] == pytest.approx(0.35)  # the limit check's net exposure


def test_a_credit_counts_from_its_issue_date_only(credited: Ledger):
    before = age_ledger(credited, "2024-02-09")

    assert before.customers.loc["C1", ["open_ar", "unapplied_credit"]].tolist() == [800.0, 0.0]
    assert before.invoices.loc["I2", "open_amount"] == 500.0
    assert before.customers.loc["C2", "unapplied_credit"] == 50.0  # CN3 is from 01-10


@pytest.mark.parametrize("as_of", ["2024-02-09", "2024-02-10", "2024-03-05", "2024-03-10"])
def test_features_and_aging_at_t_ignore_everything_after_t(credited: Ledger, as_of: str):
    full = LedgerArrays.from_ledger(credited)
    past = LedgerArrays.from_ledger(known_at(credited, as_of))

    pd.testing.assert_frame_equal(
        customer_features_at(full, as_of), customer_features_at(past, as_of)
    )
    pd.testing.assert_frame_equal(
        age_ledger(credited, as_of).customers,
        age_ledger(known_at(credited, as_of), as_of).customers,
    )


def test_point_in_time_on_random_ledgers_with_credit_notes():
    base = random_ledger(seed=5, customers=10, invoices=300)
    rng = np.random.default_rng(5)
    picked = base.invoices.sample(40, random_state=5)
    notes = picked.assign(
        invoice_id="CN-" + picked["invoice_id"],
        invoice_date=picked["invoice_date"] + pd.to_timedelta(rng.integers(0, 90, 40), unit="D"),
        amount=-np.round(picked["amount"] * rng.uniform(0.1, 1.5, 40), 2),
        reference_invoice_id=np.where(rng.random(40) < 0.5, picked["invoice_id"], None),
        disputed=False,
        dispute_date=pd.NaT,
        written_off_date=pd.NaT,
        paid_date=pd.NaT,
    )
    notes["due_date"] = notes["invoice_date"]
    ledger = Ledger.from_frames(
        base.customers, pd.concat([base.invoices, notes]), base.payments, base.orders
    )
    assert len(ledger.credit_notes) == 40
    assert not ledger.credit_allocation.applied.empty
    full = LedgerArrays.from_ledger(ledger)
    for as_of in ("2022-06-30", "2023-03-31", "2023-12-31"):
        past = known_at(ledger, as_of)
        assert len(past.credit_notes) < len(ledger.credit_notes), "needs credits after as_of"
        known = past.customers["customer_id"]
        pd.testing.assert_frame_equal(
            customer_features_at(full, as_of).loc[known],
            customer_features_at(LedgerArrays.from_ledger(past), as_of),
            check_exact=True,
        )
        pd.testing.assert_frame_equal(
            age_ledger(ledger, as_of, customer_ids=known).customers,
            age_ledger(past, as_of).customers,
        )


def test_credit_notes_are_never_invoice_rows(credited: Ledger):
    credit_ids = {"CN1", "CN2", "CN3"}

    assert credit_ids.isdisjoint(
        build_invoice_features(credited, "2024-12-31", scope="issued").index
    )
    assert credit_ids.isdisjoint(build_invoice_features_at_issue(credited).index)
    assert credit_ids.isdisjoint(
        age_ledger(credited, "2024-12-31", include_settled=True).invoices.index
    )
    assert credit_ids.isdisjoint(age_ledger(credited, "2024-02-15").invoices.index)  # worklist


def test_credited_invoices_are_labelled_by_when_payments_and_credits_cleared_them(
    credited: Ledger,
):
    labels = late_payment_labels(credited, pd.Timestamp("2024-12-31"), late_after_days=30)

    by_invoice = labels.set_index("invoice_id")
    assert set(by_invoice.index) == {"I1", "I2", "I3"}
    assert by_invoice.loc["I1", ["days_late", "late"]].tolist() == [39, 1]
    assert by_invoice.loc["I2", ["days_late", "late"]].tolist() == [8, 0]
    late_rows, days_rows = invoice_samples(credited, DEFAULT_RULES, TrainingPolicy())
    assert {"CN1", "CN2", "CN3"}.isdisjoint(set(late_rows.ids) | set(days_rows.ids))


def test_a_credit_is_not_a_partial_payment(credited: Ledger):
    features = customer_features_at(LedgerArrays.from_ledger(credited), "2024-02-15")

    assert features.loc["C1", "partial_payment_rate_12m"] == 0.0
    assert features.loc["C1", "open_ar"] == 700.0
    assert features.loc["C1", "invoice_amount_12m"] == 800.0  # volume: what was invoiced
