"""Validating a batch against the sub-ledger of the customers it touches gives the same verdict
as validating it against the whole stored ledger (what the API's bulk upserts rely on)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.storage import load_ledger, referenced_customers, write_ledger
from ledger.synth import SynthConfig, generate
from ledger.validate import IngestError, validate_frames


@pytest.fixture
def stored(engine: Engine) -> Engine:
    write_ledger(engine, generate(SynthConfig(customers=40, months=12, seed=3)).ledger)
    return engine


def _verdict(engine: Engine, batch: dict[str, pd.DataFrame], whole: bool) -> list[str]:
    with engine.connect() as connection:
        ids = None if whole else referenced_customers(connection, batch)
        existing = load_ledger(connection, ids, implied_payments=False)
    try:
        validate_frames(batch, existing, file_names=dict.fromkeys(batch, "records"))
    except IngestError as exc:
        return sorted(f"{i.row}:{i.column}:{i.reason}" for i in exc.issues)
    return []


def _raw(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    frame.index = pd.RangeIndex(1, len(rows) + 1)
    return frame


def _batches(engine: Engine) -> dict[str, dict[str, pd.DataFrame]]:
    ledger = load_ledger(engine, implied_payments=False)
    inv = ledger.invoices.iloc[5]
    other = ledger.customers["customer_id"][ledger.customers["customer_id"] != inv["customer_id"]]
    pay = ledger.payments.iloc[3]
    paid_inv = ledger.invoices.set_index("invoice_id").loc[pay["invoice_id"]]
    iso = "%Y-%m-%d"
    invoice = {
        "invoice_id": " NEW-1 ",
        "customer_id": f" {inv['customer_id']} ",
        "invoice_date": "2025-10-01",
        "due_date": "2025-10-31",
        "amount": "1200.50",
    }
    return {
        "new invoice": {"invoices": _raw([invoice])},
        "unknown customer": {"invoices": _raw([{**invoice, "customer_id": "NOBODY"}])},
        "invoice moved to another customer": {
            "invoices": _raw(
                [
                    {
                        **invoice,
                        "invoice_id": inv["invoice_id"],
                        "customer_id": other.iloc[0],
                        "invoice_date": inv["invoice_date"].strftime(iso),
                        "due_date": inv["due_date"].strftime(iso),
                        "amount": "1.00",
                    }
                ]
            )
        },
        "payment over the invoice amount": {
            "payments": _raw(
                [
                    {
                        "payment_id": "NEW-P",
                        "invoice_id": pay["invoice_id"],
                        "payment_date": "2025-12-01",
                        "amount": str(float(paid_inv["amount"]) * 2),
                    }
                ]
            )
        },
        "payment re-sent to another invoice": {
            "payments": _raw(
                [
                    {
                        "payment_id": pay["payment_id"],
                        "invoice_id": inv["invoice_id"],
                        "payment_date": "2025-12-01",
                        "amount": "1.00",
                    }
                ]
            )
        },
        "order for an unknown customer": {
            "orders": _raw(
                [
                    {
                        "order_id": "O-NEW",
                        "customer_id": "NOBODY",
                        "order_date": "2025-12-01",
                        "amount": "10",
                        "status": "open",
                    }
                ]
            )
        },
    }


def test_sub_ledger_verdict_equals_whole_ledger_verdict(stored: Engine) -> None:
    verdicts = {}
    for name, batch in _batches(stored).items():
        whole = _verdict(stored, batch, whole=True)
        assert _verdict(stored, batch, whole=False) == whole, name
        verdicts[name] = whole
    assert verdicts["new invoice"] == []
    assert verdicts["unknown customer"] == []  # an invoice export may introduce customers
    assert verdicts["order for an unknown customer"]
    assert verdicts["payment over the invoice amount"]


def test_touched_customers_include_the_owners_of_overwritten_rows(stored: Engine) -> None:
    ledger = load_ledger(stored, implied_payments=False)
    pay = ledger.payments.iloc[3]
    owner = ledger.invoices.set_index("invoice_id").loc[pay["invoice_id"], "customer_id"]
    batch = {"payments": _raw([{"payment_id": pay["payment_id"], "invoice_id": "ELSEWHERE"}])}
    with stored.connect() as connection:
        assert referenced_customers(connection, batch) == [owner]
