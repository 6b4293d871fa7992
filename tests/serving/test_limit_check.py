"""The limit check's indexed-read position equals the full aging path's, for every customer and
several dates, on a synthetic ledger salted with the awkward cases (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from arscore.policy import Policy
from features.aging import age_arrays
from features.ledger_arrays import LedgerArrays
from ledger.frames import Ledger
from ledger.storage import load_ledger, make_engine, upgrade, write_ledger
from ledger.synth import SynthConfig, generate
from serving.limit_check import (
    LimitPosition,
    check_limit,
    check_position,
    position_from_aging,
    read_position,
)

DATES = [dt.date(2025, 3, 15), dt.date(2025, 12, 31), dt.date(2026, 6, 30), dt.date(2026, 10, 31)]
REFER_DAYS = 60


def _awkward_ledger() -> Ledger:
    """A small synthetic ledger plus: invoices settled only through ``paid_date``, a payment
    dated before its invoice, split payments on one day, a customer without invoices."""
    base = generate(SynthConfig(customers=120, months=24, seed=11)).ledger
    customers = base.customers.copy()
    invoices = base.invoices.copy()
    payments = base.payments.copy()
    paid_by_date = invoices["invoice_id"].iloc[::40]
    by_date = invoices["invoice_id"].isin(paid_by_date)
    last_payment = payments.groupby("invoice_id")["payment_date"].max()
    invoices.loc[by_date, "paid_date"] = invoices.loc[by_date, "invoice_id"].map(last_payment)
    payments = payments[~payments["invoice_id"].isin(paid_by_date)]
    early = payments.index[5::97]
    payments.loc[early, "payment_date"] -= pd.Timedelta(days=40)
    split = payments.iloc[7::53].copy()
    payments.loc[split.index, "amount"] = split["amount"] / 2
    split["amount"] = split["amount"] / 2
    split["payment_id"] = split["payment_id"] + "-b"
    payments = pd.concat([payments, split], ignore_index=True)
    lonely = customers.iloc[[0]].copy()
    lonely["customer_id"] = "C-NO-INVOICES"
    customers = pd.concat([customers, lonely], ignore_index=True)
    invoices = pd.concat([invoices, _credit_notes(invoices)], ignore_index=True)
    return Ledger.from_frames(
        customers=customers, invoices=invoices, payments=payments, orders=base.orders
    )


def _credit_notes(invoices: pd.DataFrame) -> pd.DataFrame:
    """Credit notes: 30% of every 30th invoice, 20 days after it, naming it (some land after it
    was paid and go to the customer's other invoices); and, unreferenced, a large credit on every
    17th invoice's date (netted oldest first, the rest left unapplied)."""
    named = invoices.iloc[::30].copy()
    named["reference_invoice_id"] = named["invoice_id"]
    named["invoice_id"] = "CN-R-" + named["invoice_id"]
    named["amount"] = -(named["amount"] * 0.3).round(2)
    named["invoice_date"] += pd.Timedelta(days=20)
    loose = invoices.iloc[5::17].copy()
    loose["reference_invoice_id"] = None
    loose["invoice_id"] = "CN-U-" + loose["invoice_id"]
    loose["amount"] = -(loose["amount"] * 4).round(2)
    notes = pd.concat([named, loose], ignore_index=True)
    notes["due_date"] = notes["invoice_date"]
    notes["disputed"] = False
    for column in ("dispute_date", "written_off_date", "paid_date"):
        notes[column] = pd.NaT
    return notes


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Ledger]]:
    path: Path = tmp_path_factory.mktemp("limit-check") / "ledger.db"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    upgrade(engine)
    write_ledger(engine, _awkward_ledger())
    yield engine, load_ledger(engine)
    engine.dispose()


def _ledger_has_the_awkward_cases(ledger: Ledger) -> None:
    inv = ledger.invoices
    assert inv["written_off_date"].notna().any()
    assert inv["disputed"].any()
    assert inv["paid_date"].notna().any()
    assert (ledger.orders["status"] == "open").any()
    assert (ledger.payments["payment_date"] > pd.Timestamp(DATES[0])).any()
    assert not inv["customer_id"].eq("C-NO-INVOICES").any()
    credits = ledger.credit_allocation
    assert credits.applied["credit_note_id"].str.startswith("CN-R-").any()
    assert credits.applied["credit_note_id"].str.startswith("CN-U-").any()
    assert (credits.unapplied["date"] <= pd.Timestamp(DATES[1])).any()


@pytest.mark.parametrize(
    "policy",
    [
        Policy(),
        Policy.model_validate(
            {
                "features": {"on_time_grace_days": 5},
                "overdue_risk": {
                    "late_share": {"medium": 0.2, "high": 0.4, "critical": 0.6},
                    "overdue_share": {"medium": 0.1, "high": 0.3, "critical": 0.5},
                    "min_overdue_amount": 0,
                },
            }
        ),
    ],
    ids=["default-policy", "late-share-can-stop"],
)
def test_indexed_position_equals_full_aging_for_every_customer_and_date(
    stored: tuple[Engine, Ledger], policy: Policy
) -> None:
    engine, ledger = stored
    _ledger_has_the_awkward_cases(ledger)
    decisions: set[str] = set()
    for day, customer_id, slow, fast in _both_positions(engine, ledger, policy, DATES):
        for amount in (0.0, 25_000.0):
            expected = check_position(slow, customer_id, amount, day, policy)
            got = check_position(fast, customer_id, amount, day, policy)
            assert got == expected, (customer_id, day, amount)
            decisions.add(got["decision"])
    assert decisions == {"approve", "refer", "decline"}


def _both_positions(
    engine: Engine, ledger: Ledger, policy: Policy, dates: list[dt.date]
) -> Iterator[tuple[dt.date, str, LimitPosition, LimitPosition]]:
    """Every customer's position on every date from the full aging and from the database,
    asserted equal field by field."""
    arrays = LedgerArrays.from_ledger(ledger)
    with engine.connect() as connection:
        for day in dates:
            report = age_arrays(arrays, day, policy)
            for customer_id in ledger.customers["customer_id"]:
                slow = position_from_aging(report, customer_id, REFER_DAYS)
                fast = read_position(connection, customer_id, day, policy, REFER_DAYS)
                assert fast is not None
                assert _close(fast, slow), (customer_id, day, fast, slow)
                yield day, customer_id, slow, fast


def _close(a: LimitPosition, b: LimitPosition) -> bool:
    """Equal field by field; money sums may differ in the last float bits (summation order)."""
    return all(
        getattr(a, f.name) == pytest.approx(getattr(b, f.name), nan_ok=True, abs=1e-6)
        for f in dataclasses.fields(a)
    )


def test_unknown_customer_has_no_position(stored: tuple[Engine, Ledger]) -> None:
    engine, _ = stored
    with engine.connect() as connection:
        assert read_position(connection, "NOBODY", DATES[-1], Policy(), REFER_DAYS) is None


def test_customer_without_invoices_is_exposed_only_by_open_orders(
    stored: tuple[Engine, Ledger],
) -> None:
    engine, ledger = stored
    with engine.connect() as connection:
        position = read_position(connection, "C-NO-INVOICES", DATES[-1], Policy(), REFER_DAYS)
    assert position is not None
    assert position.open_ar == 0
    assert position.max_days_overdue == 0
    expected = check_limit(ledger, "C-NO-INVOICES", 100.0, DATES[-1], Policy(), REFER_DAYS)
    assert check_position(position, "C-NO-INVOICES", 100.0, DATES[-1], Policy()) == expected


@pytest.mark.postgres
def test_position_on_postgresql_equals_full_aging(pg_engine: Engine) -> None:
    """Dates come back as dates and money as floats on PostgreSQL too."""
    write_ledger(pg_engine, _awkward_ledger())
    ledger = load_ledger(pg_engine)
    compared = list(_both_positions(pg_engine, ledger, Policy(), DATES[1:]))
    assert len(compared) == len(ledger.customers) * len(DATES[1:])
