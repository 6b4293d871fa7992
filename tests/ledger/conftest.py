"""Fixtures of the ledger tests: a database already holding the BASE ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.ingest import IngestSources, ingest

from .ingest_files import write_ledger


@pytest.fixture
def seeded(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    """A SQLite ledger already holding BASE."""
    ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path / "base")))
    return sqlite_engine
