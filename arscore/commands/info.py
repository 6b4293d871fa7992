"""``arscore info``: where arscore keeps its data and what is there, created by nothing.

Home, ledger database, MLflow store, policy, the ledger's as-of date and the champion models, read
without migrating, creating or writing anything: a home that does not exist yet is said to be
so, and so is a database or a model store that has not been created.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import typer

from arscore.logs import quiet_mlflow
from arscore.policy import PolicyError, load_policy, policy_fingerprint
from arscore.runtime import console, load_settings, shown_url
from arscore.settings import Settings
from models.tasks import REGISTERED_MODELS

_NOT_YET = "not created yet"


def info() -> None:
    """Show where arscore keeps its data (home, database, MLflow store, policy), the ledger's
    as-of date and the champion models, without creating anything."""
    settings = load_settings()
    home = settings.home
    hint = " (does not exist yet: `arscore ingest` or `arscore demo` creates it)"
    _line("Home", f"{home}" + ("" if home.is_dir() else hint))
    _line("Database", f"{shown_url(settings.database_url)}{_missing(settings.database_url)}")
    _line(
        "MLflow store",
        f"{shown_url(settings.mlflow_tracking_uri)}{_missing(settings.mlflow_tracking_uri)}",
    )
    _line("Policy", _policy(settings))
    _line("Data as of", _data_as_of(settings))
    for task, name in REGISTERED_MODELS.items():
        _line(f"Champion {task}", _champion(settings, name))


def _line(label: str, value: str) -> None:
    console.print(f"{label + ':':<27} {value}", soft_wrap=True, highlight=False, markup=False)


def _local_file(url: str) -> Path | None:
    """The file a SQLite URL or a local MLflow file store names (None: a server)."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        database = url.split(":///", 1)[1] if ":///" in url else ""
        return Path(unquote(database)) if database not in ("", ":memory:") else None
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path))
    return None


def _missing(url: str) -> str:
    local = _local_file(url)
    return f" ({_NOT_YET})" if local is not None and not local.exists() else ""


def _policy(settings: Settings) -> str:
    where = "built-in defaults" if settings.policy_file is None else str(settings.policy_file)
    try:
        policy = load_policy(settings.policy_file)
    except PolicyError as exc:
        return f"{where} (cannot be loaded: {exc})"
    return f"{where}, version {policy.version} ({policy_fingerprint(policy)[:12]})"


def _data_as_of(settings: Settings) -> str:
    if _missing(settings.database_url):
        return "no ledger yet"
    from sqlalchemy.exc import SQLAlchemyError

    from ledger.as_of import ledger_as_of
    from ledger.storage import StorageError, make_engine

    try:
        engine = make_engine(settings.database_url)
    except StorageError as exc:
        return f"cannot read the database: {exc}"
    try:
        day = ledger_as_of(engine)
    except SQLAlchemyError as exc:
        return f"cannot read the database ({type(exc).__name__}); `arscore db upgrade` may help"
    finally:
        engine.dispose()
    return "the ledger is empty" if day is None else day.isoformat()


def _champion(settings: Settings, name: str) -> str:
    if _missing(settings.mlflow_tracking_uri):
        return "none (no model store yet)"
    from training.registry import champion

    quiet_mlflow()
    try:
        found = champion(name, settings.mlflow_tracking_uri)
    except Exception as exc:  # an unreachable or broken store: say so, show the rest
        return f"cannot read the model store ({type(exc).__name__}: {exc})"
    if found is None:
        return "none (the expert scorecard gives PDs)" if "pd" in name else "none"
    metric = "" if found.metric is None else f", {found.metric} {found.metric_value:.4f}"
    return f"{name} v{found.version} (registered {found.created:%Y-%m-%d}{metric})"


def register(app: typer.Typer) -> None:
    """Add ``arscore info`` to the CLI."""
    app.command()(info)
