"""SQL storage of the ledger: engine set-up, Alembic migrations, bulk upsert and reads.

SQLite is the zero-configuration default; PostgreSQL is the production database. Both go
through SQLAlchemy Core, and both support ``INSERT … ON CONFLICT DO UPDATE``, which makes
re-ingesting the same rows idempotent.

Size: over the house's ~400 lines because writes and reads share the dtype conversion, the id
rule and the per-database details (pragmas, locks, statistics); the id rule and the write
transaction are the next to move to modules of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, event, func, select
from sqlalchemy.engine import make_url

from ledger import tables
from ledger.as_of import LedgerDates, evidence_dates, next_dates, read_ledger_dates
from ledger.frames import Ledger, add_implied_payments, frame_from_columns
from ledger.schema import ENTITIES, IMPLIED_PAYMENT_SUFFIX, Kind

MIGRATIONS = Path(__file__).parent / "migrations"
UPSERT_ORDER: tuple[str, ...] = ("customers", "invoices", "payments", "orders")
_CHUNK_ROWS = 50_000
# Above this many ids a filtered read loads everything and filters in memory instead of sending
# an enormous IN list (SQLite caps bound parameters).
_MAX_IN_LIST = 2_000


class StorageError(RuntimeError):
    """The database cannot be used as asked (unsupported dialect, unreachable server…)."""


# The one definition of a valid id (customer, invoice, payment, order, decision, job): 1 to 64
# characters, no control characters. Every entry checks ids by it, so an id that is stored can
# always be named again in a URL; PostgreSQL cannot store NUL at all, and SQLite would keep a
# longer id than the column declares.
ID_MAX_LENGTH = 64
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
ID_PATTERN = f"^[^{_CONTROL}]{{1,{ID_MAX_LENGTH}}}$"
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL}]")


def id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid id (see ``ID_PATTERN``), or None when it is."""
    if not value:
        return "an id must not be empty"
    if len(value) > ID_MAX_LENGTH:
        return f"an id has at most {ID_MAX_LENGTH} characters; this one has {len(value):,}"
    found = _CONTROL_CHARACTER.search(value)
    if found is not None:
        return f"an id must not contain control characters (found U+{ord(found.group()):04X})"
    return None


class InvalidIdError(StorageError, ValueError):
    """Rows whose ids break the id rule (:func:`id_problem`); nothing was written."""


SQLITE_CACHE_KIB = 64 * 1024
SQLITE_BUSY_SECONDS = 30.0


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; plain ``postgresql://`` URLs use the psycopg 3 driver.

    SQLite gets foreign keys switched on and WAL journalling, so references are enforced and
    readers (the API) are not blocked by a long ingest.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # A server connection can drop between requests; a SQLite file cannot, so only
    # PostgreSQL pays for the ping on checkout.
    sqlite = parsed.get_backend_name() == "sqlite"
    # A SQLite writer waits this long for another writer's lock (a long ingest) before it gives
    # up with "database is locked"; readers never wait (WAL).
    connect_args = {"timeout": SQLITE_BUSY_SECONDS} if sqlite else {}
    engine = create_engine(
        parsed, pool_pre_ping=not sqlite, pool_use_lifo=True, connect_args=connect_args
    )
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A 64 MB page cache keeps a worker's hot pages between requests. No memory map: after
    # another process writes (the other worker's audit records), reads through a map cost
    # twice as much (measured: 2.2 ms against 1.2 ms for a limit check's reads).
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def alembic_config(connection: Connection) -> Config:
    """An Alembic config bound to ``connection`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision`` (idempotent)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None before the first upgrade."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# ---------------------------------------------------------------------------------------------
# Writing


def _upsert_sql(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> str:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` for ``columns``, in the driver's paramstyle.

    Written as plain SQL (both SQLite and PostgreSQL accept it) and executed with tuples: for
    bulk loads SQLAlchemy's per-row parameter processing costs more than the database itself.
    """
    key = next(iter(table.primary_key.columns)).name
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    to_update = columns if update_columns is None else update_columns
    updates = [f"{c} = excluded.{c}" for c in to_update if c != key]
    updates.append("updated_at = CURRENT_TIMESTAMP")
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(updates)}"
    )


def _python_column(series: pd.Series, kind: Kind, dates_as_text: bool) -> list[Any]:
    """One column as DB-API values: None for missing; dates as ``datetime.date`` or, for
    SQLite (which stores them as ISO text anyway), as ``YYYY-MM-DD`` strings."""
    if kind is Kind.DATE:
        days = series.to_numpy(dtype="datetime64[D]")
        if dates_as_text:
            text = np.datetime_as_string(days, unit="D").astype(object)
            text[np.isnat(days)] = None
            return text.tolist()
        return days.astype(object).tolist()
    if kind is Kind.BOOL:
        return series.astype(bool).tolist()
    if kind in (Kind.AMOUNT, Kind.SIGNED_AMOUNT, Kind.NUMBER):
        values = series.to_numpy(dtype="float64")
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    if kind is Kind.COUNT:
        return [None if pd.isna(v) else int(v) for v in series.astype(object)]
    objects = series.astype(object)
    return objects.where(series.notna(), None).tolist()


def _rows(entity_name: str, frame: pd.DataFrame, dates_as_text: bool) -> Iterator[list[tuple]]:
    entity = ENTITIES[entity_name]
    for start in range(0, len(frame), _CHUNK_ROWS):
        chunk = frame.iloc[start : start + _CHUNK_ROWS]
        columns = [_python_column(chunk[f.name], f.kind, dates_as_text) for f in entity.fields]
        yield list(zip(*columns, strict=True))


def upsert_frames(
    connection: Connection,
    frames: dict[str, pd.DataFrame],
    update_columns: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, int]:
    """Insert or update (by id) conformed entity frames inside the caller's transaction.

    New rows get every column. Existing rows get every column too, unless ``update_columns``
    names, per entity, the only columns to overwrite (the ones a file actually carried).
    Parents are written before children so foreign keys hold. Returns rows written per entity.
    Payments implied by ``paid_date`` are never stored (they are derived on read).
    """
    _check_ids(frames)
    written: dict[str, int] = {}
    for name in UPSERT_ORDER:
        frame = frames.get(name)
        if frame is None or frame.empty:
            written[name] = 0
            continue
        if name == "payments":
            frame = frame[~frame["payment_id"].str.endswith(IMPLIED_PAYMENT_SUFFIX)]
        only = None if update_columns is None else update_columns.get(name)
        sql = _upsert_sql(connection, tables.ENTITY_TABLES[name], ENTITIES[name].columns, only)
        dates_as_text = connection.dialect.name == "sqlite"
        for batch in _rows(name, frame, dates_as_text):
            connection.exec_driver_sql(sql, batch)
        written[name] = len(frame)
    _refresh_statistics(connection, written)
    return written


def _check_ids(frames: Mapping[str, pd.DataFrame]) -> None:
    """Refuse ids no URL could name again (the last guard; callers report rows earlier)."""
    for name, frame in frames.items():
        if name not in ENTITIES or frame is None:
            continue
        for field in ENTITIES[name].fields:
            if field.kind is not Kind.ID or field.name not in frame.columns:
                continue
            values = frame[field.name].dropna().astype(str)
            if name == "payments":  # implied payments are never stored
                values = values[~values.str.endswith(IMPLIED_PAYMENT_SUFFIX)]
            bad = (values.str.len() > ID_MAX_LENGTH) | (values == "")
            bad |= values.str.contains(_CONTROL_CHARACTER, regex=True)
            if bad.any():
                value = str(values[bad].iloc[0])
                raise InvalidIdError(f"{name}.{field.name} {value[:80]!r}: {id_problem(value)}")


# After a load this large, PostgreSQL's planner statistics are refreshed at once instead of at
# autovacuum's leisure: until then it may scan whole tables for one customer's rows (measured:
# a limit check's reads took 13 ms before ANALYZE, 1.2 ms after).
STATISTICS_REFRESH_ROWS = 10_000


def _refresh_statistics(connection: Connection, written: dict[str, int]) -> None:
    if connection.dialect.name != "postgresql":
        return  # SQLite's planner picks the indexes without statistics
    for name, rows in written.items():
        if rows >= STATISTICS_REFRESH_ROWS:
            connection.exec_driver_sql(f"ANALYZE {tables.ENTITY_TABLES[name].name}")


def write_ledger(
    engine: Engine, ledger: Ledger, source: str = "ledger", as_of: date | None = None
) -> dict[str, int]:
    """Upsert a whole in-memory ledger in one transaction and log the run with the data's
    dates: ``as_of`` when given (a synthetic ledger's last day), else the latest evidence."""
    frames = _frames_of(ledger)
    with engine.begin() as connection:
        dates = next_dates(read_ledger_dates(connection), evidence_dates(frames), as_of)
        written = upsert_frames(connection, frames)
        record_ingest_run(connection, source, written, notes=None, dates=dates)
    return written


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads, checks and then writes: what the checks read still holds when
    the write commits.

    On SQLite it takes the database's write lock at BEGIN (``BEGIN IMMEDIATE``), so such
    writers run one after another; readers are not blocked (WAL). Without it, the driver runs
    the reads outside any transaction and only the first write takes the lock - two uploads
    could both see an invoice unpaid and both pay it. On PostgreSQL the caller locks the rows
    its checks depend on (:func:`lock_invoices`)."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection


def lock_invoices(connection: Connection, invoice_ids: Iterable[str]) -> None:
    """Hold the rows of ``invoice_ids`` (those that exist) until the transaction ends, so
    concurrent writers of the same invoices - their payments, amount or customer - take turns.
    Locked in id order, so two writers never wait on each other in a cycle. PostgreSQL only:
    a SQLite :func:`write_transaction` already holds the whole database's write lock."""
    if connection.dialect.name != "postgresql":
        return
    ordered = sorted(set(invoice_ids))
    inv = tables.invoices
    for start in range(0, len(ordered), _MAX_IN_LIST):
        chunk = ordered[start : start + _MAX_IN_LIST]
        connection.execute(
            select(inv.c.invoice_id)
            .where(inv.c.invoice_id.in_(chunk))
            .order_by(inv.c.invoice_id)
            .with_for_update()
        ).all()


def record_ingest_run(
    connection: Connection,
    source: str,
    written: dict[str, int],
    notes: Sequence[str] | None,
    dates: LedgerDates | None = None,
) -> None:
    """Append one row to the ingest log (what was loaded, when, from where, and the data's
    first and as-of dates after it: see :mod:`ledger.as_of`)."""
    connection.execute(
        tables.ingest_runs.insert().values(
            source=source[:2000],
            notes="\n".join(notes) if notes else None,
            data_from=None if dates is None else dates.first,
            data_as_of=None if dates is None else dates.as_of,
            **{name: int(written.get(name, 0)) for name in UPSERT_ORDER},
        )
    )


def _frames_of(ledger: Ledger) -> dict[str, pd.DataFrame]:
    return {
        "customers": ledger.customers,
        "invoices": ledger.invoice_rows,
        "payments": ledger.payments,
        "orders": ledger.orders,
    }


# ---------------------------------------------------------------------------------------------
# Reading


# What each entity's read selects from, and which column picks a customer's rows.
_READ_FROM: dict[str, tuple[str, str, str]] = {
    "customers": ("customers AS t", "t.customer_id", "t.customer_id"),
    "invoices": ("invoices AS t", "t.customer_id", "t.invoice_id"),
    "payments": (
        "payments AS t JOIN invoices AS i ON i.invoice_id = t.invoice_id",
        "i.customer_id",
        "t.payment_id",
    ),
    "orders": ("orders AS t", "t.customer_id", "t.order_id"),
}


@lru_cache(maxsize=256)
def _read_sql(entity_name: str, n_ids: int | None, marker: str) -> str:
    """The SELECT for one entity, for all rows or for ``n_ids`` customers; cached, because
    building and compiling statements cost more than a one-customer read itself."""
    source, customer_column, key = _READ_FROM[entity_name]
    columns = ", ".join(f"t.{c}" for c in ENTITIES[entity_name].columns)
    where = ""
    if n_ids is not None:
        where = f" WHERE {customer_column} IN ({', '.join([marker] * n_ids)})"
    return f"SELECT {columns} FROM {source}{where} ORDER BY {key}"


def _read(connection: Connection, entity_name: str, ids: list[str] | None) -> pd.DataFrame:
    """Rows of one entity, straight from the DB-API cursor, built column-wise.

    Going around SQLAlchemy's row objects matters at ledger scale: pandas probes each Row for
    namedtuple-ness, and SQLite dates are parsed far faster by numpy in one vectorised call
    than one by one.
    """
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = _read_sql(entity_name, None if ids is None else len(ids), marker)
    rows = connection.exec_driver_sql(sql, tuple(ids or ())).cursor.fetchall()
    entity = ENTITIES[entity_name]
    values = list(zip(*rows, strict=True)) if rows else [()] * len(entity.fields)
    return frame_from_columns(entity, values)


def load_ledger(
    bind: Engine | Connection,
    customer_ids: Iterable[str] | None = None,
    implied_payments: bool = True,
) -> Ledger:
    """Read the ledger (or the sub-ledger of ``customer_ids``) into memory.

    With ``implied_payments`` the invoices' ``paid_date`` becomes one full payment where an
    invoice has no explicit payment; with False only stored payments are returned (what ingest
    validation needs to check payment totals).
    """
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return load_ledger(connection, customer_ids, implied_payments)
    ids = None if customer_ids is None else list(dict.fromkeys(customer_ids))
    if ids is not None and len(ids) > _MAX_IN_LIST:
        return load_ledger(bind, None, implied_payments).for_customers(ids)
    if ids is not None and not ids:
        return Ledger.empty()
    customers = _read(bind, "customers", ids)
    invoices = _read(bind, "invoices", ids)
    payments = _read(bind, "payments", ids)
    orders = _read(bind, "orders", ids)
    if implied_payments:
        payments = add_implied_payments(invoices, payments)
    return Ledger(customers=customers, invoices=invoices, payments=payments, orders=orders)


def referenced_customers(connection: Connection, frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """The customers a batch of raw rows (canonical column names) touches: named directly, or
    owning an invoice, payment or order the batch references or overwrites. Validating a small
    batch against just their sub-ledger gives the same verdict as against the whole ledger,
    because every ingest rule is about one customer's own rows."""

    def values(entity: str, column: str) -> set[str]:
        frame = frames.get(entity)
        if frame is None or column not in frame.columns:
            return set()
        text = frame[column].dropna().astype(str).str.strip()
        return set(text[text != ""])

    owners = set()
    for entity in ("customers", "invoices", "orders"):
        owners |= values(entity, "customer_id")
    invoice_ids = values("invoices", "invoice_id") | values("payments", "invoice_id")
    invoice_ids |= values("invoices", "reference_invoice_id")  # a credit note's invoice
    inv, pay, orders = tables.invoices, tables.payments, tables.orders
    lookups = (
        (
            select(inv.c.customer_id).where(inv.c.invoice_id.in_(bindparam("ids", expanding=True))),
            invoice_ids,
        ),
        (
            select(inv.c.customer_id)
            .join(pay, pay.c.invoice_id == inv.c.invoice_id)
            .where(pay.c.payment_id.in_(bindparam("ids", expanding=True))),
            values("payments", "payment_id"),
        ),
        (
            select(orders.c.customer_id).where(
                orders.c.order_id.in_(bindparam("ids", expanding=True))
            ),
            values("orders", "order_id"),
        ),
    )
    for query, ids in lookups:
        ordered = sorted(ids)
        for start in range(0, len(ordered), _MAX_IN_LIST):
            chunk = ordered[start : start + _MAX_IN_LIST]
            owners.update(connection.execute(query, {"ids": chunk}).scalars())
    return sorted(owners)


def table_counts(bind: Engine | Connection) -> dict[str, int]:
    """Row counts of the four ledger tables."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return table_counts(connection)
    return {
        name: int(bind.execute(select(func.count()).select_from(table)).scalar_one())
        for name, table in tables.ENTITY_TABLES.items()
    }
