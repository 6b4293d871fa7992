"""What every command needs: validated settings, the policy, the migrated database, dates from
the command line and a console, each failing the same way (a red message and exit code 2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import overload

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from arscore.policy import Policy, PolicyError, load_policy
from arscore.settings import Settings
from ledger.as_of import read_ledger_dates, stale_warning, utc_today
from ledger.storage import StorageError, make_engine, upgrade

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` in red on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment, or a clear message naming the bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ARSCORE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise fail(f"invalid settings: {problems}", code=2) from exc


def load_policy_or_fail(settings: Settings) -> Policy:
    """The credit policy the settings name (the built-in one when unset), or exit code 2 with
    every problem of the file."""
    try:
        return load_policy(settings.policy_file)
    except PolicyError as exc:
        raise fail(str(exc), code=2) from exc


def shown_url(url: str) -> str:
    """A database or tracking URL as safe to print: any password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a SQLAlchemy URL (an MLflow http:// or file: store): no password
        return url


def announce_database(settings: Settings) -> None:
    """The one dim line that tells which database a command reads (on stderr, so the output of
    ``--format json`` and the like stays clean)."""
    err_console.print(
        f"[dim]Database: {escape(shown_url(settings.database_url))}[/]",
        soft_wrap=True,
        highlight=False,
    )


def open_database(settings: Settings, announce: bool = True) -> Engine:
    """The ledger database, migrated to the current schema; with ``announce`` its URL is
    printed first, so where the data lives is never a surprise."""
    if announce:
        announce_database(settings)
    settings.ensure_home()
    try:
        engine = make_engine(settings.database_url)
        upgrade(engine)
    except StorageError as exc:
        raise fail(str(exc), code=2) from exc
    except Exception as exc:  # connection refused, bad credentials…: say where and why
        raise fail(
            f"cannot open the database {shown_url(settings.database_url)!r}: "
            f"{type(exc).__name__}: {exc}",
            code=2,
        ) from exc
    return engine


@overload
def parse_date(value: str, option: str) -> date: ...
@overload
def parse_date(value: str | None, option: str) -> date | None: ...


def parse_date(value: str | None, option: str) -> date | None:
    """Parse an ISO date given on the command line, naming the option when it is wrong.

    A required option (``value: str``) gives a ``date``; an optional one may give ``None``."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise fail(f"{option} must be a date like 2025-06-30; got {value!r}", code=2) from exc


def resolve_as_of(engine: Engine, given: date | None, policy: Policy) -> date:
    """The date a command answers as of: ``given``, else the ledger's as-of date, printed with
    a warning when the data is older than the policy allows or ends before ``given``. A date in
    the future or before the ledger's first data is an error (exit code 2)."""
    dates = read_ledger_dates(engine)
    if given is None:
        if dates.as_of is None:
            raise fail("the ledger is empty: load it with `arscore ingest`, or give --as-of", 2)
        day = dates.as_of
        err_console.print(f"As of {day}, the date the ledger's data runs to.")
    else:
        day = given
        if day > utc_today():
            raise fail(f"--as-of {day} is in the future; answers are as of today or before", 2)
        if dates.first is not None and day < dates.first:
            raise fail(f"--as-of {day} is before the ledger's first data ({dates.first})", 2)
    if dates.as_of is None or day < dates.as_of:
        return day
    if day > dates.as_of:
        err_console.print(
            f"[yellow]warning:[/] the ledger's data ends on {dates.as_of}: payments since then "
            f"are not known, so invoices paid meanwhile still show as open on {day}."
        )
    stale = stale_warning(dates.as_of, policy.data)
    if stale is not None:
        err_console.print(f"[yellow]warning:[/] {stale['message']}")
    return day
