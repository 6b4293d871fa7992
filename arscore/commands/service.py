"""Service commands: API tokens, ``arscore serve`` (the API under uvicorn) and
``arscore rescore`` (every customer scored with the API's own scoring function)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arscore.logs import quiet_mlflow
from arscore.policy import policy_fingerprint
from arscore.runtime import (
    console,
    fail,
    load_policy_or_fail,
    load_settings,
    open_database,
    parse_date,
    resolve_as_of,
)
from arscore.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from serving.state import ServiceState

token_app = typer.Typer(help="API tokens for the scoring service.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="credit_officer, sales or risk_admin")],
    name: Annotated[str, typer.Option(help="Who or what uses the token (unique)")],
) -> None:
    """Create an API token. It is printed once and stored only as a hash."""
    from serving.auth import TokenError, create_token

    engine = open_database(load_settings())
    try:
        with engine.begin() as connection:
            token = create_token(connection, name, role)
    except TokenError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"Token for [bold]{name}[/] ({role}) — shown once, store it now:")
    console.print(token, soft_wrap=True, highlight=False)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="Name of the token to revoke")]) -> None:
    """Revoke an API token; it stops working immediately."""
    from serving.auth import TokenError, revoke_token

    engine = open_database(load_settings())
    try:
        with engine.begin() as connection:
            revoke_token(connection, name)
    except TokenError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"Revoked the token {name!r}.")


@token_app.command("list")
def token_list() -> None:
    """List token names, roles and dates (never the tokens)."""
    from serving.auth import list_tokens

    engine = open_database(load_settings())
    with engine.connect() as connection:
        rows = list_tokens(connection)
    table = Table(title="API tokens")
    for column in ("name", "role", "created", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["role"],
            str(row["created_at"])[:19],
            "" if row["revoked_at"] is None else str(row["revoked_at"])[:19],
        )
    console.print(table)


def build_state(settings: Settings, announce: bool = True) -> ServiceState:
    """The service state from the settings: the composition root's one job for serving
    (``announce``: print which database it serves, once, not in every worker)."""
    from models.scoring.common import ScoringPolicy
    from serving.model_store import ModelStore
    from serving.state import ServiceState

    engine = open_database(settings, announce=announce)
    policy = load_policy_or_fail(settings)
    quiet_mlflow()
    config = settings.serving
    return ServiceState(
        engine=engine,
        config=config,
        policy=ScoringPolicy.from_policy(
            policy, version=f"{policy.version} ({policy_fingerprint(policy)[:12]})"
        ),
        store=ModelStore(config, settings.mlflow_tracking_uri),
        currency=settings.currency,
        data_policy=policy.data,
    )


def app_factory() -> FastAPI:
    """What each uvicorn worker calls (``arscore.commands.service:app_factory``)."""
    from serving.app import create_app

    return create_app(build_state(load_settings(), announce=False))


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (2 on 2 cores)")] = 2,
    demo: Annotated[
        bool, typer.Option(help="Create one token per role and print example calls")
    ] = False,
) -> None:
    """Run the scoring API under uvicorn (docs at /docs once it is up)."""
    from serving.workers import run as run_workers

    settings = load_settings()
    state = build_state(settings)  # fail here, with a clear message, not in every worker
    state.store.reload()
    if demo:
        _print_demo(state, f"http://{host}:{port}")
        from arscore.commands.users import print_demo_users

        print_demo_users(state.engine, f"http://{host}:{port}")
    if not state.store.current.loaded:
        console.print(
            "[yellow]No champion model is registered yet: the policy's expert scorecard gives "
            "the PDs until you run `arscore train` and POST /v1/models/reload.[/]"
        )
    # Several workers need one metrics directory so /metrics adds up every worker's counts;
    # one made here is removed when the service stops (one given in the environment is kept).
    own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    metrics_dir = os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="arscore-metrics-")
    )
    Path(metrics_dir).mkdir(parents=True, exist_ok=True)
    console.print(
        f"Serving on http://{host}:{port} (pages: http://{host}:{port}/app/sign-in, "
        f"API docs: http://{host}:{port}/docs)"
    )
    try:
        run_workers(
            "arscore.commands.service:app_factory",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    finally:
        if own_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _print_demo(state: ServiceState, url: str) -> None:
    """Demo tokens (shown once) and three example calls on the first customer."""
    import time

    from sqlalchemy import select

    from ledger import tables
    from serving.auth import create_token

    stamp = time.strftime("%Y%m%d-%H%M%S")
    with state.engine.begin() as connection:
        tokens = {
            role: create_token(connection, f"demo-{role}-{stamp}", role)
            for role in ("credit_officer", "sales", "risk_admin")
        }
        customer = connection.execute(
            select(tables.customers.c.customer_id).order_by(tables.customers.c.customer_id)
        ).scalar()
    console.print("Demo tokens (shown once):")
    for role, token in tokens.items():
        console.print(f"  {role:<15} {token}", soft_wrap=True, highlight=False)
    officer, sales = tokens["credit_officer"], tokens["sales"]
    json_header = "-H 'Content-Type: application/json'"
    examples = [
        f"curl -s -X POST {url}/v1/scores -H 'Authorization: Bearer {officer}' {json_header} "
        f'-d \'{{"customer_id": "{customer}"}}\'',
        f"curl -s -X POST {url}/v1/onboarding/scores -H 'Authorization: Bearer {officer}' "
        f'{json_header} -d \'{{"industry": "Retail", "country": "DE", '
        f'"payment_terms_days": 30, "requested_limit": 50000, '
        f'"annual_revenue": 4000000, "bureau_score": 620}}\'',
        f"curl -s -X POST {url}/v1/limit-checks -H 'Authorization: Bearer {sales}' "
        f'{json_header} -d \'{{"customer_id": "{customer}", "amount": 25000}}\'',
    ]
    console.print("Try:")
    for example in examples:
        console.print(f"  {example}", soft_wrap=True, highlight=False, markup=False)


def rescore(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score date, e.g. 2026-10-31 (default: the ledger's as-of)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the worklist here: customers.csv and open_invoices.csv, "
            "or worklist.xlsx with --format xlsx"
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Worklist files: csv (two files) or xlsx (one)")
    ] = "csv",
) -> None:
    """Score every customer with the API's scoring function and store the run (without a
    default-PD model, the policy's expert scorecard gives the PDs)."""
    from rich.progress import Progress

    from ledger.as_of import ledger_as_of
    from ledger.storage import load_ledger
    from serving.exports import write_csvs, write_workbook
    from serving.rescore import rescore as run_rescore
    from serving.worklist import build_worklist

    if fmt not in ("csv", "xlsx"):
        raise fail(f"--format must be csv or xlsx; got {fmt!r}", code=2)
    given = parse_date(as_of, "--as-of")
    settings = load_settings()
    state = build_state(settings)
    day = resolve_as_of(state.engine, given, load_policy_or_fail(settings))
    state.store.reload()
    models = state.store.current.scoring()
    ledger = load_ledger(state.engine)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("scoring customers", total=len(ledger.customers))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_rescore(
            state.engine,
            ledger,
            day,
            models,
            state.policy,
            texts=state.texts,
            currency=state.currency,
            progress=progress,
            data_as_of=ledger_as_of(state.engine),
        )
    _print_summary(result.summary, result.previous_run_id, state.currency)
    for task_name, reason in models.unavailable.items():
        console.print(f"[yellow]{task_name}: {reason}[/]")
    if out is not None:
        worklist = build_worklist(
            state.engine,
            ledger,
            models,
            state.policy,
            run_id=result.run_id,
            currency=state.currency,
        )
        if fmt == "xlsx":
            paths: tuple[Path, ...] = (write_workbook(worklist, out),)
        else:
            paths = write_csvs(worklist, out)
        console.print(
            f"Wrote {len(worklist.open_invoices):,} open invoices and "
            f"{len(worklist.customers):,} customers to " + " and ".join(str(p) for p in paths)
        )
    console.print(f"Run {result.run_id} stored with models {dict(models.versions)}.")


def _print_summary(summary: dict, previous: str | None, currency: str) -> None:
    grades = Table(title=f"Customers by risk grade ({summary['customers']:,} scored)")
    grades.add_column("grade", justify="right")
    grades.add_column("customers", justify="right")
    for grade, count in summary["by_grade"].items():
        grades.add_row(grade, f"{count:,}")
    console.print(grades)
    tiers = ", ".join(f"{tier} {count:,}" for tier, count in summary["by_pd_basis"].items())
    console.print(f"PD from: {tiers}")
    if previous is None:
        console.print("No previous run: no grade migration to show.")
    else:
        migration = summary["migration"]
        columns = sorted({c for row in migration.values() for c in row}, key=int)
        table = Table(title=f"Grade migration since run {previous[:8]} (rows: before)")
        table.add_column("before \\ now")
        for c in columns:
            table.add_column(c, justify="right")
        for before in sorted(migration, key=int):
            table.add_row(before, *[str(migration[before].get(c, 0)) for c in columns])
        console.print(table)
    console.print(f"New early warnings: {len(summary['new_early_warnings']):,}")
    for missed in summary.get("unscored", []):
        console.print(f"[yellow]Could not score {missed['customer_id']}: {missed['reason']}[/]")
    console.print(
        f"Recommended limits total {summary['total_recommended_limit']:,.0f} {currency} "
        f"against current limits {summary['total_current_limit']:,.0f} {currency}"
    )


def register(app: typer.Typer) -> None:
    """Add the service commands to the CLI."""
    app.add_typer(token_app, name="token")
    app.command("serve")(serve)
    app.command("rescore")(rescore)
