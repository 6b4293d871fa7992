"""Approved credit limits survive a re-ingest of the ERP's customer file: a file's limit sets
only limits customers do not have, or with ``update_limits`` changes them, each change recorded
in credit_limit_changes (old, new, source, reason)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select, update

from ledger import tables
from ledger.credit_limits import INGEST_SOURCE
from ledger.ingest import IngestSources, ingest

from .ingest_files import BASE, edited, snapshot, write_ledger


def _limits(engine: Engine) -> dict[str, float | None]:
    customers = snapshot(engine).customers.set_index("customer_id")["credit_limit"]
    return {k: None if pd.isna(v) else float(v) for k, v in customers.items()}


def _changes(engine: Engine) -> list[tuple]:
    t = tables.credit_limit_changes
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                t.c.customer_id, t.c.old_amount, t.c.new_amount, t.c.changed_by, t.c.reason
            ).order_by(t.c.change_id)
        ).all()
    return [tuple(r) for r in rows]


def _approve(engine: Engine, customer_id: str, amount: float) -> None:
    """What the service's PUT /v1/customers/{id}/credit-limit writes to the customers table."""
    with engine.begin() as connection:
        connection.execute(
            update(tables.customers)
            .where(tables.customers.c.customer_id == customer_id)
            .values(credit_limit=amount)
        )


def test_first_ingest_takes_the_files_limits_and_records_no_change(engine: Engine, tmp_path: Path):
    result = ingest(engine, IngestSources.from_dir(write_ledger(tmp_path)))

    assert _limits(engine) == {"C001": 50_000.0, "C002": None}
    assert result.limit_changes == 0
    assert _changes(engine) == []  # a new customer's first limit arrives with the customer


def test_reingest_keeps_an_approved_limit_and_says_so(engine: Engine, tmp_path: Path):
    folder = write_ledger(tmp_path)
    ingest(engine, IngestSources.from_dir(folder))
    _approve(engine, "C001", 1_234.0)

    result = ingest(engine, IngestSources.from_dir(folder))

    assert _limits(engine)["C001"] == 1_234.0
    assert _changes(engine) == []
    assert result.limit_changes == 0
    [note] = [n for n in result.notes if "approved limit" in n]
    assert "1 customer (C001) has an approved limit" in note
    assert "--update-limits" in note


def test_reingest_sets_a_limit_only_where_there_is_none_and_records_it(
    engine: Engine, tmp_path: Path
):
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "a")))
    _approve(engine, "C001", 1_234.0)
    both = edited(
        [("customers", 2, "credit_limit", "60000"), ("customers", 3, "credit_limit", "8000")],
        canary=False,
    )

    result = ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "b", both)))

    assert _limits(engine) == {"C001": 1_234.0, "C002": 8_000.0}
    assert _changes(engine) == [
        ("C002", None, 8_000.0, INGEST_SOURCE, "credit_limit in the customers file customers.csv")
    ]
    assert result.limit_changes == 1


def test_update_limits_applies_the_files_limits_and_records_each_change(
    engine: Engine, tmp_path: Path
):
    folder = write_ledger(tmp_path)
    ingest(engine, IngestSources.from_dir(folder))
    _approve(engine, "C001", 1_234.0)

    result = ingest(engine, IngestSources.from_dir(folder), update_limits=True)
    again = ingest(engine, IngestSources.from_dir(folder), update_limits=True)

    assert _limits(engine) == {"C001": 50_000.0, "C002": None}
    reason = "credit_limit in the customers file customers.csv (ingest --update-limits)"
    assert _changes(engine) == [("C001", 1_234.0, 50_000.0, INGEST_SOURCE, reason)]
    assert (result.limit_changes, again.limit_changes) == (1, 0)  # the same limit: no change


def test_a_blank_limit_in_the_file_never_clears_an_approved_one(engine: Engine, tmp_path: Path):
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "a")))
    blank = edited([("customers", 2, "credit_limit", "")], canary=False)

    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "b", blank)), update_limits=True)

    assert _limits(engine)["C001"] == 50_000.0
    assert _changes(engine) == []


def test_a_file_without_limits_changes_no_limit(engine: Engine, tmp_path: Path):
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "a")))
    _approve(engine, "C001", 1_234.0)
    keep = [i for i, c in enumerate(BASE["customers"][0]) if c != "credit_limit"]
    slim = {**BASE, "customers": [[row[i] for i in keep] for row in BASE["customers"]]}

    result = ingest(
        engine, IngestSources.from_dir(write_ledger(tmp_path / "b", slim)), update_limits=True
    )

    assert _limits(engine) == {"C001": 1_234.0, "C002": None}
    assert result.limit_changes == 0
    assert _changes(engine) == []
