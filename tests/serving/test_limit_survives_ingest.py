"""The service is the system of record for credit limits: a limit approved through
``PUT /v1/customers/{id}/credit-limit`` survives a re-ingest of the ERP's customer file, and
``update_limits`` replaces it with a recorded change. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from arscore.policy import Policy
from ledger import tables
from ledger.credit_limits import INGEST_SOURCE
from ledger.ingest import IngestSources, ingest
from models.scoring.common import ScoringPolicy
from serving.app import create_app
from serving.auth import create_token
from serving.config import ServingConfig
from serving.model_store import ModelStore
from serving.state import ServiceState

CUSTOMERS = [
    [
        "customer_id",
        "name",
        "country",
        "industry",
        "onboarding_date",
        "payment_terms_days",
        "credit_limit",
    ],
    ["C000003", "Gamma SA", "FR", "Retail", "2023-01-15", "30", "10000"],
]
INVOICES = [
    ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
    ["INV-1", "C000003", "2024-01-10", "2024-02-09", "1000"],
]


def _write(folder: Path) -> Path:
    folder.mkdir()
    for name, rows in (("customers", CUSTOMERS), ("invoices", INVOICES)):
        (folder / f"{name}.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    return folder


def _history(engine: Engine) -> list[tuple]:
    t = tables.credit_limit_changes
    with engine.connect() as connection:
        rows = connection.execute(
            select(t.c.old_amount, t.c.new_amount, t.c.changed_by).order_by(t.c.change_id)
        ).all()
    return [tuple(r) for r in rows]


def test_a_limit_set_through_the_service_survives_a_reingest(engine: Engine, tmp_path: Path):
    folder = _write(tmp_path / "erp")
    ingest(engine, IngestSources.from_dir(folder))
    config = ServingConfig()
    state = ServiceState(
        engine=engine,
        config=config,
        policy=ScoringPolicy.from_policy(Policy()),
        store=ModelStore(config, f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"),
    )
    with engine.begin() as connection:
        token = create_token(connection, "officer", "credit_officer")
    with TestClient(create_app(state, load_models=False)) as client:
        put = client.put(
            "/v1/customers/C000003/credit-limit",
            json={"amount": 1234, "reason": "annual review"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert put.status_code == 200, put.text

        kept = ingest(engine, IngestSources.from_dir(folder))
        after_reingest = client.get(
            "/v1/customers/C000003/aging", headers={"Authorization": f"Bearer {token}"}
        ).json()["credit_limit"]

        updated = ingest(engine, IngestSources.from_dir(folder), update_limits=True)
        after_update = client.get(
            "/v1/customers/C000003/aging", headers={"Authorization": f"Bearer {token}"}
        ).json()["credit_limit"]

    assert after_reingest == 1234
    assert any("C000003" in note and "approved" in note for note in kept.notes)
    assert after_update == 10_000
    assert updated.limit_changes == 1
    assert _history(engine) == [(10_000, 1234, "officer"), (1234, 10_000, INGEST_SOURCE)]
