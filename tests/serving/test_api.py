"""Every endpoint through the in-process app (see conftest.py): health, the role matrix, body
limits, malformed input and the OpenAPI document. The resources have their own files:
test_api_scores.py, test_api_credit.py, test_api_admin.py."""

from __future__ import annotations

import json

import pytest

# --- health -----------------------------------------------------------------------------


def test_health_ready_and_metrics_show_everything_to_a_token(server) -> None:
    # Changed on purpose (issue #12 item 11): the detail is for callers with a token unless
    # public_health_detail is set (test_health_detail.py has both ways).
    with server.client("sales") as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert "arscore-default-pd" in ready.json()["models"]
        client.get("/healthz")
        metrics = client.get("/metrics").text
    assert 'arscore_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    assert 'arscore_model_version{model="arscore-default-pd"}' in metrics


def test_health_and_readiness_answer_without_a_token(server) -> None:
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


# --- role matrix --------------------------------------------------------------------------

ENDPOINTS = [
    ("POST", "/v1/scores", {"customer_id": "C000001"}, {"credit_officer", "risk_admin"}),
    ("POST", "/v1/limit-checks", {"customer_id": "C000001", "amount": 10.0}, None),
    ("GET", "/v1/customers/C000001/aging", None, None),
    ("GET", "/v1/portfolio/aging", None, None),
    ("GET", "/v1/customers/C000001/invoices", None, {"credit_officer", "risk_admin"}),
    ("GET", "/v1/models", None, {"credit_officer", "risk_admin"}),
    ("POST", "/v1/models/reload", None, {"risk_admin"}),
    (
        "GET",
        "/v1/decisions/00000000-0000-0000-0000-000000000000",
        None,
        {"credit_officer", "risk_admin"},
    ),
    (
        "PUT",
        "/v1/customers/C000001/credit-limit",
        {"amount": 1.0, "reason": "role check"},
        {"credit_officer", "risk_admin"},
    ),
    ("POST", "/v1/ledger/invoices", {"records": [{"invoice_id": "X"}]}, {"risk_admin"}),
    ("POST", "/v1/ledger/payments", {"records": [{"payment_id": "X"}]}, {"risk_admin"}),
    ("POST", "/v1/ledger/orders", {"records": [{"order_id": "X"}]}, {"risk_admin"}),
    ("POST", "/v1/portfolio/rescore", {}, {"risk_admin"}),
    ("GET", "/v1/portfolio/rescore/nope", None, {"risk_admin"}),
    ("GET", "/v1/portfolio/scores", None, {"credit_officer", "risk_admin"}),
    (
        "POST",
        "/v1/onboarding/scores",
        {"industry": "x", "country": "DE", "payment_terms_days": 30, "requested_limit": 1.0},
        {"credit_officer", "risk_admin"},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_missing_or_unknown_token_is_401_and_wrong_role_403(
    server, method, path, body, allowed
) -> None:
    with server.client() as anonymous:
        response = anonymous.request(method, path, json=body)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    with server.client(token="ars_not-a-real-token") as stranger:
        assert stranger.request(method, path, json=body).status_code == 401
    for role in ("credit_officer", "sales", "risk_admin"):
        if allowed is not None and role not in allowed:
            with server.client(role) as client:
                response = client.request(method, path, json=body)
            assert response.status_code == 403, (role, path)
            assert response.json()["error"]["code"] == "forbidden"


def test_oversized_body_is_413(server) -> None:
    with server.client("credit_officer") as client:
        response = client.post(
            "/v1/scores",
            content=json.dumps({"customer_id": "C1", "pad": "x" * 50_000}),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_malformed_json_is_422_not_500(server) -> None:
    with server.client("credit_officer") as client:
        response = client.post(
            "/v1/scores", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 422


def test_openapi_docs_list_every_endpoint(server) -> None:
    with server.client() as client:
        paths = client.get("/openapi.json").json()["paths"]
        docs = client.get("/docs")
    assert docs.status_code == 200
    for path in (
        "/v1/scores",
        "/v1/onboarding/scores",
        "/v1/limit-checks",
        "/v1/customers/{customer_id}/invoices",
        "/v1/customers/{customer_id}/credit-limit",
        "/v1/ledger/invoices",
        "/v1/portfolio/rescore",
        "/v1/portfolio/scores",
        "/v1/models/reload",
    ):
        assert path in paths


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/C000001/invoices?as_of=2026-13-01",
        "/v1/customers/C000001/aging?as_of=2999-01-01",
        "/v1/portfolio/scores?grade=0",
    ],
)
def test_bad_query_is_422(server, path) -> None:
    with server.client("risk_admin") as client:
        response = client.get(path)
    assert response.status_code == 422
    assert response.json()["error"]["details"]
