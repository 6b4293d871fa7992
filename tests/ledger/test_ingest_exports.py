"""ERP exports as they come in (issue #11): German-style CSV and Excel load with --map alone,
and every refusal says what to do."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.frames import Ledger
from ledger.ingest import IngestError, IngestSources, ingest, read_mapping, validate_frames
from ledger.readers import read_table

from .ingest_files import Table, assert_same_ledger, fail_without_writing, snapshot, write_csv

# The same three invoices and two payments, clean (ISO dates, '.' decimals, UTF-8, our names) …
CLEAN_INVOICES: Table = [
    ["invoice_id", "customer_id", "name", "country", "invoice_date", "due_date", "amount"],
    ["RE-1001", "010002", "Müller GmbH", "DE", "2024-01-15", "2024-02-14", "1234.50"],
    ["RE-1002", "010002", "Müller GmbH", "DE", "2024-02-01", "2024-03-02", "980"],
    ["RE-1003", "010007", "Bäckerei Öztürk KG", "AT", "2024-02-03", "2024-03-04", "12345.67"],
]
CLEAN_PAYMENTS: Table = [
    ["payment_id", "invoice_id", "payment_date", "amount"],
    ["Z-1", "RE-1001", "2024-02-10", "1234.50"],
    ["Z-2", "RE-1003", "2024-03-01", "2000"],
]

# … and as a German ERP writes them: ';', decimal comma with '.' thousands, dd.mm.yyyy,
# Windows-1252 with umlauts, German column names and a column nobody asked for.
GERMAN_INVOICES: Table = [
    [
        *("Belegnummer", "Kundennummer", "Kundenname", "Land", "Belegdatum", "Fälligkeit"),
        *("Betrag", "Kostenstelle"),
    ],
    ["RE-1001", "010002", "Müller GmbH", "DE", "15.01.2024", "14.02.2024", "1.234,50", "Süd"],
    ["RE-1002", "010002", "Müller GmbH", "DE", "01.02.2024", "02.03.2024", "980,00", "Süd"],
    [
        *("RE-1003", "010007", "Bäckerei Öztürk KG", "AT", "03.02.2024", "04.03.2024"),
        *("12.345,67", "Nord"),
    ],
]
GERMAN_PAYMENTS: Table = [
    ["Zahlungsnr", "Belegnummer", "Zahlungsdatum", "Betrag"],
    ["Z-1", "RE-1001", "10.02.2024", "1.234,50"],
    ["Z-2", "RE-1003", "01.03.2024", "2.000,00"],
]
# The same exports with one credit note (a negative line) naming the invoice it credits.
CLEAN_WITH_CREDIT: Table = [
    [*CLEAN_INVOICES[0], "reference_invoice_id"],
    *([*row, ""] for row in CLEAN_INVOICES[1:]),
    ["GS-1004", "010002", "Müller GmbH", "DE", "2024-02-20", "2024-02-20", "-1180.00", "RE-1002"],
]
GERMAN_WITH_CREDIT: Table = [
    [*GERMAN_INVOICES[0], "Bezugsbeleg"],
    *([*row, ""] for row in GERMAN_INVOICES[1:]),
    [
        *("GS-1004", "010002", "Müller GmbH", "DE", "20.02.2024", "20.02.2024"),
        *("-1.180,00", "Süd", "RE-1002"),
    ],
]
GERMAN_MAP = [
    "invoice_id=Belegnummer",
    "customer_id=Kundennummer",
    "name=Kundenname",
    "country=Land",
    "invoice_date=Belegdatum",
    "due_date=Fälligkeit",
    "amount=Betrag",
    "payment_id=Zahlungsnr",
    "payment_date=Zahlungsdatum",
]
GERMAN_CREDIT_MAP = [*GERMAN_MAP, "reference_invoice_id=Bezugsbeleg"]


def write_cp1252(path: Path, table: Table) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(";".join(row) for row in table) + "\r\n").encode("cp1252"))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def typed(table: Table) -> list[list[object]]:
    """The German rows as Excel holds them: real dates and numbers, ids as text."""

    def cell(value: str) -> object:
        if len(value) == 10 and value[2] == "." and value[5] == ".":
            return datetime.strptime(value, "%d.%m.%Y")
        if value.lstrip("-")[:1].isdigit() and "," in value:
            return float(value.replace(".", "").replace(",", "."))
        return value

    return [list(table[0])] + [[cell(v) for v in row] for row in table[1:]]


def clean_ledger(engine: Engine, tmp_path: Path) -> Ledger:
    folder = tmp_path / "clean"
    write_csv(folder / "invoices.csv", CLEAN_WITH_CREDIT)
    write_csv(folder / "payments.csv", CLEAN_PAYMENTS)
    ingest(engine, IngestSources.from_dir(folder))
    return snapshot(engine)


def test_german_csv_export_loads_with_map_alone_as_the_clean_file_does(
    engine: Engine, sqlite_engine: Engine, tmp_path: Path
):
    expected = clean_ledger(sqlite_engine, tmp_path)
    folder = tmp_path / "export"
    write_cp1252(folder / "invoices.csv", GERMAN_WITH_CREDIT)
    write_cp1252(folder / "payments.csv", GERMAN_PAYMENTS)

    result = ingest(
        engine,
        IngestSources.from_dir(folder),
        mapping=read_mapping(GERMAN_CREDIT_MAP),
        date_format="%d.%m.%Y",
    )

    stored = snapshot(engine)
    assert_same_ledger(stored, expected)
    customers = stored.customers.set_index("customer_id")
    assert customers.loc["010002", "name"] == "Müller GmbH"
    assert customers.loc["010007", ["name", "country"]].tolist() == ["Bäckerei Öztürk KG", "AT"]
    assert stored.invoices.set_index("invoice_id").loc["RE-1003", "amount"] == 12345.67
    credit = stored.credit_notes.set_index("invoice_id").loc["GS-1004"]
    assert (credit["amount"], credit["reference_invoice_id"]) == (-1180.0, "RE-1002")
    assert "GS-1004" not in set(stored.invoices["invoice_id"])
    assert "invoices.csv: ignored extra columns: Kostenstelle" in result.notes
    assert any("read as Windows-1252 (cp1252)" in note for note in result.notes)
    assert not any("was not used" in note for note in result.notes)


def test_the_same_export_as_xlsx_loads_to_the_same_ledger(
    engine: Engine, sqlite_engine: Engine, tmp_path: Path
):
    expected = clean_ledger(sqlite_engine, tmp_path)
    folder = tmp_path / "excel"
    write_xlsx(folder / "invoices.xlsx", {"Export": typed(GERMAN_WITH_CREDIT)})
    write_xlsx(
        folder / "payments.xlsx",
        {"Hinweise": [["nur zur Info"]], "Export": typed(GERMAN_PAYMENTS)},
    )

    ingest(
        engine,
        IngestSources.from_dir(folder),
        mapping=read_mapping(GERMAN_CREDIT_MAP),
        date_format="%d.%m.%Y",  # typed Excel dates ignore it; text dates would need it
        sheet="Export",
    )

    assert_same_ledger(snapshot(engine), expected)


def test_xlsx_reports_sheet_rows_and_unknown_sheets_by_name(tmp_path: Path):
    path = write_xlsx(
        tmp_path / "invoices.xlsx",
        {"Rechnungen": typed(GERMAN_INVOICES), "Leer": [["a"]]},
    )

    frame, notes = read_table(path)
    assert list(frame.index) == [2, 3, 4]
    assert frame.loc[2, "Kundennummer"] == "010002"
    assert "read sheet 'Rechnungen', the first of 'Rechnungen', 'Leer'" in notes[0]

    with pytest.raises(IngestError, match="no sheet 'Zahlungen'; the workbook's sheets are"):
        read_table(path, sheet="Zahlungen")
    assert read_table(path, sheet="2")[0].columns.tolist() == ["a"]


def test_decimal_comma_is_detected_per_column_or_given(sqlite_engine: Engine, tmp_path: Path):
    rows: Table = [
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        ["I1", "C1", "2024-01-10", "2024-02-09", "1.000"],
        ["I2", "C1", "2024-01-11", "2024-02-10", "2.500"],
    ]
    export = write_csv(tmp_path / "inv.csv", rows, delimiter=";")

    ingest(sqlite_engine, IngestSources(customers=None, invoices=export), decimal=",")

    amounts = snapshot(sqlite_engine).invoices.set_index("invoice_id")["amount"]
    assert amounts.to_dict() == {"I1": 1000.0, "I2": 2500.0}


def test_a_column_mixing_decimal_marks_names_the_one_it_was_read_with(
    sqlite_engine: Engine, tmp_path: Path
):
    rows: Table = [
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        ["I1", "C1", "2024-01-10", "2024-02-09", "1000.50"],
        ["I2", "C1", "2024-01-11", "2024-02-10", "250.25"],
        ["I3", "C1", "2024-01-12", "2024-02-11", "12,50"],
    ]
    export = write_csv(tmp_path / "inv.csv", rows)

    with pytest.raises(IngestError) as caught:
        ingest(sqlite_engine, IngestSources(customers=None, invoices=export))

    (issue,) = caught.value.issues
    assert (issue.row, issue.column, issue.value) == (4, "amount", "12,50")
    assert issue.reason == (
        "amount '12,50' is not a number: no currency symbols or units; this column is read with "
        "a decimal point, e.g. 1234.50 or 1,234.50; if ',' is the decimal mark in this export, "
        "pass --decimal ','"
    )


# ---------------------------------------------------------------------------------------------
# Encodings


def test_a_stray_byte_in_an_ignored_column_does_not_stop_a_utf8_file(
    sqlite_engine: Engine, tmp_path: Path
):
    text = "invoice_id,customer_id,invoice_date,due_date,amount,Notiz\n"
    text += "I1,C1,2024-01-10,2024-02-09,10,Grüße\nI2,C1,2024-01-10,2024-02-09,10,Stra"
    export = tmp_path / "inv.csv"
    export.write_bytes(text.encode("utf-8") + b"\xdfe\n")

    result = ingest(sqlite_engine, IngestSources(customers=None, invoices=export))

    assert result.rows["invoices"] == 2


def test_bytes_that_do_not_decode_are_reported_by_row_and_column(
    sqlite_engine: Engine, tmp_path: Path
):
    export = write_cp1252(tmp_path / "inv.csv", [*CLEAN_INVOICES[:1], *CLEAN_INVOICES[1:]])

    with pytest.raises(IngestError) as caught:
        ingest(sqlite_engine, IngestSources(customers=None, invoices=export), encoding="utf-8")

    (issue,) = caught.value.issues
    assert (issue.row, issue.column, issue.count) == (2, "name", 3)
    assert issue.reason.startswith(
        "name has bytes that are not utf-8 text (shown as �); give the file's encoding with "
        "--encoding, e.g. --encoding cp1252, or save it as CSV UTF-8 — 3 rows, first row 2: "
        "'M\ufffdller GmbH'"
    )


# ---------------------------------------------------------------------------------------------
# Errors that say what to do


def test_dates_in_another_format_are_one_issue_naming_the_format_to_pass(
    sqlite_engine: Engine, tmp_path: Path
):
    export = write_cp1252(tmp_path / "inv.csv", GERMAN_INVOICES)

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            mapping=read_mapping(GERMAN_MAP),
        )

    assert caught.value.total == 2  # one per date column, not one per cell
    first = caught.value.issues[0]
    assert (first.row, first.column, first.count) == (2, "invoice_date", 3)
    assert first.reason == (
        "invoice_date is not a date in the expected format YYYY-MM-DD (ISO 8601); they look "
        "like '%d.%m.%Y': pass --date-format '%d.%m.%Y' — 3 rows, first row 2: '15.01.2024'; "
        "row 3: '01.02.2024'; row 4: '03.02.2024'"
    )


def test_a_missing_column_lists_the_files_columns_and_the_map_to_write(
    sqlite_engine: Engine, tmp_path: Path
):
    export = write_cp1252(tmp_path / "inv.csv", GERMAN_INVOICES)
    items = [i for i in GERMAN_MAP if not i.startswith("invoice_id")]

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            mapping=read_mapping(items),
            date_format="%d.%m.%Y",
        )

    (issue,) = caught.value.issues
    assert (issue.row, issue.column) == (None, "invoice_id")
    assert issue.reason == (
        "missing required column invoice_id; name the one that holds invoice_id with --map "
        "invoice_id=COLUMN (the file's columns: 'Belegnummer', 'Kundennummer', 'Kundenname', "
        "'Land', 'Belegdatum', 'Fälligkeit', 'Betrag', 'Kostenstelle')"
    )

    near = write_csv(
        tmp_path / "near.csv",
        [["InvoiceNumber", "customer_id", "invoice_date", "due_date", "amount"]],
    )
    with pytest.raises(IngestError) as caught:
        ingest(sqlite_engine, IngestSources(customers=None, invoices=near))
    assert caught.value.issues[0].reason == (
        "missing required column invoice_id; the nearest is 'InvoiceNumber': if it holds "
        "invoice_id, add --map invoice_id=InvoiceNumber (the file's columns: 'InvoiceNumber', "
        "'customer_id', 'invoice_date', 'due_date', 'amount')"
    )


def test_swapped_day_and_month_show_the_dates_as_read(sqlite_engine: Engine, tmp_path: Path):
    rows: Table = [
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        ["I1", "C1", "03/01/2024", "02/02/2024", "10"],  # dd/mm written, read as mm/dd
    ]
    export = write_csv(tmp_path / "inv.csv", rows)

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            date_format="%m/%d/%Y",
        )

    (issue,) = caught.value.issues
    assert issue.reason == (
        "due_date 02/02/2024 (read as 2024-02-02) is before invoice_date 03/01/2024 (read as "
        "2024-03-01)"
    )


@pytest.mark.parametrize("amount", ["1e16", "1e300", "1e160", "2000000000000000"])
def test_money_above_10_to_the_15_is_refused(sqlite_engine: Engine, tmp_path: Path, amount):
    rows: Table = [
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        ["I1", "C1", "2024-01-10", "2024-02-09", "10"],
        ["I2", "C1", "2024-01-10", "2024-02-09", amount],
    ]
    folder = tmp_path / "big"
    write_csv(folder / "invoices.csv", rows)

    error = fail_without_writing(sqlite_engine, folder)

    (issue,) = error.issues
    assert (issue.row, issue.column) == (3, "amount")
    assert issue.reason == (
        f"amount {amount} is larger than 10^15 (1,000,000,000,000,000); probably a typo or a "
        "misread decimal mark"
    )


def test_ids_longer_than_64_characters_are_refused_by_the_api_path_too():
    rows = pd.DataFrame(
        {
            "invoice_id": ["I" * 65],
            "customer_id": ["C1"],
            "invoice_date": ["2024-01-10"],
            "due_date": ["2024-02-09"],
            "amount": [1e15 * 1.5],
        },
        index=[1],
    )

    with pytest.raises(IngestError) as caught:
        validate_frames({"invoices": rows}, Ledger.empty(), file_names={"invoices": "records"})

    assert [(i.column, i.reason) for i in caught.value.issues] == [
        ("invoice_id", "invoice_id is 65 characters long; ids of invoice_id may have at most 64"),
        (
            "amount",
            "amount 1500000000000000 is larger than 10^15 (1,000,000,000,000,000); probably a "
            "typo or a misread decimal mark",
        ),
    ]


def test_invoices_only_export_customer_columns_fill_the_created_customers(
    sqlite_engine: Engine, tmp_path: Path
):
    rows: Table = [
        ["Beleg", "Kunde", "Kundenname", "Datum", "Faellig", "Betrag", "Zahlungsziel"],
        ["1", "010002", "Alt GmbH", "2024-01-10", "2024-02-09", "10", "30"],
        ["2", "010002", "Neu GmbH", "2024-03-10", "2024-04-09", "10", "30"],
        ["3", "010009", "", "2024-03-10", "2024-05-09", "10", "60"],
    ]
    export = write_csv(tmp_path / "inv.csv", rows)
    mapping = read_mapping(
        [
            "invoice_id=Beleg",
            "customer_id=Kunde",
            "name=Kundenname",
            "invoice_date=Datum",
            "due_date=Faellig",
            "amount=Betrag",
            "payment_terms_days=Zahlungsziel",
        ]
    )

    result = ingest(sqlite_engine, IngestSources(customers=None, invoices=export), mapping=mapping)

    customers = snapshot(sqlite_engine).customers.set_index("customer_id")
    assert customers.loc["010002", "name"] == "Neu GmbH"  # the latest invoice's
    assert pd.isna(customers.loc["010009", "name"])
    assert customers["payment_terms_days"].tolist() == [30, 60]
    assert (
        "inv.csv: 1 customers have more than one name on their invoices; each takes the one on "
        "its latest invoice" in result.notes
    )
    assert not any("ignored extra columns" in note for note in result.notes)
