"""Shared fixtures: real databases (a SQLite file, and PostgreSQL when reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.frames import Ledger
from ledger.storage import make_engine, upgrade
from ledger.synth import SynthConfig, generate

POSTGRES_URL = os.environ.get(
    "ARSCORE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_unreachable_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can): probed once per session, and only when
    a test asks for PostgreSQL, so a run without such tests never waits on the connect timeout."""
    return _postgres_unreachable_reason()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(postgres_unreachable: str | None) -> Iterator[str]:
    """A fresh, empty schema in the PostgreSQL test database, dropped afterwards."""
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    schema = f"arscore_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test against SQLite and PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


# A book with many new customers and a first-year default signal to learn from. The 900-customer
# books of the model and service tests hold too few onboarding defaults (7 of 301 applicants)
# for an honest onboarding model: it ranked worse than chance and now, with monotone profile
# features, cannot even be calibrated. Profile-only, so applicants score the same whichever book
# the onboarding model came from.
APPLICANT_BOOK = SynthConfig(
    customers=3000, months=36, seed=5, existing_share=0.3, new_customer_hazard_boost=2.0
)


@pytest.fixture(scope="session")
def applicant_ledger() -> Ledger:
    """The ledger onboarding models are trained on in the tests (see APPLICANT_BOOK)."""
    return generate(APPLICANT_BOOK).ledger
