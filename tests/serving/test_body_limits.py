"""The two upload limits agree: a full batch of the widest rows fits the default body limit,
and a body over the limit is a 413 in the error shape however it is framed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.schema import ENTITIES, Kind
from models.scoring.common import ScoringPolicy
from serving.app import create_app
from serving.config import ServingConfig
from serving.model_store import ModelStore
from serving.state import ServiceState

from .conftest import Trained, copy_database, make_state, make_tokens


def _widest_invoice(n: int, customer_id: str) -> dict:
    """An invoice with every column at its widest: 64-character ids, 17-digit amount."""
    row: dict = {}
    for field in ENTITIES["invoices"].fields:
        if field.kind is Kind.ID:
            row[field.name] = f"{n:064d}"
        elif field.kind is Kind.DATE:
            row[field.name] = "2026-11-30"
        elif field.kind in (Kind.AMOUNT, Kind.SIGNED_AMOUNT):
            row[field.name] = -123456789012345.67  # a credit note: one character wider
        elif field.kind is Kind.BOOL:
            row[field.name] = False
        elif field.kind is Kind.CURRENCY:
            row[field.name] = "EUR"
    row.update(
        customer_id=customer_id,
        invoice_date="2026-11-02",
        due_date="2026-12-02",
        dispute_date=None,
        written_off_date=None,
        paid_date=None,
    )
    return row


def test_a_full_batch_of_the_widest_rows_fits_the_default_body_limit() -> None:
    config = ServingConfig()
    rows = [_widest_invoice(n, "C" * 64) for n in range(config.max_batch_rows)]
    body = json.dumps({"records": rows}, indent=4).encode()
    assert len(body) <= config.max_body_bytes
    assert ServingConfig(max_batch_rows=100).max_body_bytes < config.max_body_bytes
    assert ServingConfig(max_body_bytes=5_000).max_body_bytes == 5_000


@pytest.fixture
def default_limits(trained: Trained, tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    """The service with the default body and batch limits, on a private database."""
    engine = make_state(trained, copy_database(trained, tmp_path)).engine
    config = ServingConfig(reload_check_seconds=0, model_poll_seconds=0)
    state = ServiceState(
        engine=engine,
        config=config,
        policy=ScoringPolicy.from_policy(trained.policy),
        store=ModelStore(config, trained.tracking_uri),
    )
    customer = str(trained.ledger.customers["customer_id"].iloc[7])
    with TestClient(create_app(state, load_models=False)) as app:
        yield app, make_tokens(state)["risk_admin"], customer
    engine.dispose()


def test_the_documented_batch_of_10000_invoices_can_be_uploaded(default_limits) -> None:
    app, token, customer = default_limits
    rows = [
        {
            **_widest_invoice(n, customer),
            "amount": 100.25,
            "disputed": "no",
            "reference_invoice_id": None,  # a reference must name another invoice
        }
        for n in range(10_000)
    ]
    body = json.dumps({"records": rows}).encode()
    assert len(body) > 1_000_000  # more than the old default limit let through
    response = app.post(
        "/v1/ledger/invoices",
        content=body,
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["rows_written"]["invoices"] == 10_000


def test_a_chunked_body_over_the_limit_is_413_in_the_error_shape(server) -> None:
    limit = server.state.config.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"customer_id": "C1", "pad": "'
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    with server.client("credit_officer") as client:
        response = client.post(
            "/v1/scores", content=chunks(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_body_within_the_limit_still_reaches_the_route(server, trained) -> None:
    customer = str(trained.ledger.customers["customer_id"].iloc[4])

    def chunks() -> Iterator[bytes]:
        yield b'{"customer_id": '
        yield json.dumps(customer).encode()
        yield b', "amount": 10}'

    with server.client("sales") as client:
        response = client.post(
            "/v1/limit-checks", content=chunks(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] == customer
