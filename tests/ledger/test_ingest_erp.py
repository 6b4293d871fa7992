"""ERP exports in unedited: column mappings, date formats, delimiters, blank rows and
typed Parquet."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from ledger.ingest import IngestError, IngestSources, Issue, MappingError, ingest, read_mapping
from ledger.storage import table_counts

from .ingest_files import BASE, BASE_COUNTS, Table, snapshot, write_csv, write_ledger

# ---------------------------------------------------------------------------------------------
# ERP exports: mappings, date formats, delimiters, Parquet

ERP_INVOICES: Table = [
    ["InvoiceNo", "CustNo", "DocDate", "DueDate", "Gross", "Curr", "InDispute", "Branch"],
    ["000123", "00042", "01/15/2024", "02/14/2024", "1200.50", "usd", "Yes", "East"],
    ["000124", "00042", "02/01/2024", "03/02/2024", "99", "USD", "no", "East"],
]
ERP_ITEMS = [
    "invoice_id=InvoiceNo",
    "customer_id=CustNo",
    "invoice_date=DocDate",
    "due_date=DueDate",
    "amount=Gross",
    "currency=Curr",
    "disputed=InDispute",
]


def assert_erp_export_loaded(engine: Engine) -> None:
    invoices = snapshot(engine).invoices.set_index("invoice_id")
    assert list(invoices.index) == ["000123", "000124"]
    first = invoices.loc["000123"]
    assert first["customer_id"] == "00042"
    assert first["invoice_date"] == pd.Timestamp("2024-01-15")
    assert first["due_date"] == pd.Timestamp("2024-02-14")
    assert first["amount"] == 1200.50
    assert first["currency"] == "USD"
    assert first["disputed"]
    assert first["dispute_date"] == pd.Timestamp("2024-02-14")
    assert not invoices.loc["000124", "disputed"]
    assert snapshot(engine).customers["customer_id"].tolist() == ["00042"]


def test_erp_export_loads_with_cli_mapping_and_us_dates(engine: Engine, tmp_path: Path):
    export = write_csv(tmp_path / "AR_open_items.csv", ERP_INVOICES)

    result = ingest(
        engine,
        IngestSources(customers=None, invoices=export),
        mapping=read_mapping(ERP_ITEMS, None),
        date_format="%m/%d/%Y",
    )

    assert_erp_export_loaded(engine)
    assert "AR_open_items.csv: ignored extra columns: Branch" in result.notes


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_erp_export_loads_with_a_mapping_file(sqlite_engine: Engine, tmp_path: Path, suffix):
    export = write_csv(tmp_path / "export.csv", ERP_INVOICES)
    content = {
        "invoice_id": "InvoiceNo",
        "invoices": {
            "customer_id": "CustNo",
            "invoice_date": "DocDate",
            "due_date": "DueDate",
            "amount": "Gross",
            "currency": "Curr",
            "disputed": "InDispute",
        },
    }
    mapping_file = tmp_path / f"erp.{suffix}"
    if suffix == "json":
        mapping_file.write_text(json.dumps(content))
    else:
        mapping_file.write_text(
            "invoice_id: InvoiceNo\ninvoices:\n"
            + "".join(f"  {k}: {v}\n" for k, v in content["invoices"].items())
        )

    ingest(
        sqlite_engine,
        IngestSources(customers=None, invoices=export),
        mapping=read_mapping([], mapping_file),
        date_format="%m/%d/%Y",
    )

    assert_erp_export_loaded(sqlite_engine)


def test_wrong_date_format_names_the_expected_format_and_the_one_that_fits(
    sqlite_engine: Engine, tmp_path: Path
):
    export = write_csv(tmp_path / "export.csv", ERP_INVOICES)

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            mapping=read_mapping(ERP_ITEMS, None),
            date_format="%d/%m/%Y",
        )

    assert caught.value.issues[0] == Issue(
        "export.csv",
        2,
        "invoice_date",
        "01/15/2024",
        "invoice_date '01/15/2024' is not a date in the expected format '%d/%m/%Y'; they look "
        "like '%m/%d/%Y': pass --date-format '%m/%d/%Y'",
    )


def test_mapping_to_a_column_the_file_lacks_says_so(sqlite_engine: Engine, tmp_path: Path):
    export = write_csv(tmp_path / "export.csv", ERP_INVOICES)
    items = [i.replace("DueDate", "DueDt") for i in ERP_ITEMS]

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            mapping=read_mapping(items, None),
            date_format="%m/%d/%Y",
        )

    assert [(i.row, i.column, i.reason) for i in caught.value.issues] == [
        (
            None,
            "due_date",
            "missing required column due_date: it is mapped to 'DueDt', which is not a column "
            "of this file; the file has a column 'DueDate' — map it with --map due_date=DueDate",
        )
    ]


def test_mapping_naming_no_column_of_any_file_is_noted(sqlite_engine: Engine, tmp_path: Path):
    folder = write_ledger(tmp_path)
    mapping = read_mapping(["due_date=DueDt", "payments.amount=Betrag"])

    result = ingest(sqlite_engine, IngestSources.from_dir(folder), mapping=mapping)

    assert "column mapping due_date=DueDt was not used: no file has a column 'DueDt'" in (
        result.notes
    )
    assert (
        "column mapping payments.amount=Betrag was not used: payments.csv has no column 'Betrag'"
        in result.notes
    )


def test_entity_specific_mapping_items_apply_to_that_file_only():
    mapping = read_mapping(["invoice_id=InvoiceNo", "payments.invoice_id=InvoiceRef"])

    assert mapping.for_entity("invoices") == {"invoice_id": "InvoiceNo"}
    assert mapping.for_entity("payments") == {"invoice_id": "InvoiceRef"}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["invoice_no=InvoiceNo"], "'invoice_no' is not an arscore column"),
        (["invoice_id"], "is not of the form ours=theirs"),
        (["invoice_id="], "is not of the form ours=theirs"),
        (["bills.invoice_id=X"], "'bills' is not one of customers, invoices, payments, orders"),
        (["orders.due_date=X"], "orders has no column 'due_date'"),
    ],
)
def test_unusable_mapping_item_is_refused_clearly(items, message):
    with pytest.raises(MappingError, match=message):
        read_mapping(items)


def test_semicolon_separated_csv_with_bom_and_blank_lines_keeps_row_numbers(
    sqlite_engine: Engine, tmp_path: Path
):
    folder = tmp_path / "eu"
    write_csv(folder / "customers.csv", BASE["customers"], delimiter=";")
    text = "\ufeff" + "\n".join(";".join(r) for r in BASE["invoices"][:3]) + "\n\n;;;;;;;;;\n"
    text += ";".join(["INV-3", "C001", "2024-02-01", "2024-01-01", "400", "EUR", "", "", "", ""])
    (folder / "invoices.csv").write_text(text + "\n", encoding="utf-8")

    with pytest.raises(IngestError) as caught:
        ingest(sqlite_engine, IngestSources.from_dir(folder))

    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("invoices.csv", 6, "due_date")


def test_blank_rows_are_skipped_with_a_note(sqlite_engine: Engine, tmp_path: Path):
    folder = write_ledger(tmp_path)
    with (folder / "payments.csv").open("a") as handle:
        handle.write(",,,\n\n")

    result = ingest(sqlite_engine, IngestSources.from_dir(folder))

    assert "payments.csv: skipped 2 empty rows" in result.notes
    assert table_counts(sqlite_engine) == BASE_COUNTS


def test_parquet_with_typed_columns_loads_and_reports_record_numbers(
    engine: Engine, tmp_path: Path
):
    folder = tmp_path / "pq"
    write_csv(folder / "customers.csv", BASE["customers"])
    invoices = pa.table(
        {
            "invoice_id": ["INV-1", "INV-2"],
            "customer_id": ["C001", "C002"],
            "invoice_date": pa.array([date(2024, 1, 10), date(2024, 1, 12)], pa.date32()),
            "due_date": pa.array([date(2024, 2, 9), date(2024, 3, 12)], pa.date32()),
            "amount": [1000.0, 250.5],
            "disputed": pa.array([False, None], pa.bool_()),
        }
    )
    pq.write_table(invoices, folder / "invoices.parquet")
    payments = pa.table(
        {
            "payment_id": [1, 2],  # integer ids become text
            "invoice_id": ["INV-1", "INV-2"],
            "payment_date": ["2024-02-01", "2024-03-01"],
            "amount": [1000, 100],
        }
    )
    pq.write_table(payments, folder / "payments.parquet")

    ingest(engine, IngestSources.from_dir(folder))

    stored = snapshot(engine)
    assert stored.payments["payment_id"].tolist() == ["1", "2"]
    assert stored.invoices.set_index("invoice_id").loc["INV-2", "due_date"] == pd.Timestamp(
        "2024-03-12"
    )
    assert stored.invoices["disputed"].tolist() == [False, False]

    bad = payments.set_column(3, "amount", pa.array([1000, -3]))
    pq.write_table(bad, folder / "payments.parquet")
    with pytest.raises(IngestError) as caught:
        ingest(engine, IngestSources.from_dir(folder))
    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("payments.parquet", 2, "amount")
