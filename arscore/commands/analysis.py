"""Feature and aging commands: ``arscore features`` and ``arscore aging``."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.table import Table
from rich.text import Text

from arscore.runtime import console, fail, load_settings, open_database, parse_date

if TYPE_CHECKING:
    import pandas as pd

    from arscore.policy import Policy
    from arscore.settings import Settings
    from features.aging import AgingReport
    from ledger.frames import Ledger

Format = Literal["table", "json", "csv"]
TOP_CUSTOMERS = 15
# Aged-debtors customer column ("C000142 North Star Farms S.A."): a layout is chosen only if
# this much of it shows (the id and the start of the name); it grows up to the maximum when
# the terminal has room. The CSV has the full name.
CUSTOMER_MIN_WIDTH = 24
CUSTOMER_MAX_WIDTH = 40


def features(
    as_of: Annotated[str, typer.Option(help="Features as known at the end of YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="Parquet file to write, e.g. features.parquet")],
) -> None:
    """Build point-in-time customer features (one row per customer) into a Parquet file."""
    from features.customer import build_customer_features

    day = _required_date(as_of)
    settings = load_settings()
    policy = _load_policy(settings)
    ledger = _read_ledger(settings, None)
    with console.status("Building customer features…"):
        frame = _guarded(lambda: build_customer_features(ledger, day, policy))
    _write_parquet(frame, out, day, policy)
    console.print(
        f"Wrote {len(frame):,} customers × {frame.shape[1]} features as of {day} to {out} "
        f"(policy {policy.version})."
    )


def aging(
    as_of: Annotated[str, typer.Option(help="Age receivables as of YYYY-MM-DD")],
    customer: Annotated[
        str | None, typer.Option(help="One customer's aging, invoices and warnings")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table (terminal), json or csv (to stdout)")
    ] = "table",
) -> None:
    """Aging of receivables: the portfolio's aged debtors, or one customer's detail."""
    from features.aging import age_ledger

    if fmt not in ("table", "json", "csv"):
        raise fail(f"--format must be table, json or csv; got {fmt!r}", code=2)
    day = _required_date(as_of)
    settings = load_settings()
    policy = _load_policy(settings)
    ledger = _read_ledger(settings, customer)
    if customer is not None and customer not in set(ledger.customers["customer_id"]):
        raise fail(f"no customer with customer_id {customer!r} in the database", code=2)
    report = _guarded(lambda: age_ledger(ledger, day, policy))
    currency = settings.currency
    if customer is None:
        _show_portfolio(report, fmt, policy, currency)  # type: ignore[arg-type]
    else:
        _show_customer(report, customer, fmt, policy, currency)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
    app.command()(features)
    app.command()(aging)


# ---------------------------------------------------------------------------------------------
# Shared steps


def _required_date(value: str) -> date:
    parsed = parse_date(value, "--as-of")
    assert parsed is not None
    return parsed


def _load_policy(settings: Settings) -> Policy:
    from arscore.policy import PolicyError, load_policy

    try:
        return load_policy(settings.policy_file)
    except PolicyError as exc:
        raise fail(str(exc), code=2) from exc


def _read_ledger(settings: Settings, customer: str | None) -> Ledger:
    from ledger.storage import load_ledger

    engine = open_database(settings)
    with console.status("Reading the ledger…"):
        return load_ledger(engine, None if customer is None else [customer])


def _guarded(build: Any) -> Any:
    """Run a feature computation, turning a broken ledger into a clear message."""
    from features.ledger_arrays import LedgerReferenceError

    try:
        return build()
    except LedgerReferenceError as exc:
        raise fail(f"the ledger is inconsistent: {exc}") from exc


def _write_parquet(frame: pd.DataFrame, out: Path, day: date, policy: Policy) -> None:
    """Write via a temporary file and rename, so a failed write leaves no partial file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from arscore.policy import policy_fingerprint

    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            b"arscore.as_of": day.isoformat().encode(),
            b"arscore.policy_version": policy.version.encode(),
            b"arscore.policy_fingerprint": policy_fingerprint(policy).encode(),
        }
    )
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        pq.write_table(table.replace_schema_metadata(metadata), temporary)
        os.replace(temporary, out)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _records(frame: pd.DataFrame, index_name: str) -> list[dict[str, Any]]:
    return _jsonable(frame.rename_axis(index_name).reset_index().to_dict(orient="records"))


def _echo_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False) + "\n")


def _money(value: float, currency: str) -> str:
    from features.registry import render_value

    return render_value("open_ar", value, currency)


def _share(value: float) -> str:
    from features.registry import render_value

    return render_value("overdue_share", value)


def _days(value: float) -> str:
    from features.registry import render_value

    return render_value("dso", value)


# ---------------------------------------------------------------------------------------------
# Portfolio


def _aged_debtors(report: AgingReport) -> pd.DataFrame:
    """One row per customer with open receivables: the classic aged-debtors report."""
    columns = ["name", "open_ar", *report.buckets, "overdue_ratio", "max_days_overdue", "dso"]
    columns += ["risk_grade", "strategy"]
    table = report.customers.loc[report.customers["open_ar"] > 0, columns]
    return table.sort_values(["overdue_ratio", "open_ar"], ascending=False, kind="stable")


def _show_portfolio(report: AgingReport, fmt: Format, policy: Policy, currency: str) -> None:
    debtors = _aged_debtors(report)
    if fmt == "csv":
        sys.stdout.write(debtors.to_csv(float_format="%.2f"))
        return
    if fmt == "json":
        _echo_json(
            {
                "as_of": report.as_of,
                "policy_version": policy.version,
                "summary": report.summary,
                "buckets": _records(report.portfolio, "bucket"),
                "customers": _records(debtors, "customer_id"),
            }
        )
        return
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

    buckets = Table(title="Aging buckets")
    for column in ("bucket", "amount", "invoices", "share"):
        buckets.add_column(column, justify="left" if column == "bucket" else "right")
    for label, row in report.portfolio.iterrows():
        buckets.add_row(
            str(label),
            _money(row["amount"], currency),
            f"{row['count']:,.0f}",
            _share(row["share"]),
        )
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


# ---------------------------------------------------------------------------------------------
# One customer


def _show_customer(
    report: AgingReport, customer: str, fmt: Format, policy: Policy, currency: str
) -> None:
    row = report.customers.loc[customer]
    invoices = report.invoices[report.invoices["customer_id"] == customer]
    buckets = report.customer_buckets[report.customer_buckets["customer_id"] == customer]
    warnings = report.warnings[report.warnings["customer_id"] == customer]
    if fmt == "csv":
        sys.stdout.write(invoices.to_csv(float_format="%.2f", date_format="%Y-%m-%d"))
        return
    if fmt == "json":
        _echo_json(
            {
                "as_of": report.as_of,
                "policy_version": policy.version,
                "customer": {"customer_id": customer, **row.to_dict()},
                "buckets": _records(
                    buckets.drop(columns="customer_id").set_index("bucket"), "bucket"
                ),
                "invoices": _records(invoices, "invoice_id"),
                "warnings": warnings.drop(columns="customer_id").to_dict(orient="records"),
            }
        )
        return
    head = Table(title=f"{customer} {row['name']} — as of {report.as_of.date()}", show_header=False)
    head.add_column("", style="bold")
    head.add_column("")
    for label, value in (
        ("Open receivables", _money(row["open_ar"], currency)),
        ("Overdue", f"{_money(row['overdue_ar'], currency)} ({_share(row['overdue_ratio'])})"),
        ("Oldest overdue", _days(row["max_days_overdue"])),
        ("DSO", _days(row["dso"])),
        ("CEI", _share(row["cei"])),
        ("Credit limit", _money(row["credit_limit"], currency)),
        ("Exposure (open AR + open orders)", _money(row["exposure"], currency)),
        ("Overdue risk grade", _grade(row["risk_grade"])),
        ("Strategy", str(row["strategy"])),
    ):
        head.add_row(label, value)
    console.print(head)

    aging_table = Table(title="Aging")
    for column in ("bucket", "amount", "invoices", "share"):
        aging_table.add_column(column, justify="left" if column == "bucket" else "right")
    for _, b in buckets.iterrows():
        aging_table.add_row(
            b["bucket"], _money(b["amount"], currency), f"{b['count']:,}", _share(b["share"])
        )
    console.print(aging_table)

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
    if warnings.empty:
        console.print("No early warnings.")
    else:
        console.print("[bold]Early warnings[/]")
        for _, w in warnings.iterrows():
            console.print(f"  [yellow]![/] {w['message']}")
