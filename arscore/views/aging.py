"""The aging report as the CLI presents it: which rows it shows (the aged-debtors list, one
customer's slice) and their rich terminal layout.

The selections are shared by every output format (``arscore aging --format table|json|csv``);
the layout is the terminal's alone: the portfolio summary and buckets, the aged-debtors table in
the most detailed layout that fits the terminal width, and one customer's detail. Amounts,
shares and days are formatted by the feature registry, so the terminal shows a figure the way
every other place does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from arscore.runtime import console

if TYPE_CHECKING:
    import pandas as pd

    from arscore.policy import Policy
    from features.aging import AgingReport

TOP_CUSTOMERS = 15
# Aged-debtors customer column ("C000142 North Star Farms S.A."): a layout is chosen only if
# this much of it shows (the id and the start of the name); it grows up to the maximum when
# the terminal has room. The CSV has the full name.
CUSTOMER_MIN_WIDTH = 24
CUSTOMER_MAX_WIDTH = 40


# ---------------------------------------------------------------------------------------------
# What is shown


def aged_debtors(report: AgingReport) -> pd.DataFrame:
    """One row per customer with open receivables: the classic aged-debtors report."""
    columns = ["name", "open_ar", *report.buckets, "overdue_ratio", "max_days_overdue", "dso"]
    columns += ["risk_grade", "strategy"]
    table = report.customers.loc[report.customers["open_ar"] > 0, columns]
    return table.sort_values(["overdue_ratio", "open_ar"], ascending=False, kind="stable")


@dataclass(frozen=True)
class CustomerAging:
    """One customer's part of an aging report: its row, buckets, open invoices and warnings."""

    customer_id: str
    row: pd.Series
    buckets: pd.DataFrame
    invoices: pd.DataFrame
    warnings: pd.DataFrame

    @classmethod
    def of(cls, report: AgingReport, customer_id: str) -> CustomerAging:
        """``customer_id``'s rows of ``report`` (the customer must be in it)."""

        def own(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["customer_id"] == customer_id]

        return cls(
            customer_id=customer_id,
            row=report.customers.loc[[customer_id]].iloc[0],
            buckets=own(report.customer_buckets),
            invoices=own(report.invoices),
            warnings=own(report.warnings),
        )


# ---------------------------------------------------------------------------------------------
# Portfolio


def print_portfolio(
    report: AgingReport, debtors: pd.DataFrame, policy: Policy, currency: str
) -> None:
    """The portfolio summary, its aging buckets and the top of the aged-debtors list."""
    s = report.summary
    head = Table(title=f"Receivables as of {report.as_of.date()}", show_header=False)
    head.add_column("", style="bold")
    head.add_column("", justify="right")
    rows = [
        ("Customers", f"{s['customers']:,.0f}"),
        ("Open invoices", f"{s['open_invoices']:,.0f}"),
        ("Open receivables", _money(s["open_ar"], currency)),
        ("Overdue receivables", _money(s["overdue_ar"], currency)),
        ("Overdue ratio", _share(s["overdue_ratio"])),
        ("DSO", _days(s["dso"])),
        ("DSO (count-back)", _days(s["dso_countback"])),
        ("Collection effectiveness (CEI)", _share(s["cei"])),
        (f"Bad-debt ratio ({policy.aging.bad_debt_window_days} days)", _share(s["bad_debt_ratio"])),
        (
            "Overdue risk grades",
            " / ".join(
                f"{g} {s[f'customers_{g}']:,.0f}" for g in ("low", "medium", "high", "critical")
            ),
        ),
        ("Early warnings", f"{s['warnings']:,.0f}"),
    ]
    for label, value in rows:
        head.add_row(label, value)
    console.print(head)

    portfolio = report.portfolio
    buckets = _buckets_table("Aging buckets", portfolio.index, portfolio, currency)
    console.print(buckets)

    if debtors.empty:
        console.print("No open receivables.")
        return
    # The customers table, not the aged-debtors list: the narrow layout also shows overdue_ar.
    top = report.customers.loc[debtors.index[:TOP_CUSTOMERS]]
    console.print(_debtors_table(top, report.buckets, currency, console.width))
    console.print("Full list: [bold]arscore aging --as-of … --format csv[/]")


def _debtors_table(
    debtors: pd.DataFrame, buckets: tuple[str, ...], currency: str, width: int
) -> Table:
    """The most detailed aged-debtors layout that fits ``width`` terminal columns.

    Layouts from richest to plainest: every bucket in full amounts, every bucket in thousands,
    then only open / overdue / oldest / grade (full, then in thousands). Each is measured
    rather than guessed, so a policy with more buckets or a ledger with bigger amounts still
    picks a layout that fits; the customer column takes what is left and is cut with "…".
    """
    layouts = [(detail, money) for detail in (buckets, ()) for money in (_money, _money_short)]
    for detail, money in layouts:
        table = _debtors_layout(debtors, detail, money, currency)
        if _fits(table, width):
            break
    # When none fits, the plainest layout stays and rich narrows only its customer column.
    table.columns[0].max_width = CUSTOMER_MAX_WIDTH
    return table


def _debtors_layout(
    debtors: pd.DataFrame,
    buckets: tuple[str, ...],
    money: Callable[[float, str], str],
    currency: str,
) -> Table:
    """Aged debtors with ``buckets`` as columns, or (no buckets) open and overdue only."""
    table = Table(title=f"Aged debtors (top {len(debtors)} by overdue ratio)")
    # The only wrappable column, so rich narrows it first; its cells never wrap (ellipsis).
    # Capped at the minimum for measuring; _debtors_table widens the chosen layout's.
    table.add_column("customer", min_width=len("customer"), max_width=CUSTOMER_MIN_WIDTH)
    amounts = ["open_ar", *buckets] if buckets else ["open_ar", "overdue_ar"]
    for name in amounts:
        header = {"open_ar": "open", "overdue_ar": "overdue"}.get(name, name)
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("oldest", justify="right", no_wrap=True)
    table.add_column("grade", no_wrap=True)
    for customer_id, row in debtors.iterrows():
        table.add_row(
            Text(f"{customer_id} {row['name']}", no_wrap=True, overflow="ellipsis"),
            *[_amount(row[name], money, currency) for name in amounts],
            _oldest(row["max_days_overdue"]),
            _grade(row["risk_grade"]),
        )
    return table


def _fits(table: Table, width: int) -> bool:
    """Whether ``table`` renders within ``width`` without squeezing any column."""
    from rich.measure import Measurement

    # Measured at a generous width: a measurement never exceeds the width it is taken at.
    needed = Measurement.get(console, console.options.update_width(10 * width), table).maximum
    return needed <= width


# ---------------------------------------------------------------------------------------------
# One customer


def print_customer(detail: CustomerAging, as_of: pd.Timestamp, currency: str) -> None:
    """One customer's figures, aging buckets, open invoices and early warnings."""
    row, invoices = detail.row, detail.invoices
    title = f"{detail.customer_id} {row['name']} — as of {as_of.date()}"
    head = Table(title=title, show_header=False)
    head.add_column("", style="bold")
    head.add_column("")
    for label, value in (
        ("Open receivables", _money(row["open_ar"], currency)),
        ("Overdue", f"{_money(row['overdue_ar'], currency)} ({_share(row['overdue_ratio'])})"),
        ("Oldest overdue", _days(row["max_days_overdue"])),
        ("DSO", _days(row["dso"])),
        ("CEI", _share(row["cei"])),
        ("Credit limit", _money(row["credit_limit"], currency)),
        ("Unapplied credit (credit notes)", _money(row["unapplied_credit"], currency)),
        ("Exposure (open AR − credit + open orders)", _money(row["exposure"], currency)),
        ("Overdue risk grade", _grade(row["risk_grade"])),
        ("Strategy", str(row["strategy"])),
    ):
        head.add_row(label, value)
    console.print(head)

    console.print(_buckets_table("Aging", detail.buckets["bucket"], detail.buckets, currency))

    if not invoices.empty:
        inv = Table(title="Open invoices")
        for column in ("invoice", "due", "open", "days overdue", "bucket", "next step"):
            inv.add_column(
                column, justify="right" if column in ("open", "days overdue") else "left"
            )
        for invoice_id, i in invoices.sort_values("due_date").iterrows():
            inv.add_row(
                str(invoice_id),
                str(i["due_date"].date()),
                _money(i["open_amount"], currency),
                f"{i['days_overdue']:,}",
                str(i["bucket"]),
                str(i["collection_action"]) or "—",
            )
        console.print(inv)
    if detail.warnings.empty:
        console.print("No early warnings.")
    else:
        console.print("[bold]Early warnings[/]")
        for _, w in detail.warnings.iterrows():
            console.print(f"  [yellow]![/] {w['message']}")


# ---------------------------------------------------------------------------------------------
# Cells


def _money(value: float, currency: str) -> str:
    from features.registry import render_value

    return render_value("open_ar", value, currency)


def _share(value: float) -> str:
    from features.registry import render_value

    return render_value("overdue_share", value)


def _days(value: float) -> str:
    from features.registry import render_value

    return render_value("dso", value)


def _amount(value: float, money: Callable[[float, str], str], currency: str) -> str:
    """An amount cell; empty buckets as a dim dash so the overdue ones stand out."""
    return "[dim]—[/]" if value == 0 else money(value, currency)


def _money_short(value: float, currency: str) -> str:
    """An amount in thousands or millions (``€98.5k``, ``€1.2M``) for narrow terminals."""
    if math.isnan(value) or abs(value) < 1000:
        return _money(value, currency)
    # The registry decides where the currency goes ("€0" or "0 CHF"); reuse its placement.
    before, after = _money(0.0, currency).split("0", 1)
    scaled, unit = abs(value) / 1e3, "k"
    if round(scaled, 1) >= 1000:
        scaled, unit = abs(value) / 1e6, "M"
    sign = "-" if value < 0 else ""
    return f"{sign}{before}{scaled:,.1f}{unit}{after}"


def _oldest(days: float) -> str:
    """Days overdue of the customer's oldest overdue invoice; a dash when nothing is overdue."""
    return "[dim]—[/]" if math.isnan(days) or days <= 0 else _days(days)


def _grade(grade: str) -> str:
    colour = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}[grade]
    return f"[{colour}]{grade}[/]"


def _buckets_table(
    title: str, labels: Iterable[object], rows: pd.DataFrame, currency: str
) -> Table:
    """Amount, invoice count and share per aging bucket (portfolio or one customer)."""
    table = Table(title=title)
    for column in ("bucket", "amount", "invoices", "share"):
        table.add_column(column, justify="left" if column == "bucket" else "right")
    for label, amount, count, share in zip(
        labels, rows["amount"], rows["count"], rows["share"], strict=True
    ):
        table.add_row(str(label), _money(amount, currency), f"{count:,.0f}", _share(share))
    return table
