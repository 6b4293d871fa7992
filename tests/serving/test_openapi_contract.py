"""The OpenAPI document tells the truth (issue #12 item 9): every operation has a typed success
schema and documents its real error statuses in the one ``{"error": ...}`` shape, and the
answers of every endpoint - successes and errors - validate against what it documents, as a
client generated from ``/openapi.json`` would read them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from serving.app import create_app

from .api_helpers import AS_OF, customer_of

# What each operation must document beside its success: 401/503 for every authenticated
# route, 403 where some roles are refused, 404 where an id may be unknown, 409 where an
# Idempotency-Key is taken, 400/413 where a body is read, 422 everywhere (an unknown query
# parameter is refused), 429 on the routes that read the whole ledger (limited per caller).
EXPECTED_ERRORS = {
    ("post", "/v1/scores"): {400, 401, 403, 404, 409, 413, 422, 503},
    ("post", "/v1/onboarding/scores"): {400, 401, 403, 409, 413, 422, 503},
    ("get", "/v1/decisions/{decision_id}"): {401, 403, 404, 422, 503},
    ("post", "/v1/limit-checks"): {400, 401, 404, 409, 413, 422, 503},
    ("put", "/v1/customers/{customer_id}/credit-limit"): {400, 401, 403, 404, 409, 413, 422, 503},
    ("get", "/v1/customers/{customer_id}/aging"): {401, 404, 422, 503},
    ("get", "/v1/portfolio/aging"): {401, 422, 429, 503},
    ("get", "/v1/customers/{customer_id}/invoices"): {401, 403, 404, 422, 503},
    ("get", "/v1/models"): {401, 403, 422, 503},
    ("post", "/v1/models/reload"): {401, 403, 422, 503},
    ("post", "/v1/portfolio/rescore"): {400, 401, 403, 413, 422, 429, 503},
    ("get", "/v1/portfolio/rescore/{job_id}"): {401, 403, 404, 422, 503},
    ("get", "/v1/portfolio/scores"): {401, 403, 404, 422, 503},
    ("get", "/v1/portfolio/worklist"): {401, 403, 404, 422, 429, 503},
    ("post", "/v1/ledger/invoices"): {400, 401, 403, 413, 422, 503},
    ("post", "/v1/ledger/payments"): {400, 401, 403, 413, 422, 503},
    ("post", "/v1/ledger/orders"): {400, 401, 403, 413, 422, 503},
    ("get", "/healthz"): {422},
    ("get", "/readyz"): {422, 503},
}
ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def spec(server) -> dict[str, Any]:
    with server.client() as client:
        return client.get("/openapi.json").json()


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }


def test_every_operation_has_a_typed_success_and_its_errors_in_the_error_shape(spec) -> None:
    operations = _operations(spec)
    assert set(operations) == set(EXPECTED_ERRORS)
    for key, operation in operations.items():
        responses = operation["responses"]
        success = [s for s in responses if s.startswith("2")]
        assert len(success) == 1, key
        schema = responses[success[0]]["content"]["application/json"]["schema"]
        assert "$ref" in schema, f"{key}: untyped success {schema}"
        errors = {int(s) for s in responses if not s.startswith("2")}
        assert errors == EXPECTED_ERRORS[key], key
        for status in errors:
            documented = responses[str(status)]["content"]["application/json"]["schema"]
            if key == ("get", "/readyz") and status == 503:
                assert documented == schema  # not ready: the same body, status 503
            else:
                assert documented == {"$ref": ERROR_REF}, (key, status)


def test_no_schema_is_a_free_form_object_and_fastapis_detail_shape_is_gone(spec) -> None:
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    for name, schema in schemas.items():
        if schema.get("type") == "object" and "properties" in schema:
            assert schema.get("additionalProperties") is False, name
    error = schemas["ErrorResponse"]
    assert error["required"] == ["error"]
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message", "details"}


class Checked:
    """Calls the service and validates every answer against the schema the operation documents
    for the answer's status, as a generated client would parse it."""

    def __init__(self, app: TestClient, tokens: dict[str, str], spec: dict[str, Any]) -> None:
        self.app, self.tokens, self.spec = app, tokens, spec
        self.operations = _operations(spec)
        self.seen: dict[tuple[str, str], set[int]] = {}

    def call(
        self, role: str | None, method: str, template: str, path: str | None = None, **kwargs
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        response = self.app.request(method.upper(), path or template, headers=headers, **kwargs)
        documented = self.operations[(method, template)]["responses"]
        assert str(response.status_code) in documented, (
            f"{method} {template}: {response.status_code} is not documented: {response.text}"
        )
        schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": self.spec["components"]})
        problems = [e.message for e in validator.iter_errors(response.json())]
        assert not problems, f"{method} {template} {response.status_code}: {problems[:3]}"
        self.seen.setdefault((method, template), set()).add(response.status_code)
        return response


def test_every_endpoints_real_answers_match_its_documented_schemas(
    server, trained, spec, private_service
) -> None:
    c = customer_of(trained, 7)
    api = Checked(server.app, server.tokens, spec)
    key = f"contract-{uuid.uuid4().hex[:8]}"
    score = api.call(
        "credit_officer",
        "post",
        "/v1/scores",
        json={"customer_id": c, "as_of": AS_OF},
        headers={"Idempotency-Key": key},
    )
    assert score.status_code == 200
    replay = api.call(
        "credit_officer",
        "post",
        "/v1/scores",
        json={"customer_id": c, "as_of": AS_OF},
        headers={"Idempotency-Key": key},
    )
    assert replay.json() == score.json()
    conflict = api.call(
        "credit_officer",
        "post",
        "/v1/scores",
        json={"customer_id": customer_of(trained, 8), "as_of": AS_OF},
        headers={"Idempotency-Key": key},
    )
    assert conflict.status_code == 409
    assert api.call("sales", "post", "/v1/scores", json={"customer_id": c}).status_code == 403
    assert api.call(None, "post", "/v1/scores", json={"customer_id": c}).status_code == 401
    assert api.call("risk_admin", "post", "/v1/scores", json={"customer_id": "nope"}).status_code
    assert api.call("risk_admin", "post", "/v1/scores", json={"as_of": 0}).status_code == 422
    decision_id = score.json()["decision_id"]
    api.call("risk_admin", "get", "/v1/decisions/{decision_id}", f"/v1/decisions/{decision_id}")
    api.call("risk_admin", "get", "/v1/decisions/{decision_id}", "/v1/decisions/unknown")
    profile = {"industry": "retail", "country": "DE", "payment_terms_days": 30}
    api.call(
        "credit_officer",
        "post",
        "/v1/onboarding/scores",
        json={**profile, "requested_limit": 20_000, "annual_revenue": 1e6},
    )
    for role in ("sales", "credit_officer"):
        api.call(role, "post", "/v1/limit-checks", json={"customer_id": c, "amount": 1_000})
    api.call("sales", "post", "/v1/limit-checks", json={"customer_id": "nope", "amount": 1})
    api.call("sales", "post", "/v1/limit-checks", json={"customer_id": c, "amount": True})
    unreadable = api.call(
        "sales",
        "post",
        "/v1/limit-checks",
        content=b'{"customer_id": "\xff"}',
        headers={"Content-Type": "application/json"},
    )
    assert unreadable.status_code == 400
    assert unreadable.json()["error"]["code"] == "bad_request"
    limit_path = f"/v1/customers/{c}/credit-limit"
    template = "/v1/customers/{customer_id}/credit-limit"
    api.call("risk_admin", "put", template, limit_path, json={"amount": 25_000, "reason": "review"})
    api.call("sales", "put", template, limit_path, json={"amount": 1, "reason": "more"})
    for template, path in (
        ("/v1/customers/{customer_id}/aging", f"/v1/customers/{c}/aging"),
        ("/v1/customers/{customer_id}/invoices", f"/v1/customers/{c}/invoices"),
        ("/v1/portfolio/aging", "/v1/portfolio/aging"),
    ):
        assert api.call("risk_admin", "get", template, path).status_code == 200
        api.call("risk_admin", "get", template, path, params={"as_of": "1970-01-01"})
    api.call("risk_admin", "get", "/v1/customers/{customer_id}/aging", "/v1/customers/x/aging")
    api.call("risk_admin", "get", "/v1/models")
    api.call("risk_admin", "post", "/v1/models/reload")
    api.call("credit_officer", "post", "/v1/models/reload")
    started = api.call("risk_admin", "post", "/v1/portfolio/rescore", json={"as_of": AS_OF})
    job = started.json()["job_id"]
    for _ in range(600):
        status = api.call(
            "risk_admin", "get", "/v1/portfolio/rescore/{job_id}", f"/v1/portfolio/rescore/{job}"
        ).json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status["status"] == "done", status
    scores = api.call("risk_admin", "get", "/v1/portfolio/scores", params={"limit": 3})
    assert len(scores.json()["scores"]) == 3
    api.call("risk_admin", "get", "/v1/portfolio/scores", params={"as_of": "2001-01-01"})
    worklist = api.call("credit_officer", "get", "/v1/portfolio/worklist")
    assert worklist.status_code == 200, worklist.text
    api.call("sales", "get", "/v1/portfolio/worklist")
    api.call("risk_admin", "get", "/v1/portfolio/worklist", params={"as_of": "2001-01-01"})
    for entity in ("invoices", "payments", "orders"):
        api.call("risk_admin", "post", f"/v1/ledger/{entity}", json={"records": [{"x": 1}]})
    # Upserts that succeed write to the ledger: on a private copy of the database.
    state, tokens = private_service
    with TestClient(create_app(state, load_models=False)) as private:
        writer = Checked(private, tokens, spec)
        rows = {
            "invoices": {
                "invoice_id": f"I-{key}",
                "customer_id": c,
                "invoice_date": AS_OF,
                "due_date": AS_OF,
                "amount": 10.0,
            },
            "payments": {
                "payment_id": f"P-{key}",
                "invoice_id": f"I-{key}",
                "payment_date": AS_OF,
                "amount": 10.0,
            },
            "orders": {
                "order_id": f"O-{key}",
                "customer_id": c,
                "order_date": AS_OF,
                "amount": 10.0,
                "status": "cancelled",
            },
        }
        for entity, row in rows.items():
            written = writer.call(
                "risk_admin", "post", f"/v1/ledger/{entity}", json={"records": [row]}
            )
            assert written.status_code == 200, written.text
            api.seen.setdefault(("post", f"/v1/ledger/{entity}"), set()).add(200)
    api.call(None, "get", "/healthz")
    unknown = api.call(None, "get", "/healthz", params={"verbose": "1"})
    assert unknown.status_code == 422
    typo = api.call("sales", "get", "/v1/portfolio/aging", params={"asof": "2026-01-31"})
    assert typo.status_code == 422
    assert typo.json()["error"]["details"] == [
        {"loc": "query.asof", "msg": "unknown query parameter"}
    ]
    api.call(None, "get", "/readyz")
    assert {k for k, statuses in api.seen.items() if any(s < 300 for s in statuses)} == set(
        api.operations
    ), "every operation answered at least once with success"
