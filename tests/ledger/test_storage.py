"""SQL storage: migrations, idempotent upsert, faithful round trip, filtered reads."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ledger import tables
from ledger.frames import Ledger
from ledger.storage import (
    StorageError,
    current_revision,
    load_ledger,
    make_engine,
    table_counts,
    upgrade,
    upsert_frames,
    write_ledger,
)


def small_ledger() -> Ledger:
    customers = pd.DataFrame(
        {
            "customer_id": ["000123", "000124"],
            "name": ["Acme GmbH", "Bolt SARL"],
            "country": ["DE", "FR"],
            "industry": ["manufacturing", "retail"],
            "onboarding_date": ["2023-01-15", "2024-02-01"],
            "payment_terms_days": [30, 45],
            "credit_limit": [50_000.0, None],
            "currency": ["EUR", "EUR"],
            "net_income": [-1250.5, None],
            "employees": [12, None],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["INV-1", "INV-2", "INV-3"],
            "customer_id": ["000123", "000123", "000124"],
            "invoice_date": ["2024-03-01", "2024-03-15", "2024-03-02"],
            "due_date": ["2024-03-31", "2024-04-14", "2024-04-16"],
            "amount": [1000.0, 250.25, 99.99],
            "currency": ["EUR", "EUR", "EUR"],
            "disputed": [False, True, False],
            "dispute_date": [None, "2024-03-20", None],
            "paid_date": [None, None, "2024-04-20"],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["P-1", "P-2"],
            "invoice_id": ["INV-1", "INV-1"],
            "payment_date": ["2024-03-30", "2024-04-05"],
            "amount": [600.0, 400.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["SO-1"],
            "customer_id": ["000124"],
            "order_date": ["2024-04-01"],
            "amount": [5000.0],
            "status": ["open"],
        }
    )
    return Ledger.from_frames(customers, invoices, payments, orders)


def test_upgrade_creates_schema_and_is_repeatable(engine: Engine) -> None:
    assert current_revision(engine) is not None
    upgrade(engine)
    assert table_counts(engine) == {"customers": 0, "invoices": 0, "payments": 0, "orders": 0}


def test_round_trip_keeps_every_value_and_dtype(engine: Engine) -> None:
    ledger = small_ledger()
    write_ledger(engine, ledger)
    loaded = load_ledger(engine)
    for name in ("customers", "invoices", "payments", "orders"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(ledger, name))
    assert loaded.customers["customer_id"].tolist() == ["000123", "000124"]  # leading zeros


def test_rewriting_the_same_rows_is_idempotent(engine: Engine) -> None:
    ledger = small_ledger()
    write_ledger(engine, ledger)
    write_ledger(engine, ledger)
    assert table_counts(engine) == {"customers": 2, "invoices": 3, "payments": 2, "orders": 1}
    pd.testing.assert_frame_equal(load_ledger(engine).invoices, ledger.invoices)


def test_upsert_updates_changed_rows_in_place(engine: Engine) -> None:
    ledger = small_ledger()
    write_ledger(engine, ledger)
    changed = ledger.invoices.copy()
    changed.loc[changed["invoice_id"] == "INV-3", "amount"] = 120.0
    with engine.begin() as connection:
        upsert_frames(connection, {"invoices": changed})
    loaded = load_ledger(engine).invoices.set_index("invoice_id")
    assert loaded.loc["INV-3", "amount"] == 120.0
    assert table_counts(engine)["invoices"] == 3


def test_implied_payments_are_derived_on_read_not_stored(engine: Engine) -> None:
    write_ledger(engine, small_ledger())
    with engine.connect() as connection:
        stored = connection.execute(select(tables.payments.c.payment_id)).scalars().all()
    assert sorted(stored) == ["P-1", "P-2"]
    derived = load_ledger(engine).payments.set_index("payment_id")
    assert derived.loc["INV-3#paid_date", "amount"] == pytest.approx(99.99)
    assert (
        "INV-3#paid_date"
        not in load_ledger(engine, implied_payments=False).payments["payment_id"].tolist()
    )


def test_filtered_read_returns_only_that_customers_rows(engine: Engine) -> None:
    write_ledger(engine, small_ledger())
    sub = load_ledger(engine, customer_ids=["000123"])
    assert sub.counts() == {"customers": 1, "invoices": 2, "payments": 2, "orders": 0}
    assert load_ledger(engine, customer_ids=["nobody"]).counts() == {
        "customers": 0,
        "invoices": 0,
        "payments": 0,
        "orders": 0,
    }


def test_failed_transaction_writes_nothing(engine: Engine) -> None:
    ledger = small_ledger()
    orphan = pd.DataFrame(
        {
            "payment_id": ["P-X"],
            "invoice_id": ["NO-SUCH-INVOICE"],
            "payment_date": pd.to_datetime(["2024-04-01"]),
            "amount": [1.0],
        }
    )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        upsert_frames(
            connection,
            {"customers": ledger.customers, "invoices": ledger.invoices, "payments": orphan},
        )
    assert table_counts(engine) == {"customers": 0, "invoices": 0, "payments": 0, "orders": 0}


def test_unsupported_database_is_refused_clearly() -> None:
    with pytest.raises(StorageError, match="unsupported database 'mysql'"):
        make_engine("mysql://root@localhost/test")


def test_decisions_are_append_only_in_the_database(engine: Engine) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    row = {
        "decision_id": "d-1",
        "created_at": datetime.now(UTC),
        "caller_name": "alice",
        "caller_role": "credit_officer",
        "endpoint": "POST /v1/scores",
        "customer_id": "000123",
        "model_versions": "{}",
        "policy_version": "p",
        "input_fingerprint": "0" * 64,
        "inputs": "{}",
        "outputs": "{}",
    }
    with engine.begin() as connection:
        connection.execute(tables.decisions.insert().values(**row))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(update(tables.decisions).values(outputs="tampered"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(delete(tables.decisions))
    with engine.connect() as connection:
        assert connection.execute(select(tables.decisions.c.outputs)).scalar_one() == "{}"


def test_migrations_match_the_table_definitions(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), tables.metadata)
    assert diffs == []
