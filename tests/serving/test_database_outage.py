"""A database that goes away and comes back: every endpoint answers 503 in the error shape
during the outage (the token lookup included), recovers by itself, and no decision is
answered without its audit record."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ledger import tables
from ledger.storage import make_engine, upgrade, write_ledger
from models.scoring.common import ScoringPolicy
from serving.app import create_app
from serving.config import ServingConfig
from serving.model_store import ModelStore
from serving.state import ServiceState

from .conftest import Trained, make_tokens
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxied(pg_url: str, trained: Trained) -> Iterator[tuple[ServiceState, TcpProxy]]:
    """A service whose PostgreSQL connections all pass through a proxy the test can cut."""
    url = make_url(pg_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.restore()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    upgrade(engine)
    ids = trained.ledger.customers["customer_id"].iloc[:20].tolist()
    write_ledger(engine, trained.ledger.for_customers(ids))
    # Detail for anyone: during the outage no token can be checked, and the test reads why
    # /readyz is not ready.
    config = ServingConfig(reload_check_seconds=0, model_poll_seconds=0, public_health_detail=True)
    state = ServiceState(
        engine=engine,
        config=config,
        policy=ScoringPolicy.from_policy(trained.policy),
        store=ModelStore(config, trained.tracking_uri),
    )
    yield state, proxy
    proxy.cut()
    engine.dispose()


def _calls(customer_id: str) -> list[tuple[str, str, str, dict | None]]:
    return [
        ("sales", "GET", f"/v1/customers/{customer_id}/aging", None),
        ("sales", "POST", "/v1/limit-checks", {"customer_id": customer_id, "amount": 10}),
        ("credit_officer", "GET", f"/v1/customers/{customer_id}/invoices", None),
        ("credit_officer", "GET", "/v1/decisions/no-such-decision", None),
        ("risk_admin", "GET", "/v1/portfolio/aging", None),
    ]


def test_database_outage_is_503_in_the_error_shape_and_recovers_by_itself(proxied) -> None:
    state, proxy = proxied
    tokens = make_tokens(state)
    customer = str(state_customer(state))
    with TestClient(create_app(state, load_models=False)) as client:

        def call(role: str, method: str, path: str, body: dict | None):
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            return client.request(method, path, json=body, headers=headers)

        before = [call(*c).status_code for c in _calls(customer)]
        assert before == [200, 200, 200, 404, 200]

        proxy.cut()
        for c in _calls(customer):
            response = call(*c)
            assert response.status_code == 503, (c, response.text)
            assert response.json()["error"]["code"] == "unavailable", c
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert any("database unreachable" in p for p in ready.json()["problems"])

        proxy.restore()
        after = [call(*c).status_code for c in _calls(customer)]
        assert after == before

    with state.engine.connect() as connection:
        decisions = connection.execute(
            select(func.count()).select_from(tables.decisions)
        ).scalar_one()
    assert decisions == 2  # the two limit checks answered 200; none during the outage


def test_empty_idempotency_key_is_refused_with_422(server, trained) -> None:
    customer = str(trained.ledger.customers["customer_id"].iloc[3])
    with server.client("credit_officer") as client:
        response = client.post(
            "/v1/scores",
            json={"customer_id": customer, "as_of": "2026-10-31"},
            headers={"Idempotency-Key": ""},
        )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "Idempotency-Key" in error["details"][0]["loc"]


def state_customer(state: ServiceState) -> str:
    with state.engine.connect() as connection:
        return (
            connection.execute(
                select(tables.customers.c.customer_id).order_by(tables.customers.c.customer_id)
            )
            .scalars()
            .first()
            or ""
        )
