"""The ledger's own date: recorded by every load, read back by ``ledger_as_of``, declared with
``--as-of`` for an export taken on a known day, never before the data's latest date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, text

from ledger.as_of import (
    AsOfError,
    DataPolicy,
    LedgerDates,
    ledger_as_of,
    next_dates,
    read_ledger_dates,
    stale_warning,
)
from ledger.frames import Ledger
from ledger.ingest import IngestSources, ingest
from ledger.storage import alembic_config, upgrade, upsert_frames, write_ledger
from ledger.synth import SynthConfig, generate

from .ingest_files import BASE, edited, fail_without_writing
from .ingest_files import write_ledger as write_files

LATEST_IN_BASE = dt.date(2024, 3, 5)  # order O-2
FIRST_IN_BASE = dt.date(2024, 1, 10)  # invoice INV-1


def test_an_empty_ledger_has_no_as_of(engine: Engine) -> None:
    assert ledger_as_of(engine) is None
    assert read_ledger_dates(engine) == LedgerDates(None, None)


def test_ingest_records_the_latest_date_in_the_data(engine: Engine, tmp_path: Path) -> None:
    result = ingest(engine, IngestSources.from_dir(write_files(tmp_path)))

    assert result.data_as_of == LATEST_IN_BASE
    assert read_ledger_dates(engine) == LedgerDates(FIRST_IN_BASE, LATEST_IN_BASE)


def test_ingest_as_of_records_the_day_the_export_was_taken(engine: Engine, tmp_path: Path):
    declared = dt.date(2024, 3, 31)
    result = ingest(engine, IngestSources.from_dir(write_files(tmp_path)), as_of=declared)

    assert result.data_as_of == declared
    assert ledger_as_of(engine) == declared
    # a later load of older corrections keeps the declared date
    ingest(engine, IngestSources.from_dir(write_files(tmp_path / "again")))
    assert ledger_as_of(engine) == declared


def test_ingest_as_of_before_the_latest_evidence_is_refused(engine: Engine, tmp_path: Path):
    error = fail_without_writing(engine, write_files(tmp_path), as_of=dt.date(2024, 3, 1))

    assert "2024-03-01 is before the latest date in the data (2024-03-05)" in str(error)
    assert ledger_as_of(engine) is None


def test_ingest_as_of_before_evidence_already_stored_is_refused(engine: Engine, tmp_path: Path):
    ingest(engine, IngestSources.from_dir(write_files(tmp_path / "base")))
    # only a new customer's rows, all dated before the stored order of 2024-03-05
    files = {
        "customers": [BASE["customers"][0], edited([])["customers"][-1]],
        "invoices": [BASE["invoices"][0], edited([])["invoices"][-1]],
    }
    declared = dt.date(2024, 2, 15)  # after the new rows, before the stored order
    error = fail_without_writing(engine, write_files(tmp_path / "new", files), as_of=declared)
    assert "latest date in the data (2024-03-05)" in str(error)


def test_ingest_as_of_in_the_future_is_refused(engine: Engine, tmp_path: Path) -> None:
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    error = fail_without_writing(engine, write_files(tmp_path), as_of=tomorrow)
    assert "is in the future" in str(error)


def test_newer_rows_move_the_as_of_forward_and_older_ones_keep_it(engine: Engine) -> None:
    ledger = generate(SynthConfig(customers=20, months=6, seed=2)).ledger
    write_ledger(engine, ledger, as_of=dt.date(2026, 10, 31))
    assert ledger_as_of(engine) == dt.date(2026, 10, 31)
    invoice_id = ledger.invoices["invoice_id"].iloc[0]

    def payment(payment_id: str, day: str) -> Ledger:
        return Ledger.from_frames(
            payments=pd.DataFrame(
                {
                    "payment_id": [payment_id],
                    "invoice_id": [invoice_id],
                    "payment_date": [pd.Timestamp(day)],
                    "amount": [0.01],
                }
            )
        )

    write_ledger(engine, payment("EARLY-1", "2025-06-01"), source="an older correction")
    assert ledger_as_of(engine) == dt.date(2026, 10, 31)
    write_ledger(engine, payment("LATE-1", "2026-11-03"), source="a newer payment")
    assert ledger_as_of(engine) == dt.date(2026, 11, 3)


def test_next_dates_never_runs_past_today() -> None:
    today = dt.date(2026, 12, 7)
    scheduled = LedgerDates(dt.date(2026, 1, 1), dt.date(2026, 12, 20))  # an order for later

    assert next_dates(LedgerDates(), scheduled, today=today).as_of == today
    with pytest.raises(AsOfError, match="before the latest date in the data"):
        next_dates(LedgerDates(), scheduled, declared=today, today=today)


def test_migration_dates_a_ledger_loaded_before_dates_were_recorded(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003_model_reload_requests")
        connection.execute(text("DELETE FROM ingest_runs"))
    ledger = generate(SynthConfig(customers=10, months=4, seed=4)).ledger
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ingest_runs (source, customers, invoices, payments, orders) "
                "VALUES ('old', 0, 0, 0, 0)"
            )
        )
        upsert_frames(connection, {"customers": ledger.customers})
        # The invoices table as 0003 had it (no reference_invoice_id until 0007).
        old_columns = [c for c in ledger.invoices.columns if c != "reference_invoice_id"]
        rows = ledger.invoices[old_columns].astype(object).where(ledger.invoices.notna(), None)
        for column in ("invoice_date", "due_date", "dispute_date", "written_off_date", "paid_date"):
            rows[column] = [None if v is None else v.date() for v in rows[column]]
        connection.execute(
            text(
                f"INSERT INTO invoices ({', '.join(old_columns)}) "
                f"VALUES ({', '.join(':' + c for c in old_columns)})"
            ),
            rows.to_dict("records"),
        )
    upgrade(engine)

    dates = read_ledger_dates(engine)
    assert (
        dates.as_of
        == ledger.invoices[["invoice_date", "paid_date", "dispute_date", "written_off_date"]]
        .max()
        .max()
        .date()
    )
    assert dates.first == ledger.invoices["invoice_date"].min().date()


def test_stale_warning_after_the_policy_days() -> None:
    policy = DataPolicy(stale_after_days=7)
    as_of = dt.date(2026, 10, 31)

    assert stale_warning(as_of, policy, dt.date(2026, 11, 7)) is None
    warning = stale_warning(as_of, policy, dt.date(2026, 12, 5))
    assert warning is not None
    assert warning["code"] == "stale_data"
    assert "2026-10-31, 35 days ago" in warning["message"]
