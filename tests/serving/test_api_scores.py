"""Scores and onboarding scores through the in-process app: the decision, its audit record,
idempotency, and bad requests."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ledger import tables
from ledger.as_of import ledger_as_of
from models.scoring.common import ScoringPolicy
from models.scoring.customers import score_customers

from .api_helpers import AS_OF, customer_of, decision_rows

# --- scores -------------------------------------------------------------------------------


def test_score_returns_the_decision_and_records_it(server, trained) -> None:
    customer_id = customer_of(trained)
    with server.client("credit_officer") as client:
        response = client.post("/v1/scores", json={"customer_id": customer_id, "as_of": AS_OF})
    assert response.status_code == 200
    body = response.json()
    for field in (
        "decision_id",
        "default_probability",
        "pd_basis",
        "late_payment_probability",
        "expected_days_late",
        "risk_grade",
        "score",
        "recommended_credit_limit",
        "current_credit_limit",
        "reasons",
        "aging",
        "overdue_risk",
        "early_warnings",
        "recommended_action",
        "model_versions",
    ):
        assert field in body
    assert body["recommended_credit_limit"]["currency"] == "EUR"
    assert body["pd_basis"] == "model"
    assert isinstance(body["expected_days_late"], float)
    assert "arscore-days-late" in body["model_versions"]
    assert {"feature", "value", "contribution", "direction", "text"} <= set(body["reasons"][0])
    rows = decision_rows(server, body["decision_id"])
    assert len(rows) == 1
    row = rows[0]._mapping
    assert row["endpoint"] == "POST /v1/scores"
    assert row["caller_role"] == "credit_officer"
    assert json.loads(row["outputs"]) == body
    assert row["policy_version"] == trained.policy.version
    with server.client("risk_admin") as client:
        stored = client.get(f"/v1/decisions/{body['decision_id']}").json()
    assert stored["outputs"] == body
    assert stored["inputs"]["customer_id"] == customer_id


def test_api_score_equals_the_batch_score(server, trained) -> None:
    models = server.state.store.current.scoring()
    policy = ScoringPolicy.from_policy(trained.policy)
    batch = {
        s.customer_id: s.to_dict()
        for s in score_customers(
            trained.ledger, AS_OF, models, policy, texts=server.state.texts, currency="EUR"
        )
    }
    with server.client("risk_admin") as client:
        for customer_id in sorted(batch)[::150]:
            body = client.post(
                "/v1/scores", json={"customer_id": customer_id, "as_of": AS_OF}
            ).json()
            body.pop("decision_id")
            # the ledger's own date (other tests' upserts may have moved it past AS_OF)
            assert body.pop("data_as_of") == str(ledger_as_of(server.state.engine))
            body.pop("warnings")
            assert body == batch[customer_id]


def test_idempotency_key_returns_the_same_decision_once(server, trained) -> None:
    body = {"customer_id": customer_of(trained, 7), "as_of": AS_OF}
    headers = {"Idempotency-Key": "score-key-1"}
    with server.client("credit_officer") as client:
        first = client.post("/v1/scores", json=body, headers=headers).json()
        again = client.post("/v1/scores", json=body, headers=headers).json()
        other = client.post("/v1/scores", json={**body, "as_of": "2026-09-30"}, headers=headers)
    assert again == first
    assert other.status_code == 409
    with server.state.engine.connect() as connection:
        count = connection.execute(
            select(tables.decisions.c.decision_id).where(
                tables.decisions.c.idempotency_key == "score-key-1"
            )
        ).all()
    assert len(count) == 1


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "body.customer_id"),
        ({"customer_id": "C000001", "colour": "red"}, "body.colour"),
        ({"customer_id": "x" * 65}, "body.customer_id"),
        ({"customer_id": "C000001", "as_of": "31/10/2026"}, "body.as_of"),
        ({"customer_id": "C000001", "as_of": "2999-01-01"}, "as_of"),
    ],
)
def test_bad_score_request_is_422_with_the_field(server, body, where) -> None:
    with server.client("credit_officer") as client:
        response = client.post("/v1/scores", json=body)
    assert response.status_code == 422
    assert where in [d["loc"] for d in response.json()["error"]["details"]]


def test_unknown_customer_is_404(server) -> None:
    with server.client("credit_officer") as client:
        response = client.post("/v1/scores", json={"customer_id": "NOBODY", "as_of": AS_OF})
    assert response.status_code == 404
    assert "NOBODY" in response.json()["error"]["message"]


# --- onboarding ---------------------------------------------------------------------------


def test_onboarding_score_caps_the_requested_limit(server) -> None:
    applicant = {
        "name": "Newco GmbH",
        "industry": "retail",
        "country": "DE",
        "payment_terms_days": 30,
        "requested_limit": 40_000,
        "annual_revenue": 3_000_000,
        "bureau_score": 640,
    }
    with server.client("credit_officer") as client:
        response = client.post("/v1/onboarding/scores", json=applicant)
        bad = client.post("/v1/onboarding/scores", json={**applicant, "country": "Germany"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0 < body["default_probability"] < 1
    assert body["recommended_credit_limit"]["amount"] <= 40_000
    assert "arscore-onboarding-pd" in body["model_versions"]
    assert body["pd_basis"] == "model"
    assert len(decision_rows(server, body["decision_id"])) == 1
    assert bad.status_code == 422
    assert "body.country" in [d["loc"] for d in bad.json()["error"]["details"]]
