"""A worklist as files a credit team opens: two CSVs, or one Excel workbook with a sheet each
(bold header, frozen header row, money, percent, count and date formats, fitted column widths).
The CLI writes them to disk and the API sends the same bytes."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.rounding import Kind, kind_of
from serving.worklist import DATE_COLUMNS, Worklist

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"
CUSTOMERS_CSV = "customers.csv"
OPEN_INVOICES_CSV = "open_invoices.csv"
WORKBOOK = "worklist.xlsx"
SHEETS = ("Open invoices", "Customers")

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
COUNT_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60


def number_format(column: str) -> str | None:
    """The Excel number format of a worklist column (None: text or a plain number)."""
    if column in DATE_COLUMNS:
        return DATE_FORMAT
    return {
        Kind.MONEY: MONEY_FORMAT,
        Kind.PROBABILITY: PERCENT_FORMAT,
        Kind.COUNT: COUNT_FORMAT,
    }.get(kind_of(column))


def csv_text(frame: pd.DataFrame) -> str:
    """One worklist table as CSV text: ISO dates, empty cells for missing values."""
    return frame.to_csv(index=False, date_format="%Y-%m-%d")


def write_csvs(worklist: Worklist, out: Path) -> tuple[Path, Path]:
    """``customers.csv`` and ``open_invoices.csv`` in ``out`` (created if need be)."""
    out.mkdir(parents=True, exist_ok=True)
    customers, invoices = out / CUSTOMERS_CSV, out / OPEN_INVOICES_CSV
    customers.write_text(csv_text(worklist.customers), encoding="utf-8")
    invoices.write_text(csv_text(worklist.open_invoices), encoding="utf-8")
    return customers, invoices


def _cell(value: Any) -> Any:
    """A pandas value as openpyxl takes it: missing → empty, timestamps → dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _sheet(sheet: Worksheet, frame: pd.DataFrame) -> None:
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    columns = [str(c) for c in frame.columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="top")
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = number_format(column)
        width = len(column)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if fmt is not None and cell.value is not None:
                cell.number_format = fmt
            if cell.value is not None:
                shown = 10 if fmt == DATE_FORMAT else len(str(cell.value)) + 2
                width = max(width, shown)
        sheet.column_dimensions[letter].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if len(columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame) + 1, 1)}"


def workbook_bytes(worklist: Worklist) -> bytes:
    """The worklist as one .xlsx workbook: "Open invoices" first, then "Customers"."""
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook always has one sheet
    first.title = SHEETS[0]
    _sheet(first, worklist.open_invoices)
    _sheet(book.create_sheet(SHEETS[1]), worklist.customers)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_workbook(worklist: Worklist, out: Path) -> Path:
    """``worklist.xlsx`` in ``out`` (created if need be)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / WORKBOOK
    path.write_bytes(workbook_bytes(worklist))
    return path
