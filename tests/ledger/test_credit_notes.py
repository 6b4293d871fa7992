"""Credit notes (negative invoice lines, issue #11 item 2): accepted at ingest, stored with the
invoices, held apart from them in memory, and netted by one convention (ledger.credit_notes)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.credit_notes import CreditNote, OpenItem, allocate
from ledger.frames import Ledger
from ledger.ingest import IngestSources, ingest
from ledger.storage import load_ledger
from ledger.summary import summarise
from ledger.synth import SynthConfig, generate, write

from .ingest_files import BASE, Table, fail_without_writing, write_ledger


def credit_row(
    credit_id: str, customer: str, day: str, amount: str, reference: str = ""
) -> list[str]:
    return [credit_id, customer, day, day, amount, "EUR", "no", "", "", "", reference]


def with_credit_notes(*rows: list[str], payments: Table = ()) -> dict[str, Table]:
    """BASE with a reference_invoice_id column and the given credit-note rows."""
    files = copy.deepcopy(BASE)
    invoices = files["invoices"]
    invoices[0].append("reference_invoice_id")
    for row in invoices[1:]:
        row.append("")
    invoices.extend(rows)
    files["payments"].extend(payments)
    return files


def test_credit_notes_load_with_the_invoices_and_are_held_apart(
    engine: Engine, tmp_path: Path
) -> None:
    files = with_credit_notes(
        credit_row("CN-1", "C001", "2024-02-15", "-300", "INV-3"),
        credit_row("CN-2", "C002", "2024-03-20", "-50.25"),
    )
    result = ingest(engine, IngestSources.from_dir(write_ledger(tmp_path, files)))

    assert result.rows["invoices"] == 5
    ledger = load_ledger(engine)
    assert sorted(ledger.invoices["invoice_id"]) == ["INV-1", "INV-2", "INV-3"]
    notes = ledger.credit_notes.set_index("invoice_id")
    assert notes.loc["CN-1", ["amount", "reference_invoice_id"]].tolist() == [-300.0, "INV-3"]
    assert pd.isna(notes.loc["CN-2", "reference_invoice_id"])
    # The one-customer read (the API's path) holds them apart too.
    assert load_ledger(engine, ["C002"]).credit_notes["invoice_id"].tolist() == ["CN-2"]
    # Loading the same file again changes nothing.
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path, files)))
    pd.testing.assert_frame_equal(load_ledger(engine).credit_notes, ledger.credit_notes)


CREDIT_RULES = [
    pytest.param(
        [credit_row("CN-1", "C001", "2024-02-15", "-300", "INV-404")],
        (),
        ("invoices.csv", 5, "reference_invoice_id"),
        "reference_invoice_id INV-404 is not in invoices.csv or the database",
        id="unknown-reference",
    ),
    pytest.param(
        [credit_row("CN-1", "C001", "2024-02-15", "-300", "INV-2")],
        (),
        ("invoices.csv", 5, "reference_invoice_id"),
        "reference_invoice_id INV-2 is an invoice of customer C002, not of C001; a credit note "
        "is netted against its own customer's invoices",
        id="other-customers-invoice",
    ),
    pytest.param(
        [credit_row("CN-1", "C001", "2024-02-15", "-300", "CN-1")],
        (),
        ("invoices.csv", 5, "reference_invoice_id"),
        "reference_invoice_id CN-1 names this row itself",
        id="references-itself",
    ),
    pytest.param(
        [
            credit_row("CN-1", "C001", "2024-02-15", "-300", "INV-3"),
            credit_row("CN-2", "C001", "2024-02-16", "-20", "CN-1"),
        ],
        (),
        ("invoices.csv", 6, "reference_invoice_id"),
        "reference_invoice_id CN-1 is a credit note itself (amount -300.00); name the invoice",
        id="references-a-credit-note",
    ),
    pytest.param(
        [credit_row("CN-1", "C001", "2024-02-15", "-300", "INV-3")],
        [["P-7", "CN-1", "2024-02-20", "300"]],
        ("payments.csv", 5, "invoice_id"),
        "invoice CN-1 is a credit note (amount -300.00); payments are applied to invoices",
        id="payment-on-a-credit-note",
    ),
    pytest.param(
        [credit_row("CN-1", "C001", "2024-02-15", "0", "INV-3")],
        (),
        ("invoices.csv", 5, "amount"),
        "amount 0 must be more than 0 (or less than 0 for a credit note)",
        id="zero-amount",
    ),
]


@pytest.mark.parametrize(("rows", "payments", "where", "reason"), CREDIT_RULES)
def test_a_broken_credit_note_rule_names_its_row_and_nothing_is_written(
    sqlite_engine: Engine, tmp_path: Path, rows, payments, where, reason
) -> None:
    folder = write_ledger(tmp_path, with_credit_notes(*rows, payments=payments))

    error = fail_without_writing(sqlite_engine, folder)

    assert error.total == 1, error.summary()
    (issue,) = error.issues
    assert (issue.file, issue.row, issue.column) == where
    assert reason in issue.reason


def test_a_credit_note_may_reference_an_invoice_already_stored(
    seeded: Engine, tmp_path: Path
) -> None:
    rows: Table = [
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "reference_invoice_id"],
        ["CN-9", "C001", "2024-03-01", "2024-03-01", "-100", "INV-3"],
    ]
    folder = tmp_path / "more"
    write_ledger(folder, {"invoices": rows})

    ingest(seeded, IngestSources(customers=None, invoices=folder / "invoices.csv"))

    assert load_ledger(seeded).credit_notes["invoice_id"].tolist() == ["CN-9"]


def test_a_credit_notes_paid_date_implies_no_payment() -> None:
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "CN1"],
            "customer_id": ["C1", "C1"],
            "invoice_date": pd.to_datetime(["2024-01-01", "2024-01-20"]),
            "due_date": pd.to_datetime(["2024-01-31", "2024-01-20"]),
            "amount": [100.0, -40.0],
            "paid_date": pd.to_datetime(["2024-02-05", "2024-01-25"]),
        }
    )
    ledger = Ledger.from_frames(customers=None, invoices=invoices)

    assert ledger.invoices["invoice_id"].tolist() == ["I1"]
    assert ledger.credit_notes["invoice_id"].tolist() == ["CN1"]
    assert ledger.payments["invoice_id"].tolist() == ["I1"]


D = dt.date


def items() -> list[OpenItem]:
    """Three invoices of one customer: A (oldest due), B, and C issued later."""
    return [
        OpenItem("B", D(2024, 1, 5), D(2024, 2, 4), 200.0, None),
        OpenItem("A", D(2024, 1, 1), D(2024, 1, 31), 100.0, None, [(D(2024, 1, 20), 30.0)]),
        OpenItem("C", D(2024, 3, 1), D(2024, 3, 31), 500.0, None),
    ]


def test_a_referenced_credit_goes_to_its_invoice_first_then_oldest_first() -> None:
    applied, unapplied = allocate(items(), [CreditNote("CN", D(2024, 2, 1), 250.0, "B")])

    assert [(a.invoice_id, a.amount) for a in applied] == [("B", 200.0), ("A", 50.0)]
    assert unapplied == []


def test_an_unreferenced_credit_nets_oldest_first_against_what_is_open_on_its_day() -> None:
    # A has 70 open after its instalment; C is not issued yet on the credit's day.
    credit = CreditNote("CN", D(2024, 2, 1), 400.0)
    applied, unapplied = allocate(items(), [credit])

    assert [(a.invoice_id, a.amount, a.day) for a in applied] == [
        ("A", 70.0, D(2024, 2, 1)),
        ("B", 200.0, D(2024, 2, 1)),
    ]
    assert unapplied == [(credit, 130.0)]


def test_a_credit_counts_only_what_was_open_on_its_own_day() -> None:
    paid = items()
    paid[0].payments.append((D(2024, 1, 25), 200.0))  # B paid before the credit
    applied, _ = allocate(paid, [CreditNote("CN", D(2024, 2, 1), 50.0, "B")])

    assert [(a.invoice_id, a.amount) for a in applied] == [("A", 50.0)]


def test_credits_are_applied_in_date_order_and_share_what_is_open() -> None:
    applied, unapplied = allocate(
        items(),
        [CreditNote("late", D(2024, 3, 5), 600.0), CreditNote("early", D(2024, 2, 1), 60.0)],
    )

    assert [(a.credit_note_id, a.invoice_id, a.amount) for a in applied] == [
        ("early", "A", 60.0),
        ("late", "A", 10.0),
        ("late", "B", 200.0),
        ("late", "C", 390.0),
    ]
    assert unapplied == []


def test_the_summary_counts_credit_notes_and_nets_open_amounts(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    files = with_credit_notes(
        credit_row("CN-1", "C001", "2024-02-15", "-300", "INV-3"),  # INV-3: 400 -> 100 open
        credit_row("CN-2", "C002", "2024-03-20", "-50.25"),  # INV-2: 150.50 -> 100.25 open
        credit_row("CN-3", "C002", "2024-03-25", "-500"),  # INV-2 settled, 399.75 unapplied
    )
    ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path, files)))

    summary = summarise(load_ledger(sqlite_engine), dt.date(2024, 3, 31))

    assert (summary.invoices, summary.credit_notes) == (3, 3)
    assert summary.credited_amount == pytest.approx(850.25)
    assert summary.unapplied_credit == pytest.approx(399.75)
    assert (summary.open_invoices, summary.open_amount) == (1, pytest.approx(100.0))
    assert summary.invoiced_amount == pytest.approx(1650.50)  # what was invoiced
    before = summarise(load_ledger(sqlite_engine), dt.date(2024, 3, 22))
    assert (before.credit_notes, before.unapplied_credit) == (2, 0.0)
    assert before.open_amount == pytest.approx(100.0 + 100.25)


def test_the_synthetic_ledger_may_carry_credit_notes_and_loads_them(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    plain = generate(SynthConfig(customers=60, months=6, seed=3))
    with_credits = generate(SynthConfig(customers=60, months=6, seed=3, credit_note_share=0.05))

    assert plain.ledger.credit_notes.empty
    for name in ("customers", "invoices", "payments", "orders"):  # the rest is unchanged
        pd.testing.assert_frame_equal(
            getattr(plain.ledger, name), getattr(with_credits.ledger, name)
        )
    notes = with_credits.ledger.credit_notes
    assert len(notes) > 10
    assert (notes["amount"] < 0).all()
    assert notes["reference_invoice_id"].notna().any()
    assert notes["reference_invoice_id"].isna().any()
    assert "reference_invoice_id" not in pd.read_csv(write(plain, tmp_path / "plain")["invoices"])

    ingest(sqlite_engine, IngestSources.from_dir(tmp_path / "plain"))
    write(with_credits, tmp_path / "credits")
    ingest(sqlite_engine, IngestSources.from_dir(tmp_path / "credits"))
    pd.testing.assert_frame_equal(
        load_ledger(sqlite_engine).credit_notes.sort_values("invoice_id", ignore_index=True),
        notes.sort_values("invoice_id", ignore_index=True),
        check_dtype=False,
    )


def test_an_invoice_with_stored_payments_cannot_turn_into_a_credit_note(
    seeded: Engine, tmp_path: Path
) -> None:
    rows: Table = [
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        ["INV-1", "C001", "2024-01-10", "2024-02-09", "-1000"],
    ]
    write_ledger(tmp_path / "flip", {"invoices": rows})

    error = fail_without_writing(seeded, tmp_path / "flip")

    (issue,) = error.issues
    assert (issue.file, issue.row, issue.column) == ("invoices.csv", 2, "amount")
    assert issue.reason == (
        "amount -1000 would make invoice INV-1 a credit note, but 1,000.00 of payments are "
        "stored for it; load the credit as a new line with its own id and reference_invoice_id "
        "INV-1"
    )


def test_the_ledgers_allocation_equals_allocating_each_account_whole() -> None:
    ledger = generate(SynthConfig(customers=80, months=12, seed=8, credit_note_share=0.1)).ledger
    paid: dict[str, list] = {}
    for p in ledger.payments.itertuples():
        paid.setdefault(p.invoice_id, []).append((p.payment_date.date(), p.amount))
    items: dict[str, list[OpenItem]] = {}
    for r in ledger.invoices.itertuples():
        day = r.invoice_date.date()
        written_off = None if pd.isna(r.written_off_date) else r.written_off_date.date()
        payments = [(max(d, day), a) for d, a in paid.get(r.invoice_id, [])]
        items.setdefault(r.customer_id, []).append(
            OpenItem(r.invoice_id, day, r.due_date.date(), r.amount, written_off, payments)
        )
    credits: dict[str, list[CreditNote]] = {}
    for n in ledger.credit_notes.itertuples():
        ref = None if pd.isna(n.reference_invoice_id) else n.reference_invoice_id
        credits.setdefault(n.customer_id, []).append(
            CreditNote(n.invoice_id, n.invoice_date.date(), -n.amount, ref)
        )
    expected_applied, expected_left = [], []
    for customer, notes in credits.items():
        done, left = allocate(items.get(customer, []), notes)
        expected_applied += [(a.credit_note_id, a.invoice_id, round(a.amount, 6)) for a in done]
        expected_left += [(c.credit_note_id, round(amount, 6)) for c, amount in left]

    got = ledger.credit_allocation
    applied = got.applied.assign(amount=got.applied["amount"].round(6))
    assert sorted(
        applied[["credit_note_id", "invoice_id", "amount"]].itertuples(index=False, name=None)
    ) == sorted(expected_applied)
    unapplied = got.unapplied.assign(amount=got.unapplied["amount"].round(6))
    assert sorted(
        unapplied[["credit_note_id", "amount"]].itertuples(index=False, name=None)
    ) == sorted(expected_left)
    named = ledger.credit_notes.set_index("invoice_id")["reference_invoice_id"].dropna()
    beyond = [a for a in expected_applied if a[0] in named.index and a[1] != named[a[0]]]
    assert beyond  # a named credit larger than its invoice's open amount went on oldest first
