"""What credit officers and sales staff read: limit checks, approved limits, aging and the
collector's invoice view."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ledger import tables

from .api_helpers import AS_OF, customer_of, decision_rows

# --- limit checks and limits ------------------------------------------------------------


def test_sales_limit_check_shows_no_risk_figures(server, trained) -> None:
    customer_id = customer_of(trained, 9)
    with server.client("sales") as client:
        response = client.post(
            "/v1/limit-checks", json={"customer_id": customer_id, "amount": 1_000_000_000}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] in {"refer", "decline"}
    assert "over_limit" in [r["code"] for r in body["reasons"]] or body["credit_limit"] is None
    text = json.dumps(body)
    for secret in ("default_probability", "score", "risk_grade", "contribution"):
        assert secret not in text
    assert body["available_after"] == pytest.approx(body["available_credit"] - 1_000_000_000)
    row = decision_rows(server, body["decision_id"])[0]._mapping
    assert row["caller_role"] == "sales"
    assert row["endpoint"] == "POST /v1/limit-checks"


@pytest.mark.parametrize(
    "body", [{"customer_id": "C000001", "amount": -5}, {"customer_id": "C000001"}, {"amount": 5}]
)
def test_bad_limit_check_is_422(server, body) -> None:
    with server.client("sales") as client:
        assert client.post("/v1/limit-checks", json=body).status_code == 422


def test_credit_limit_change_is_stored_with_its_decision(server, trained) -> None:
    customer_id = customer_of(trained, 11)
    with server.client("credit_officer") as client:
        response = client.put(
            f"/v1/customers/{customer_id}/credit-limit",
            json={"amount": 12_345, "reason": "annual review"},
        )
        bad = client.put(f"/v1/customers/{customer_id}/credit-limit", json={"amount": 5})
        missing = client.put(
            "/v1/customers/NOBODY/credit-limit", json={"amount": 5, "reason": "test"}
        )
        aging = client.get(f"/v1/customers/{customer_id}/aging").json()
    assert response.status_code == 200
    body = response.json()
    assert body["credit_limit"] == 12_345
    assert aging["credit_limit"] == 12_345
    with server.state.engine.connect() as connection:
        change = connection.execute(
            select(tables.credit_limit_changes).where(
                tables.credit_limit_changes.c.decision_id == body["decision_id"]
            )
        ).one()
    assert change.new_amount == 12_345
    assert change.reason == "annual review"
    assert bad.status_code == 422
    assert missing.status_code == 404


# --- aging, invoices, models --------------------------------------------------------------


def test_customer_and_portfolio_aging(server, trained) -> None:
    customer_id = customer_of(trained, 3)
    with server.client("sales") as client:
        one = client.get(f"/v1/customers/{customer_id}/aging", params={"as_of": AS_OF})
        book = client.get("/v1/portfolio/aging", params={"as_of": AS_OF})
        bad = client.get("/v1/portfolio/aging", params={"as_of": "yesterday"})
        unknown = client.get("/v1/customers/NOBODY/aging")
    assert one.status_code == 200
    assert book.status_code == 200
    assert one.json()["total_open"] == pytest.approx(sum(one.json()["buckets"].values()))
    assert book.json()["summary"]["customers"] == len(trained.ledger.customers)
    assert bad.status_code == 422
    assert unknown.status_code == 404


def test_invoices_view_lists_open_invoices_with_late_payment_probability(server, trained) -> None:
    customer_id = customer_of(trained, 3)
    with server.client("credit_officer") as client:
        response = client.get(f"/v1/customers/{customer_id}/invoices", params={"as_of": AS_OF})
    assert response.status_code == 200
    body = response.json()
    for invoice in body["invoices"]:
        assert 0 <= invoice["late_payment_probability"] <= 1
        assert invoice["collection_step"]
        assert invoice["expected_days_late"] is not None
        assert invoice["expected_payment_date"] >= invoice["due_date"]
    assert body["unavailable"] == {}
