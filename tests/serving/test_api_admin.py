"""What risk admins run: served models and reloads, decisions, ledger upserts and rescoring."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from ledger import tables

from .api_helpers import AS_OF, customer_of


def test_models_lists_versions_and_metrics(server) -> None:
    with server.client("credit_officer") as client:
        body = client.get("/v1/models").json()
    names = {m["name"]: m for m in body["models"]}
    assert names["arscore-default-pd"]["version"] == "1"
    assert "auc" in names["arscore-default-pd"]["metrics"]
    assert "mae" in names["arscore-days-late"]["metrics"]


def test_reload_with_unchanged_champions_keeps_them(server) -> None:
    with server.client("risk_admin") as client:
        body = client.post("/v1/models/reload").json()
    assert body["models"]["default_pd"] == {"status": "unchanged", "version": "1"}


def test_unknown_decision_is_404(server) -> None:
    with server.client("risk_admin") as client:
        assert client.get("/v1/decisions/nope").status_code == 404


# --- ledger upserts and rescoring -------------------------------------------------------


def test_ledger_upserts_are_all_or_nothing_and_idempotent(server, trained) -> None:
    customer_id = customer_of(trained, 20)
    invoice = {
        "invoice_id": "API-INV-1",
        "customer_id": customer_id,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "amount": 1500.25,
    }
    broken = {**invoice, "invoice_id": "API-INV-2", "amount": 0}  # -1 is a credit note
    payment = {
        "payment_id": "API-PAY-1",
        "invoice_id": "API-INV-1",
        "payment_date": "2026-11-10",
        "amount": 500,
    }
    order = {
        "order_id": "API-ORD-1",
        "customer_id": customer_id,
        "order_date": "2026-11-05",
        "amount": 900,
        "status": "open",
    }
    with server.client("risk_admin") as client:
        refused = client.post("/v1/ledger/invoices", json={"records": [invoice, broken]})
        assert refused.status_code == 422
        assert "body.records.2.amount" in [d["loc"] for d in refused.json()["error"]["details"]]
        with server.state.engine.connect() as connection:
            stored = connection.execute(
                select(tables.invoices.c.invoice_id).where(
                    tables.invoices.c.invoice_id == "API-INV-1"
                )
            ).all()
        assert stored == []  # the good record was not written either
        for _ in range(2):
            written = client.post("/v1/ledger/invoices", json={"records": [invoice]})
            assert written.status_code == 200
            assert written.json()["rows_written"]["invoices"] == 1
        assert client.post("/v1/ledger/payments", json={"records": [payment]}).status_code == 200
        assert client.post("/v1/ledger/orders", json={"records": [order]}).status_code == 200
        unknown = client.post(
            "/v1/ledger/payments", json={"records": [{**payment, "invoice_id": "NONE"}]}
        )
        assert unknown.status_code == 422
        extra = client.post("/v1/ledger/orders", json={"records": [order], "mode": "fast"})
        assert extra.status_code == 422
        too_many = client.post(
            "/v1/ledger/orders", json={"records": [{"order_id": str(i)} for i in range(400)]}
        )
        assert too_many.status_code == 413
        aging = client.get(f"/v1/customers/{customer_id}/aging").json()
    opened = [i for i in aging["invoices"] if i["invoice_id"] == "API-INV-1"]
    assert opened[0]["open_amount"] == pytest.approx(1000.25)


def test_rescore_job_through_the_server(server, trained) -> None:
    with server.client("risk_admin") as client:
        job = client.post("/v1/portfolio/rescore", json={"as_of": AS_OF}).json()["job_id"]
        for _ in range(600):
            status = client.get(f"/v1/portfolio/rescore/{job}").json()
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status["status"] == "done", status
        scores = client.get("/v1/portfolio/scores", params={"as_of": AS_OF}).json()
    assert scores["run_id"] == job
    assert scores["count"] == len(trained.ledger.customers)
