"""Every endpoint through the in-process app (see conftest.py): roles, audit, bad inputs."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from ledger import tables
from models.scoring.common import ScoringPolicy
from models.scoring.customers import score_customers

AS_OF = "2026-10-31"


def _customer(trained, n: int = 5) -> str:
    return str(trained.ledger.customers["customer_id"].iloc[n])


def _decision_rows(server, decision_id: str):
    with server.state.engine.connect() as connection:
        return connection.execute(
            select(tables.decisions).where(tables.decisions.c.decision_id == decision_id)
        ).all()


# --- health -----------------------------------------------------------------------------


def test_health_ready_and_metrics_answer_without_a_token(server) -> None:
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert "arscore-default-pd" in ready.json()["models"]
        client.get("/healthz")
        metrics = client.get("/metrics").text
    assert 'arscore_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    assert 'arscore_model_version{model="arscore-default-pd"}' in metrics


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


# --- scores -------------------------------------------------------------------------------


def test_score_returns_the_decision_and_records_it(server, trained) -> None:
    customer_id = _customer(trained)
    with server.client("credit_officer") as client:
        response = client.post("/v1/scores", json={"customer_id": customer_id, "as_of": AS_OF})
    assert response.status_code == 200
    body = response.json()
    for field in (
        "decision_id",
        "default_probability",
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
    assert isinstance(body["expected_days_late"], float)
    assert "arscore-days-late" in body["model_versions"]
    assert {"feature", "value", "contribution", "direction", "text"} <= set(body["reasons"][0])
    rows = _decision_rows(server, body["decision_id"])
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
            assert body == batch[customer_id]


def test_idempotency_key_returns_the_same_decision_once(server, trained) -> None:
    body = {"customer_id": _customer(trained, 7), "as_of": AS_OF}
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
    assert len(_decision_rows(server, body["decision_id"])) == 1
    assert bad.status_code == 422
    assert "body.country" in [d["loc"] for d in bad.json()["error"]["details"]]


# --- limit checks and limits ------------------------------------------------------------


def test_sales_limit_check_shows_no_risk_figures(server, trained) -> None:
    customer_id = _customer(trained, 9)
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
    row = _decision_rows(server, body["decision_id"])[0]._mapping
    assert row["caller_role"] == "sales"
    assert row["endpoint"] == "POST /v1/limit-checks"


@pytest.mark.parametrize(
    "body", [{"customer_id": "C000001", "amount": -5}, {"customer_id": "C000001"}, {"amount": 5}]
)
def test_bad_limit_check_is_422(server, body) -> None:
    with server.client("sales") as client:
        assert client.post("/v1/limit-checks", json=body).status_code == 422


def test_credit_limit_change_is_stored_with_its_decision(server, trained) -> None:
    customer_id = _customer(trained, 11)
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
    customer_id = _customer(trained, 3)
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
    customer_id = _customer(trained, 3)
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
    customer_id = _customer(trained, 20)
    invoice = {
        "invoice_id": "API-INV-1",
        "customer_id": customer_id,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "amount": 1500.25,
    }
    broken = {**invoice, "invoice_id": "API-INV-2", "amount": -1}
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
