"""The ledger training pipeline: tasks train or are skipped independently, reproducibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arscore.policy import Policy
from ledger.frames import Ledger
from ledger.synth import SynthConfig, generate
from training.pipeline import NothingTrainedError, train_ledger_models
from training.policy import TrainingPolicy

pytestmark = pytest.mark.slow  # the whole training pipeline on a 1,500-customer ledger

POLICY = Policy()


@pytest.fixture(scope="module")
def synthetic() -> Ledger:
    return generate(SynthConfig(customers=1500, months=36, seed=21)).ledger


def repaid(ledger: Ledger, days_after_due: int) -> Ledger:
    """The same ledger where every invoice is paid in full ``days_after_due`` after its due
    date: no defaults, no write-offs."""
    inv = ledger.invoices.assign(written_off_date=pd.NaT)
    payments = pd.DataFrame(
        {
            "payment_id": "PAY-" + inv["invoice_id"],
            "invoice_id": inv["invoice_id"],
            "payment_date": inv["due_date"] + pd.Timedelta(days=days_after_due),
            "amount": inv["amount"],
        }
    )
    return Ledger.from_frames(ledger.customers, inv, payments, ledger.orders)


# Where a test asks what was sampled and labelled, not how well the model ranks: few trees and
# no deployed refit.
QUICK = POLICY.training.model_copy(
    update={
        "refit_deployed": False,
        "lightgbm": POLICY.training.lightgbm.model_copy(
            update={"max_boost_rounds": 50, "early_stopping_rounds": 10}
        ),
    }
)


def train(
    ledger: Ledger,
    tasks: tuple[str, ...],
    late_after_days: int | None = None,
    training: TrainingPolicy = POLICY.training,
):
    return train_ledger_models(
        ledger,
        rules=POLICY,
        training=training,
        scale=POLICY.master_scale,
        tracking_uri=None,
        tasks=tasks,
        late_after_days=late_after_days,
    )


def test_ledger_without_defaults_still_trains_late_payment(synthetic: Ledger) -> None:
    rng = np.random.default_rng(0)
    ledger = repaid(synthetic, 0)
    # Some customers pay 40 days late: late (> 30) but never a default (< 90).
    late_customers = set(rng.choice(ledger.customers["customer_id"], 300, replace=False))
    slow = ledger.invoices["customer_id"].isin(late_customers).to_numpy()
    pay = ledger.payments.copy()
    pay.loc[slow, "payment_date"] += pd.Timedelta(days=40)
    ledger = Ledger.from_frames(ledger.customers, ledger.invoices, pay, ledger.orders)

    outcomes = {o.task: o for o in train(ledger, ("default_pd", "late_payment"))}

    assert outcomes["default_pd"].status == "skipped"
    assert " 0 events" in outcomes["default_pd"].reason
    assert outcomes["late_payment"].status == "trained"
    assert outcomes["late_payment"].metrics["auc"] > 0.8  # who pays late is learnable


def test_nothing_trainable_fails_and_says_why_for_each_task(synthetic: Ledger) -> None:
    with pytest.raises(NothingTrainedError) as caught:
        train(repaid(synthetic, 0), ("default_pd", "late_payment"))
    message = str(caught.value)
    assert "default_pd" in message
    assert "late_payment" in message


def test_same_data_and_seed_give_the_same_metrics(synthetic: Ledger) -> None:
    first = train(synthetic, ("default_pd",))[0]
    second = train(synthetic, ("default_pd",))[0]
    assert first.status == "trained"
    assert first.metrics == second.metrics
    assert first.baseline_metrics == second.baseline_metrics


def test_late_after_days_override_changes_the_label(synthetic: Ledger) -> None:
    strict = train(synthetic, ("late_payment",), late_after_days=0, training=QUICK)[0]
    lenient = train(synthetic, ("late_payment",), late_after_days=30, training=QUICK)[0]
    assert strict.sample != lenient.sample  # different event rates
