"""Ledger commands: synth, ingest, summary, db upgrade and the demo main job."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arscore.runtime import (
    announce_database,
    console,
    fail,
    load_policy_or_fail,
    load_settings,
    open_database,
    parse_date,
    shown_url,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from training.policy import TrainingPolicy

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)


def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the ledger files to")],
    customers: Annotated[int, typer.Option(min=1, help="Number of customers")] = 2000,
    months: Annotated[int, typer.Option(min=1, max=240, help="Months of history")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same ledger)")] = 42,
    end: Annotated[str | None, typer.Option(help="Last day of the ledger, YYYY-MM-DD")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
) -> None:
    """Generate a realistic synthetic AR ledger (with its ground truth, truth.csv)."""
    from ledger.synth import SynthConfig, generate, write

    if fmt not in ("csv", "parquet"):
        raise fail(f"--format must be csv or parquet; got {fmt!r}", code=2)
    settings = load_settings()
    kwargs: dict = {"customers": customers, "months": months, "seed": seed}
    end_date = parse_date(end, "--end")
    if end_date is not None:
        kwargs["end"] = end_date
    started = time.perf_counter()
    with console.status("Generating the synthetic ledger…"):
        result = generate(SynthConfig(currency=settings.currency, **kwargs))
        paths = write(result, out, fmt=fmt)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    counts = result.ledger.counts()
    console.print(
        f"Wrote {counts['customers']:,} customers, {counts['invoices']:,} invoices, "
        f"{counts['payments']:,} payments, {counts['orders']:,} orders and truth.csv "
        f"to {out} in {seconds:.1f} s."
    )
    for path in paths.values():
        console.print(f"  {path}")


def ingest(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Folder with customers/invoices/payments/orders .csv, .xlsx or .parquet"
        ),
    ] = None,
    invoices: Annotated[Path | None, typer.Option(help="Invoices file")] = None,
    customers: Annotated[Path | None, typer.Option(help="Customers file")] = None,
    payments: Annotated[Path | None, typer.Option(help="Payments file")] = None,
    orders: Annotated[Path | None, typer.Option(help="Orders file")] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping ours=theirs, e.g. invoice_id=InvoiceNo"),
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--map-file", help="YAML/JSON column mapping")
    ] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strftime format of dates, e.g. '%m/%d/%Y' (default ISO)")
    ] = None,
    decimal: Annotated[
        str | None,
        typer.Option(
            help="Decimal mark of numbers: ',' (1.234,50) or '.' (default: read from each column)"
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Encoding of CSV files, e.g. cp1252 (default: UTF-8, else cp1252)"),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(help="Sheet of .xlsx workbooks, by name or number (default: the first)"),
    ] = None,
    max_issues: Annotated[int, typer.Option(min=1, help="Problems to list")] = 50,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Day the export was taken, YYYY-MM-DD (default: the latest date in the data)",
        ),
    ] = None,
    update_limits: Annotated[
        bool,
        typer.Option(
            "--update-limits",
            help="Apply the customers file's credit_limit over approved limits (each change "
            "is recorded); by default a file only sets limits customers do not have yet",
        ),
    ] = False,
) -> None:
    """Validate ledger files and load them into the database (all or nothing, idempotent).

    Records the ledger's as-of date, which scores, aging and limit checks are as of by default.
    """
    from ledger.ingest import IngestError, IngestSources, read_mapping
    from ledger.ingest import ingest as run_ingest

    given: IngestSources | Path  # the files themselves, or the folder to find them in
    if folder is None:
        if invoices is None:
            raise fail("give a folder, or at least --invoices FILE", code=2)
        given = IngestSources(
            customers=customers, invoices=invoices, payments=payments, orders=orders
        )
    elif any(p is not None for p in (invoices, customers, payments, orders)):
        raise fail("give either a folder or single files (--invoices …), not both", code=2)
    else:
        given = folder
    declared = parse_date(as_of, "--as-of")
    if decimal not in (None, ",", "."):
        raise fail(f"--decimal must be ',' or '.'; got {decimal!r}", code=2)
    settings = load_settings()
    try:
        sources = given if isinstance(given, IngestSources) else IngestSources.from_dir(given)
        column_mapping = read_mapping(mapping or [], mapping_file)
    except (ValueError, OSError) as exc:
        raise fail(str(exc), code=2) from exc
    engine = open_database(settings)
    try:
        with console.status("Validating and loading…"):
            result = run_ingest(
                engine,
                sources,
                mapping=column_mapping,
                date_format=date_format,
                currency=settings.currency,
                max_issues=max_issues,
                as_of=declared,
                update_limits=update_limits,
                progress=_stage_line,
                decimal=decimal,
                encoding=encoding,
                sheet=sheet,
            )
    except IngestError as exc:
        _print_issues(exc)
        raise typer.Exit(1) from exc
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    written = ", ".join(f"{n:,} {name}" for name, n in result.rows.items())
    console.print(f"[green]Loaded[/] {written} in {result.seconds:.1f} s.")
    if result.data_as_of is not None:
        console.print(f"The ledger's data is as of {result.data_as_of}.")


def _stage_line(line: str) -> None:
    """One stage of a long job, as it ends: readable on a terminal and in a log alike."""
    console.print(f"{line[0].upper()}{line[1:]}.", soft_wrap=True, highlight=False)


def _print_issues(exc) -> None:
    table = Table(title=f"{exc.total:,} problem(s) found — nothing was written", show_lines=False)
    for column in ("file", "row", "column", "value", "problem"):
        table.add_column(column, overflow="fold")
    for issue in exc.issues:
        table.add_row(
            issue.file,
            "" if issue.row is None else str(issue.row),
            issue.column or "",
            "" if issue.value is None else str(issue.value)[:40],
            issue.reason,
        )
    console.print(table)
    if exc.total > len(exc.issues):
        console.print(f"… and {exc.total - len(exc.issues):,} more.")


def summary(
    as_of: Annotated[str | None, typer.Option(help="Summarise as of YYYY-MM-DD")] = None,
) -> None:
    """Print what the ledger database holds and how the portfolio pays."""
    from ledger.storage import load_ledger

    settings = load_settings()
    engine = open_database(settings)
    with console.status("Reading the ledger…"):
        ledger = load_ledger(engine)
    print_summary(ledger, parse_date(as_of, "--as-of"), settings.currency)


def print_summary(ledger, as_of: date | None, currency: str) -> None:
    """Render ledger.summary.summarise as two rich tables."""
    from ledger.summary import summarise

    s = summarise(ledger, as_of, currency)
    table = Table(title="Ledger summary", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for label, value in s.rows():
        table.add_row(label, value)
    console.print(table)
    if not s.by_industry.empty:
        ind = Table(title=f"By industry ({currency})")
        for column in ("industry", "customers", "invoiced", "open"):
            ind.add_column(column, justify="left" if column == "industry" else "right")
        for name, row in s.by_industry.iterrows():
            ind.add_row(
                str(name),
                f"{int(row['customers']):,}",
                f"{row['invoiced']:,.0f}",
                f"{row['open']:,.0f}",
            )
        console.print(ind)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from ledger.storage import current_revision

    settings = load_settings()
    engine = open_database(settings)
    console.print(f"Database at revision {current_revision(engine)}.")


DEMO_CUSTOMERS = 1500
DEMO_MARKER = "demo.json"


def demo_training(training: TrainingPolicy) -> TrainingPolicy:
    """The demo's training budget, for a first look in minutes: twice the learning rate with
    at most 400 trees and a shorter early-stopping patience, and no refit of the deployed model
    on every row. Only ``arscore demo`` uses it; ``arscore train`` keeps the policy's
    settings for a user's own data."""
    booster = training.lightgbm.model_copy(
        update={
            "learning_rate": max(training.lightgbm.learning_rate, 0.1),
            "max_boost_rounds": min(training.lightgbm.max_boost_rounds, 400),
            "early_stopping_rounds": min(training.lightgbm.early_stopping_rounds, 40),
        }
    )
    return training.model_copy(update={"lightgbm": booster, "refit_deployed": False})


def _demo_in_place(marker: Path, wanted: dict[str, object], engine: Engine) -> bool:
    """Whether an earlier ``arscore demo`` already built this very demo (same book, database
    and MLflow store) and its ledger is still in the database."""
    from sqlalchemy import func, select

    from ledger import tables

    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if done != wanted:
        return False
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(tables.customers)).scalar()
    return count == wanted["customers"]


def demo(
    customers: Annotated[
        int, typer.Option(min=1, help="Customers in the demo ledger")
    ] = DEMO_CUSTOMERS,
    months: Annotated[int, typer.Option(min=1, help="Months of history")] = 36,
    seed: Annotated[int, typer.Option(help="Random seed")] = 42,
    train: Annotated[bool, typer.Option(help="Also train and register the models")] = True,
    fresh: Annotated[
        bool, typer.Option(help="Build the demo again even if an earlier run left it in place")
    ] = False,
) -> None:
    """Main job on the embedded default: synthetic ledger → database → summary → models
    (with the demo's small training budget). Work an earlier demo did is reused."""
    from ledger.ingest import IngestSources
    from ledger.ingest import ingest as run_ingest
    from ledger.synth import SynthConfig, generate, write

    settings = load_settings()
    announce_database(settings)
    home = settings.ensure_home()
    out = home / "demo-ledger"
    marker = out / DEMO_MARKER
    wanted: dict[str, object] = {
        "customers": customers,
        "months": months,
        "seed": seed,
        "train": train,
        "database": settings.database_url,
        "mlflow": settings.mlflow_tracking_uri,
    }
    engine = open_database(settings, announce=False)
    if not fresh and _demo_in_place(marker, wanted, engine):
        console.print(
            f"The demo ledger ({customers:,} customers × {months} months) and its models are "
            "already in place from an earlier run; `arscore demo --fresh` builds them again."
        )
        console.print("Next: [bold]arscore serve --demo[/] starts the scoring service.")
        return
    marker.unlink(missing_ok=True)
    stages: dict[str, float] = {}
    console.rule("1. Synthetic ledger")
    started = time.perf_counter()
    with console.status(f"Generating {customers:,} customers × {months} months…"):
        result = generate(
            SynthConfig(customers=customers, months=months, seed=seed, currency=settings.currency)
        )
        write(result, out, fmt="csv")
    stages["synthetic ledger"] = time.perf_counter() - started
    console.print(
        f"Generated {len(result.ledger.invoices):,} invoices in "
        f"{stages['synthetic ledger']:.1f} s → {out}"
    )
    console.rule("2. Ingest")
    started = time.perf_counter()
    with console.status("Validating and loading into the database…"):
        loaded = run_ingest(
            engine,
            IngestSources.from_dir(out),
            currency=settings.currency,
            as_of=result.as_of,
            progress=_stage_line,
        )
    stages["ingest"] = time.perf_counter() - started
    console.print(
        f"Loaded {', '.join(f'{n:,} {k}' for k, n in loaded.rows.items())} into "
        f"{shown_url(settings.database_url)} in {loaded.seconds:.1f} s."
    )
    console.rule("3. Ledger summary")
    from ledger.storage import load_ledger

    ledger = load_ledger(engine)
    print_summary(ledger, result.as_of, settings.currency)
    if train:
        console.rule("4. Models (demo budget)")
        from arscore.commands.modelling import print_outcomes, run_training

        started = time.perf_counter()
        budget = demo_training(load_policy_or_fail(settings).training)
        outcomes = run_training(
            settings, ledger, late_after_days=None, promote=False, tasks=None, training=budget
        )
        stages["training"] = time.perf_counter() - started
        print_outcomes(outcomes)
        console.print(
            "The demo trains with a small budget (learning rate 0.1, at most 400 trees, no "
            "refit on every row); `arscore train` uses the policy's full settings."
        )
    marker.write_text(json.dumps(wanted, indent=1), encoding="utf-8")
    console.print(
        "Where the time went: " + ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()) + "."
    )
    console.print("Next: [bold]arscore serve --demo[/] starts the scoring service on this ledger.")


def register(app: typer.Typer) -> None:
    """Add the ledger commands to the CLI."""
    app.command()(demo)
    app.command()(synth)
    app.command()(ingest)
    app.command()(summary)
    app.add_typer(db_app, name="db")
