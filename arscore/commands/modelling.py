"""Training and model-registry commands: train, train onboarding, models, promote."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arscore.logs import quiet_mlflow
from arscore.runtime import console, fail, load_policy_or_fail, load_settings, open_database
from arscore.settings import Settings
from models.tasks import REGISTERED_MODELS, Task

if TYPE_CHECKING:
    from ledger.frames import Ledger
    from training.pipeline import TaskOutcome
    from training.policy import TrainingPolicy

train_app = typer.Typer(
    help="Train models: from the ledger (default), or onboarding PD from your own table.",
    invoke_without_command=True,
)


def _tracking(settings: Settings) -> str:
    """The MLflow store, with its home created and MLflow's chatter quietened."""
    settings.ensure_home()
    quiet_mlflow()
    return settings.mlflow_tracking_uri


@train_app.callback()
def train(
    ctx: typer.Context,
    late_after_days: Annotated[
        int | None,
        typer.Option(min=0, help="Days after due that count as late (policy default: 30)"),
    ] = None,
    promote: Annotated[
        bool, typer.Option(help="Make the new versions champion even if they do not win")
    ] = False,
    task: Annotated[
        list[str] | None,
        typer.Option(help=f"Train only these: {', '.join(Task)}"),
    ] = None,
) -> None:
    """Train every model the ledger supports, log them to MLflow and register them."""
    if ctx.invoked_subcommand is not None:
        return
    from ledger.storage import load_ledger

    tasks = tuple(task) if task else tuple(Task)
    unknown = [t for t in tasks if t not in tuple(Task)]
    if unknown:
        raise fail(f"unknown task(s) {unknown}; choose from {', '.join(Task)}", code=2)
    settings = load_settings()
    engine = open_database(settings)
    started = time.perf_counter()
    with console.status("Reading the ledger…"):
        ledger = load_ledger(engine)
    console.print(
        f"Read the ledger: {len(ledger.customers):,} customers, {len(ledger.invoices):,} "
        f"invoices in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
    outcomes = run_training(settings, ledger, late_after_days, promote, tasks)
    print_outcomes(outcomes)
    console.print(f"Done in {time.perf_counter() - started:.0f} s. MLflow: {_tracking(settings)}")


def run_training(
    settings: Settings,
    ledger: Ledger,
    late_after_days: int | None,
    promote: bool,
    tasks: tuple[str, ...] | None,
    training: TrainingPolicy | None = None,
) -> list[TaskOutcome]:
    """Train the ledger's models with progress on the console; exit clearly if nothing can be
    trained. ``training`` replaces the policy's training section (the demo's budget)."""
    from training.pipeline import NothingTrainedError, train_ledger_models

    policy = load_policy_or_fail(settings)
    if ledger.invoices.empty:
        raise fail("the ledger database has no invoices: run `arscore ingest` first")
    started = time.perf_counter()
    with console.status("Training…") as status:

        def progress(message: str) -> None:
            # A line per stage, readable in a log: seconds since training started, the stage
            # and its counts (rows, event rate) as the pipeline words them.
            status.update(message[0].upper() + message[1:] + "…")
            elapsed = time.perf_counter() - started
            console.print(f"{elapsed:6.1f} s  {message}", soft_wrap=True, highlight=False)

        try:
            return train_ledger_models(
                ledger,
                rules=policy,
                training=training or policy.training,
                scale=policy.master_scale,
                tracking_uri=_tracking(settings),
                late_after_days=late_after_days,
                promote=promote,
                tasks=tasks or tuple(Task),
                progress=progress,
                portfolio_default_rate=policy.expert_scorecard.portfolio_default_rate,
                expert_scorecard=policy.expert_scorecard,
            )
        except NothingTrainedError as exc:
            raise fail(str(exc)) from exc


def print_outcomes(outcomes: list[TaskOutcome]) -> None:
    """One line per task (LightGBM beside the scorecard on the test window), then the
    registry decisions and skip reasons in full sentences."""
    table = Table(title="Models (out-of-time test window)")
    table.add_column("task", no_wrap=True)
    table.add_column("sample", overflow="fold")
    table.add_column("LightGBM", no_wrap=True)
    table.add_column("scorecard", no_wrap=True)
    table.add_column("version", no_wrap=True)
    notes: list[str] = []
    for o in outcomes:
        sample = o.sample.split(": ", 1)[-1]
        if o.status == "skipped":
            table.add_row(o.task, sample, "[yellow]skipped[/]", "", "")
            notes.append(f"[yellow]{o.task} skipped:[/] {o.reason}")
            continue
        if "auc" in o.metrics:
            ours = f"AUC {o.metrics['auc']:.3f}"
            theirs = f"AUC {o.baseline_metrics.get('auc', float('nan')):.3f}"
        else:
            ours = f"MAE {o.metrics['mae']:.2f} d"
            theirs = f"MAE {o.baseline_metrics.get('mae', float('nan')):.2f} d"
        version = "" if o.version is None else f"v{o.version}" + (" ★" if o.champion else "")
        table.add_row(o.task, sample, ours, theirs, version)
        if o.tier is not None and (o.version is None or o.tier.proxy_serves):
            # Which tier gives the PDs and why, in one line (when the proxy lost, the registry
            # note below carries the same sentence).
            notes.append(f"{o.task}: {o.tier.reason}")
        if o.version is not None:
            verdict = "champion" if o.champion else "not champion"
            notes.append(f"{o.registered_name} v{o.version}: {verdict} — {o.decision}")
    console.print(table)
    for note in notes:
        console.print(note)
    console.print("★ = champion (the version the service loads)")


@train_app.command("onboarding")
def train_onboarding(
    table: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="CSV or Parquet")],
    target: Annotated[str, typer.Option(help="Column with the outcome (1/0, yes/no, bad/good…)")],
    id_column: Annotated[str | None, typer.Option(help="Row id column, not a feature")] = None,
    date_column: Annotated[
        str | None, typer.Option(help="Application date: out-of-time split on it")
    ] = None,
    positive_label: Annotated[
        str | None, typer.Option(help="Value of the target that means default, e.g. bad")
    ] = None,
    promote: Annotated[bool, typer.Option(help="Make the new version champion")] = False,
) -> None:
    """Train the onboarding PD model from your own application/bureau table."""
    from models.errors import ModelError
    from training.tabular import train_onboarding_table

    settings = load_settings()
    policy = load_policy_or_fail(settings)
    with console.status(f"Training on {table.name}…"):
        try:
            outcome = train_onboarding_table(
                table,
                target,
                id_column=id_column,
                date_column=date_column,
                tracking_uri=_tracking(settings),
                positive_label=positive_label,
                policy=policy.training,
                scale=policy.master_scale,
                promote=promote,
            )
        except (ModelError, OSError) as exc:
            raise fail(str(exc), code=2) from exc
    for line in outcome.summary_lines():
        console.print(line)


def models() -> None:
    """List registered model versions, their aliases and key metric."""
    from training.registry import RegistryError, list_versions

    settings = load_settings()
    table = Table(title="Registered models")
    table.add_column("model", no_wrap=True)
    table.add_column("version", justify="right")
    table.add_column("aliases", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("split", overflow="fold")
    for name in REGISTERED_MODELS.values():
        try:
            versions = list_versions(name, _tracking(settings))
        except RegistryError:
            table.add_row(name, "—", "", "not trained", "", "")
            continue
        for v in versions:
            metric = "" if v.metric is None else f"{v.metric} {v.metric_value:.4f}"
            table.add_row(
                name,
                str(v.version),
                ", ".join(v.aliases),
                metric,
                v.created.strftime("%Y-%m-%d"),
                v.split or "",
            )
    console.print(table)


def promote(
    name: Annotated[str, typer.Argument(help="Registered model, e.g. arscore-default-pd")],
    version: Annotated[int, typer.Argument(min=1, help="Version to make champion")],
) -> None:
    """Move the champion alias to VERSION (also how you roll back)."""
    from training.registry import RegistryError
    from training.registry import promote as promote_version

    settings = load_settings()
    try:
        info = promote_version(name, version, _tracking(settings))
    except RegistryError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"{info.name} version {info.version} is now champion.")
    _ask_services_to_reload(settings, f"arscore promote {info.name} {info.version}")


def _ask_services_to_reload(settings: Settings, reason: str) -> None:
    """Record a reload request so running services pick the new champion up within seconds."""
    import getpass

    from ledger.storage import make_engine, upgrade
    from serving.reload_signal import record_reload_request

    try:
        engine = make_engine(settings.database_url)
        upgrade(engine)
        with engine.begin() as connection:
            record_reload_request(connection, f"cli:{getpass.getuser()}", reason)
        engine.dispose()
    except Exception as exc:  # the promotion stands whatever happens to the notice
        console.print(
            f"[yellow]Running services were not notified ({type(exc).__name__}); they pick the "
            "champion up at their next registry poll or POST /v1/models/reload.[/]"
        )
        return
    console.print("Running services will serve it within seconds.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
    app.add_typer(train_app, name="train")
    app.command()(models)
    app.command()(promote)
