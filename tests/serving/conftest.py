"""One trained service for the whole session: a synthetic ledger in SQLite, its models in an
MLflow registry, API tokens for each role and the API app, served in-process.

In-process or on a real server:

- ``server`` (every test in test_api*.py) calls the app in-process through Starlette's
  ``TestClient``: the same ASGI app, middleware, lifespan (entered once for the session, so the
  champions load once) and database as under uvicorn, without a socket or a server thread. Those
  tests check what the app answers and records - routes, roles, validation, the body limit (by
  its ``content-length`` header), audit rows, the rescore job's thread - none of which depends on
  the transport.
- On real sockets stay only the tests about the server around the app:
  test_serve_command.py runs the production command ``arscore serve`` with two workers (uvicorn,
  keep-alive connections held open at once, SO_REUSEPORT spreading them over the workers, a
  promotion reaching every worker) and is the one end-to-end test; test_workers.py binds the
  per-worker listening sockets themselves. Both need the kernel's sockets and separate
  processes, which no in-process client can stand in for.
"""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from arscore.policy import Policy
from ledger import tables
from ledger.frames import Ledger
from ledger.storage import make_engine, upgrade, write_ledger
from ledger.synth import SynthConfig, generate
from models.scoring.common import ScoringPolicy
from serving.app import create_app
from serving.auth import create_token
from serving.config import ServingConfig
from serving.model_store import ModelStore
from serving.state import ServiceState
from training.pipeline import train_ledger_models

AS_OF = "2026-10-31"


@dataclass(frozen=True)
class Trained:
    home: Path
    database_url: str
    tracking_uri: str
    ledger: Ledger
    policy: Policy


class _InProcess(httpx.BaseTransport):
    """Sends each request through the session's ``TestClient`` - its event loop, the app after
    the lifespan's start-up - so a client per role can be opened and closed freely."""

    def __init__(self, app: TestClient) -> None:
        self._app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._app.send(request)


@dataclass(frozen=True)
class Server:
    app: TestClient
    tokens: dict[str, str]
    state: ServiceState

    def client(self, role: str | None = None, token: str | None = None) -> httpx.Client:
        headers = {}
        if role is not None or token is not None:
            headers["Authorization"] = f"Bearer {token or self.tokens[role]}"
        return httpx.Client(
            transport=_InProcess(self.app), base_url=str(self.app.base_url), headers=headers
        )


def _policy() -> Policy:
    # Small books: fewer trees and a lower event floor keep the session quick and let the
    # onboarding model train on a 900-customer ledger.
    return Policy.model_validate(
        {"training": {"min_positives": 5, "lightgbm": {"max_boost_rounds": 40}}}
    )


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, applicant_ledger: Ledger) -> Trained:
    home = tmp_path_factory.mktemp("service")
    ledger = generate(SynthConfig(customers=900, months=36, seed=5)).ledger
    database_url = f"sqlite:///{(home / 'arscore.db').as_posix()}"
    engine = make_engine(database_url)
    upgrade(engine)
    write_ledger(engine, ledger)
    engine.dispose()
    policy = _policy()
    tracking_uri = f"sqlite:///{(home / 'mlflow.db').as_posix()}"
    train_ledger_models(
        ledger,
        rules=policy,
        training=policy.training,
        scale=policy.master_scale,
        tracking_uri=tracking_uri,
        promote=True,
        tasks=("default_pd", "late_payment", "days_late"),
    )
    train_ledger_models(
        applicant_ledger,
        rules=policy,
        training=policy.training,
        scale=policy.master_scale,
        tracking_uri=tracking_uri,
        promote=True,
        tasks=("onboarding_pd",),
    )
    return Trained(home, database_url, tracking_uri, ledger, policy)


def make_state(trained: Trained, database_url: str | None = None) -> ServiceState:
    engine = make_engine(database_url or trained.database_url)
    upgrade(engine)
    config = ServingConfig(max_body_bytes=20_000, max_batch_rows=200)
    return ServiceState(
        engine=engine,
        config=config,
        policy=ScoringPolicy.from_policy(trained.policy),
        store=ModelStore(config, trained.tracking_uri),
    )


def make_tokens(state: ServiceState) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    with state.engine.begin() as connection:
        return {
            role: create_token(connection, f"{role}-{suffix}", role)
            for role in ("credit_officer", "sales", "risk_admin")
        }


def copy_database(trained: Trained, tmp_path: Path) -> str:
    """A private copy of the service database, for tests that break it."""
    target = tmp_path / "copy.db"
    shutil.copy(trained.home / "arscore.db", target)
    return f"sqlite:///{target.as_posix()}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(trained: Trained) -> Iterator[Server]:
    """The app of the trained service, in-process; its lifespan runs once for the session."""
    state = make_state(trained)
    tokens = make_tokens(state)
    with TestClient(create_app(state)) as app:
        yield Server(app, tokens, state)


@pytest.fixture
def private_service(trained: Trained, tmp_path: Path) -> tuple[ServiceState, dict[str, str]]:
    """A service state on a private copy of the database (models not yet loaded) and tokens,
    for tests that break the database or the registry."""
    state = make_state(trained, copy_database(trained, tmp_path))
    return state, make_tokens(state)


@dataclass(frozen=True)
class Service:
    """A service on its own database (SQLite or PostgreSQL), models not loaded, in-process."""

    app: TestClient
    tokens: dict[str, str]
    state: ServiceState
    customers: list[str]

    def call(self, role: str, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}", **kwargs.pop("headers", {})}
        return self.app.request(method, path, headers=headers, **kwargs)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service_on(
    request: pytest.FixtureRequest, trained: Trained, tmp_path: Path
) -> Iterator[Service]:
    """The service on a private database: a copy of the trained SQLite file, or a fresh
    PostgreSQL schema holding 20 of its customers; for tests that write or break it."""
    if request.param == "sqlite":
        state = make_state(trained, copy_database(trained, tmp_path))
    else:
        state = make_state(trained, request.getfixturevalue("pg_url"))
        ids = trained.ledger.customers["customer_id"].iloc[:20].tolist()
        write_ledger(state.engine, trained.ledger.for_customers(ids))
    tokens = make_tokens(state)
    with state.engine.connect() as connection:
        customers = list(
            connection.execute(
                select(tables.customers.c.customer_id).order_by(tables.customers.c.customer_id)
            ).scalars()
        )
    with TestClient(create_app(state, load_models=False)) as app:
        yield Service(app, tokens, state, customers)
    state.engine.dispose()
