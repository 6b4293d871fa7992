"""Benchmark: validated ingest of a synthetic ledger written as CSV.

Generates a ledger with ``ledger.synth``, writes it as CSV, then times the real path:
reading each file, validation alone, each entity's write (``upsert_frames``), and the
end-to-end ``ledger.ingest.ingest`` into a fresh SQLite file (and a fresh PostgreSQL schema when
the server is reachable). A second ingest of the same files measures the idempotent re-ingest
(every row an upsert hit, validated against the full database).

    .venv/bin/python bench/ingest.py                      # ~20k customers x 24 months
    .venv/bin/python bench/ingest.py --customers 2000 --months 12 --no-postgres
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

import pandas as pd
from sqlalchemy import Engine, create_engine, text

from ledger.frames import Ledger
from ledger.ingest import IngestSources, ingest
from ledger.readers import read_table
from ledger.storage import make_engine, upgrade, upsert_frames
from ledger.synth import SynthConfig, generate, write
from ledger.validate import validate_frames

ENTITIES = ("customers", "invoices", "payments", "orders")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:>12,.0f} rows/s" if seconds > 0 else "           - rows/s"


def write_per_entity(engine: Engine, frames: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Seconds to upsert each validated entity frame (one transaction, parents first)."""
    seconds: dict[str, float] = {}
    with engine.begin() as connection:
        for name in ENTITIES:
            if name in frames:
                _, seconds[name] = timed(lambda n=name: upsert_frames(connection, {n: frames[n]}))
    return seconds


def bench_database(
    label: str,
    make: Callable[[], Engine],
    sources: IngestSources,
    frames: dict[str, pd.DataFrame],
    read_seconds: dict[str, float],
) -> None:
    """Per-entity write rates on one fresh database, then ``ingest`` end to end on another."""
    counts = {name: len(frames.get(name, ())) for name in ENTITIES}
    engine = make()
    upgrade(engine)
    write_seconds = write_per_entity(engine, frames)
    engine.dispose()
    print(f"\n{label}: per entity (read = CSV to text frame, write = upsert_frames)")
    print(f"  {'entity':<10}{'rows':>11}  {'read s':>7}  {'write s':>7}  {'write rows/s':>13}")
    for name in ENTITIES:
        if name in write_seconds:
            w = write_seconds[name]
            print(
                f"  {name:<10}{counts[name]:>11,}  {read_seconds[name]:7.2f}  {w:7.2f}  "
                f"{rate(counts[name], w)}"
            )

    engine = make()
    upgrade(engine)
    total = sum(counts.values())
    first = ingest(engine, sources)
    print(f"  ingest() into a fresh database: {first.seconds:6.2f} s  {rate(total, first.seconds)}")
    again = ingest(engine, sources)
    print(
        f"  ingest() again, same files:     {again.seconds:6.2f} s  {rate(total, again.seconds)}"
        "  (validates against the full database; every row an update)"
    )
    engine.dispose()


@contextmanager
def postgres_schemas(url: str) -> Iterator[Callable[[], Engine] | None]:
    """A factory of throw-away PostgreSQL schemas, or None when the server is unreachable."""
    admin = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # unreachable server: skip, and say why
        print(f"\nPostgreSQL skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        admin.dispose()
        yield None
        return
    schemas: list[str] = []

    def make() -> Engine:
        schema = f"arscore_bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
        schemas.append(schema)
        separator = "&" if "?" in url else "?"
        return make_engine(f"{url}{separator}options=-csearch_path%3D{schema}")

    try:
        yield make
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="SQLAlchemy URL")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="arscore-bench-ingest-") as tmp:
        folder = Path(tmp) / "ledger"
        config = SynthConfig(customers=args.customers, months=args.months, seed=args.seed)
        result, seconds = timed(lambda: generate(config))
        print(f"generated {args.customers:,} customers x {args.months} months in {seconds:.1f} s")
        _, seconds = timed(lambda: write(result, folder, "csv"))
        sources = IngestSources.from_dir(folder)
        sizes = {n: p.stat().st_size / 1e6 for n, p in sources.paths().items()}
        print(f"wrote CSV in {seconds:.1f} s ({sum(sizes.values()):,.0f} MB)")

        raw: dict[str, pd.DataFrame] = {}
        names: dict[str, str] = {}
        read_seconds: dict[str, float] = {}
        for name, path in sources.paths().items():
            (raw[name], _notes), read_seconds[name] = timed(lambda p=path: read_table(p))
            names[name] = path.name
        total = sum(len(frame) for frame in raw.values())
        read_total = sum(read_seconds.values())
        print(f"read {total:,} rows of CSV as text: {read_total:.2f} s {rate(total, read_total)}")

        frames, seconds = timed(
            partial(validate_frames, raw, Ledger.empty(), file_names=names, notes=[])
        )
        print(f"validation only (empty database): {seconds:.2f} s {rate(total, seconds)}")
        del raw

        def make_sqlite() -> Engine:
            path = Path(tmp) / f"bench-{uuid.uuid4().hex[:8]}.db"
            return make_engine(f"sqlite:///{path.as_posix()}")

        bench_database("SQLite", make_sqlite, sources, frames, read_seconds)
        if not args.no_postgres:
            with postgres_schemas(args.postgres) as make_pg:
                if make_pg is not None:
                    bench_database("PostgreSQL", make_pg, sources, frames, read_seconds)

    print("\n(2 shared cores: figures are noisy; compare runs on the same machine state)")


if __name__ == "__main__":
    main()
