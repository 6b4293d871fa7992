"""The worklist a credit team works from (issue #11 item 6): ``open_invoices.csv``,
``customers.csv`` and the workbook, checked column by column (names, order, types, formats),
on a small seeded book scored by the expert scorecard (no trained model needed)."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from arscore.policy import Policy
from ledger.frames import Ledger
from ledger.storage import make_engine, upgrade, write_ledger
from ledger.synth import SynthConfig, generate
from models.scoring.common import ScoringModels, ScoringPolicy
from serving.exports import (
    COUNT_FORMAT,
    DATE_FORMAT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    SHEETS,
    write_csvs,
    write_workbook,
)
from serving.rescore import rescore
from serving.worklist import CUSTOMER_COLUMNS, OPEN_INVOICE_COLUMNS, Worklist, build_worklist

EARLIER = dt.date(2026, 9, 30)
MONEY = {
    "amount_open",
    "expected_loss",
    "current_credit_limit",
    "recommended_credit_limit",
    "open_amount",
    "overdue_amount",
}
PROBABILITIES = {
    "late_payment_probability",
    "default_probability",
    "previous_default_probability",
    "pd_change",
}
COUNTS = {"priority", "days_overdue", "risk_grade", "previous_risk_grade", "grade_change", "score"}
DATES = {"invoice_date", "due_date", "expected_payment_date", "as_of", "data_as_of"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Book:
    ledger: Ledger
    worklist: Worklist
    out: Path
    policy: ScoringPolicy


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    home = tmp_path_factory.mktemp("worklist")
    synthetic = generate(SynthConfig(customers=150, months=24, seed=3))
    engine = make_engine(f"sqlite:///{(home / 'arscore.db').as_posix()}")
    upgrade(engine)
    write_ledger(engine, synthetic.ledger)
    policy = ScoringPolicy.from_policy(Policy())
    models = ScoringModels()
    rescore(engine, synthetic.ledger, EARLIER, models, policy)
    run = rescore(
        engine, synthetic.ledger, synthetic.as_of, models, policy, data_as_of=synthetic.as_of
    )
    worklist = build_worklist(engine, synthetic.ledger, models, policy, run_id=run.run_id)
    out = home / "out"
    write_csvs(worklist, out)
    write_workbook(worklist, out)
    return Book(synthetic.ledger, worklist, out, policy)


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _check_cell(column: str, text: str) -> None:
    """A CSV cell is typed and rounded as its column says (empty: missing)."""
    if text == "":
        return
    if column in MONEY:
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", text), (column, text)
    elif column in PROBABILITIES:
        value = float(text)
        assert -1.0 <= value <= 1.0, (column, text)
        digits = text.lstrip("-0.").replace(".", "").rstrip("0") if value else ""
        assert len(digits) <= 4, (column, text)
    elif column in COUNTS:
        assert re.fullmatch(r"-?\d+", text), (column, text)
    elif column in DATES:
        assert ISO.match(text), (column, text)
    elif column == "disputed":
        assert text in ("True", "False")


def test_open_invoices_csv_has_its_columns_in_order_typed_and_rounded(book: Book) -> None:
    names, rows = _rows(book.out / "open_invoices.csv")
    assert tuple(names) == OPEN_INVOICE_COLUMNS
    assert len(rows) == len(book.worklist.open_invoices) > 0
    for row in rows:
        for column in names:
            _check_cell(column, row[column])
    known = set(book.ledger.customers["name"])
    assert all(r["customer_name"] in known for r in rows)
    assert {r["currency"] for r in rows} == {"EUR"}
    assert all(r["as_of"] == "2026-10-31" and r["data_as_of"] == "2026-10-31" for r in rows)
    assert all(r["default_probability"] and r["expected_loss"] for r in rows)


def test_past_due_invoices_come_first_then_by_expected_loss(book: Book) -> None:
    _, rows = _rows(book.out / "open_invoices.csv")
    assert [int(r["priority"]) for r in rows] == list(range(1, len(rows) + 1))
    past_due = [int(r["days_overdue"]) > 0 for r in rows]
    assert any(past_due)
    assert not all(past_due)
    assert past_due == sorted(past_due, reverse=True)
    for group in (True, False):
        losses = [
            float(r["expected_loss"]) for r, p in zip(rows, past_due, strict=True) if p is group
        ]
        assert losses == sorted(losses, reverse=True)


def test_expected_loss_is_open_amount_times_pd_times_lgd(book: Book) -> None:
    lgd = book.policy.credit_limits.lgd
    for row in book.worklist.open_invoices.itertuples():
        expected = row.amount_open * row.default_probability * lgd
        assert math.isclose(row.expected_loss, expected, rel_tol=2e-3, abs_tol=0.01)


def test_no_overdue_invoice_the_ladder_covers_is_left_without_a_step(book: Book) -> None:
    view = book.worklist.open_invoices
    first = book.policy.rules.collection.steps[0].from_days_overdue
    covered = view[view["days_overdue"] >= first]
    assert len(covered)
    assert "none" not in set(covered["collection_step"])
    assert "none" not in set(view["collection_step"])
    assert (view["collection_action"].str.len() > 0).all()
    not_due = view[view["collection_step"] == "not_due"]
    assert len(not_due)
    assert not_due["collection_action"].str.startswith("Not due until ").all()
    disputed = view[view["disputed"]]
    assert (disputed["collection_step"] == "dispute_resolution").all()


def test_customers_csv_has_its_columns_in_order_typed_and_rounded(book: Book) -> None:
    names, rows = _rows(book.out / "customers.csv")
    assert tuple(names) == CUSTOMER_COLUMNS
    assert len(rows) == len(book.ledger.onboarded_by(dt.date(2026, 10, 31)).customers)
    for row in rows:
        for column in names:
            _check_cell(column, row[column])
        assert row["name"]
        assert row["limit_rule"]
        assert row["limit_basis"]
        assert row["pd_basis"] == "expert_scorecard"
    invoices = book.worklist.open_invoices
    for row in rows[:20]:
        own = invoices[invoices["customer_id"] == row["customer_id"]]
        assert math.isclose(float(row["open_amount"]), own["amount_open"].sum(), abs_tol=0.05)
        overdue = own.loc[own["days_overdue"] > 0, "amount_open"].sum()
        assert math.isclose(float(row["overdue_amount"]), overdue, abs_tol=0.05)


def test_customers_show_the_change_since_the_previous_run(book: Book) -> None:
    customers = book.worklist.customers
    assert book.worklist.previous_run_id is not None
    both = customers.dropna(subset=["previous_risk_grade"])
    assert len(both) > 0
    assert (both["grade_change"] == both["risk_grade"] - both["previous_risk_grade"]).all()
    change = both["default_probability"] - both["previous_default_probability"]
    assert ((both["pd_change"] - change).abs() <= 1e-3 * change.abs() + 1e-12).all()
    assert (both["pd_change"] != 0).any()


def test_the_workbook_has_a_sheet_per_table_with_header_styles_and_number_formats(
    book: Book,
) -> None:
    workbook = load_workbook(book.out / "worklist.xlsx")
    assert tuple(workbook.sheetnames) == SHEETS
    tables = {SHEETS[0]: book.worklist.open_invoices, SHEETS[1]: book.worklist.customers}
    declared = {SHEETS[0]: OPEN_INVOICE_COLUMNS, SHEETS[1]: CUSTOMER_COLUMNS}
    for title, frame in tables.items():
        sheet = workbook[title]
        header = [c.value for c in sheet[1]]
        assert tuple(header) == declared[title]
        assert all(c.font.b for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.max_row == len(frame) + 1
        for index, column in enumerate(header, start=1):
            width = sheet.column_dimensions[sheet.cell(1, index).column_letter].width
            assert len(column) <= width <= 62
            cells = [sheet.cell(r, index) for r in range(2, min(sheet.max_row, 60) + 1)]
            filled = [c for c in cells if c.value is not None]
            for cell in filled:
                if column in MONEY:
                    assert cell.number_format == MONEY_FORMAT
                    assert isinstance(cell.value, int | float)
                elif column in PROBABILITIES:
                    assert cell.number_format == PERCENT_FORMAT
                    assert isinstance(cell.value, int | float)  # 0.0 reads back as 0
                elif column in COUNTS:
                    assert cell.number_format == COUNT_FORMAT
                    assert isinstance(cell.value, int)
                elif column in DATES:
                    assert cell.number_format == DATE_FORMAT
                    assert isinstance(cell.value, dt.datetime)
                elif column == "disputed":
                    assert isinstance(cell.value, bool)
                else:
                    assert isinstance(cell.value, str), (column, cell.value)
        first = frame.iloc[0]
        for index, column in enumerate(header, start=1):
            value = sheet.cell(2, index).value
            if column in MONEY | PROBABILITIES and value is not None:
                assert value == pytest.approx(float(first[column]))
