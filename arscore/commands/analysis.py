"""Feature and aging commands: ``arscore features`` and ``arscore aging``.

Each command is its steps: settings, policy, ledger, computation, output. The aging report's
terminal layout lives in :mod:`arscore.views.aging`; its JSON goes through the project's one
encoding, :func:`models.jsonable.jsonable`, like the API's.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from arscore.runtime import (
    console,
    fail,
    load_policy_or_fail,
    load_settings,
    open_database,
    parse_date,
    resolve_as_of,
)
from arscore.views.aging import CustomerAging, aged_debtors, print_customer, print_portfolio
from models.jsonable import jsonable, records
from models.rounding import rounded, rounded_frame

if TYPE_CHECKING:
    import pandas as pd

    from arscore.policy import Policy
    from arscore.settings import Settings
    from features.aging import AgingReport
    from ledger.frames import Ledger

Format = Literal["table", "json", "csv"]
FORMATS: dict[str, Format] = {"table": "table", "json": "json", "csv": "csv"}


def features(
    as_of: Annotated[str, typer.Option(help="Features as known at the end of YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="Parquet file to write, e.g. features.parquet")],
) -> None:
    """Build point-in-time customer features (one row per customer onboarded by the date) into
    a Parquet file."""
    from features.customer import build_customer_features

    day = parse_date(as_of, "--as-of")
    settings = load_settings()
    policy = load_policy_or_fail(settings)
    ledger = _read_ledger(settings, None).onboarded_by(day)
    with console.status("Building customer features…"):
        frame = _guarded(lambda: build_customer_features(ledger, day, policy))
    _write_parquet(frame, out, day, policy)
    console.print(
        f"Wrote {len(frame):,} customers × {frame.shape[1]} features as of {day} to {out} "
        f"(policy {policy.version})."
    )


def aging(
    as_of: Annotated[
        str | None,
        typer.Option(help="Age receivables as of YYYY-MM-DD (default: the ledger's as-of date)"),
    ] = None,
    customer: Annotated[
        str | None, typer.Option(help="One customer's aging, invoices and warnings")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table (terminal), json or csv (to stdout)")
    ] = "table",
) -> None:
    """Aging of receivables: the portfolio's aged debtors, or one customer's detail."""
    from features.aging import age_ledger

    form = FORMATS.get(fmt)
    if form is None:
        raise fail(f"--format must be table, json or csv; got {fmt!r}", code=2)
    settings = load_settings()
    policy = load_policy_or_fail(settings)
    day = resolve_as_of(open_database(settings), parse_date(as_of, "--as-of"), policy)
    ledger = _read_ledger(settings, customer)
    if customer is not None and customer not in set(ledger.customers["customer_id"]):
        raise fail(f"no customer with customer_id {customer!r} in the database", code=2)
    report = _guarded(lambda: age_ledger(ledger, day, policy))
    currency = settings.currency
    if customer is None:
        _show_portfolio(report, form, policy, currency)
    else:
        _show_customer(report, customer, form, policy, currency)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
    app.command()(features)
    app.command()(aging)


# ---------------------------------------------------------------------------------------------
# Shared steps


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


def _echo_json(payload: dict[str, Any]) -> None:
    text = json.dumps(rounded(jsonable(payload)), indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


# ---------------------------------------------------------------------------------------------
# Outputs: the terminal layouts are in arscore.views.aging, JSON and CSV here


def _show_portfolio(report: AgingReport, fmt: Format, policy: Policy, currency: str) -> None:
    debtors = aged_debtors(report)
    if fmt == "csv":
        sys.stdout.write(rounded_frame(debtors).to_csv())
    elif fmt == "json":
        _echo_json(
            {
                "as_of": report.as_of,
                "policy_version": policy.version,
                "summary": report.summary,
                "buckets": records(report.portfolio, "bucket"),
                "customers": records(debtors, "customer_id"),
            }
        )
    else:
        print_portfolio(report, debtors, policy, currency)


def _show_customer(
    report: AgingReport, customer: str, fmt: Format, policy: Policy, currency: str
) -> None:
    detail = CustomerAging.of(report, customer)
    if fmt == "csv":
        sys.stdout.write(rounded_frame(detail.invoices).to_csv(date_format="%Y-%m-%d"))
    elif fmt == "json":
        _echo_json(
            {
                "as_of": report.as_of,
                "policy_version": policy.version,
                "customer": {"customer_id": customer, **detail.row.to_dict()},
                "buckets": records(
                    detail.buckets.drop(columns="customer_id").set_index("bucket"), "bucket"
                ),
                "invoices": records(detail.invoices, "invoice_id"),
                "warnings": detail.warnings.drop(columns="customer_id").to_dict(orient="records"),
            }
        )
    else:
        print_customer(detail, report.as_of, currency)
