"""Reloading champions (a new version swaps in; one that fails leaves the old serving) and the
audit guarantee (no decision without its record: 503)."""

from __future__ import annotations

import gc

import mlflow
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from sqlalchemy import func, select, text

from ledger import tables
from models.pyfunc import load_bundle
from serving.app import create_app
from serving.reload_signal import latest_reload_request

AS_OF = "2026-10-31"


@pytest.fixture
def registry(trained) -> MlflowClient:
    return MlflowClient(tracking_uri=trained.tracking_uri, registry_uri=trained.tracking_uri)


def _new_champion_version(client: MlflowClient, name: str) -> str:
    """Register the champion's artifacts again as a new version and point the alias at it."""
    current = client.get_model_version_by_alias(name, "champion")
    # MLflow resolves a "models:/m-..." source through the process-wide tracking URI.
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(client.tracking_uri)
    try:
        created = client.create_model_version(name, source=current.source, run_id=current.run_id)
    finally:
        mlflow.set_tracking_uri(previous_uri)
    client.set_registered_model_alias(name, "champion", created.version)
    return str(created.version)


def test_failed_reload_keeps_the_previous_version_serving(registry, private_service) -> None:
    state, _ = private_service
    state.store.reload()
    before = state.store.current.loaded["default_pd"]
    name = "arscore-late-payment"
    previous = registry.get_model_version_by_alias(name, "champion").version

    def broken(uri: str, tracking_uri: str | None):
        raise OSError(f"artifact store unreachable for {uri}")

    try:
        version = _new_champion_version(registry, name)
        state.store._loader = broken
        report = state.store.reload()
        assert report["late_payment"]["status"] == "kept"
        assert "artifact store unreachable" in report["late_payment"]["reason"]
        assert state.store.current.loaded["late_payment"].version == str(previous)
        assert state.store.current.loaded["default_pd"] is before
        assert state.store.current.errors["late_payment"].startswith(f"version {version}")

        state.store._loader = load_bundle
        report = state.store.reload()
        assert report["late_payment"] == {"status": "loaded", "version": version}
        assert state.store.current.loaded["late_payment"].version == version
        assert not state.store.current.errors
    finally:
        registry.set_registered_model_alias(name, "champion", previous)


def test_a_champion_that_fails_to_load_makes_the_worker_not_ready(private_service) -> None:
    state, tokens = private_service

    def broken(uri: str, tracking_uri: str | None):
        raise OSError(f"artifact store unreachable for {uri}")

    state.store._loader = broken
    with TestClient(create_app(state)) as client:
        ready = client.get("/readyz", headers={"Authorization": f"Bearer {tokens['sales']}"})
    assert ready.status_code == 503
    problems = ready.json()["problems"]
    assert any("default_pd model failed to load" in p for p in problems), problems


def test_reload_endpoint_reports_a_failed_model(registry, private_service) -> None:
    state, tokens = private_service
    name = "arscore-default-pd"
    previous = registry.get_model_version_by_alias(name, "champion").version
    with TestClient(create_app(state)) as client:
        headers = {"Authorization": f"Bearer {tokens['risk_admin']}"}
        try:
            _new_champion_version(registry, name)

            def broken(uri: str, tracking_uri: str | None):
                raise ValueError("bundle checksum mismatch")

            state.store._loader = broken
            body = client.post("/v1/models/reload", headers=headers).json()
            score = client.post(
                "/v1/scores", json={"customer_id": "C000002", "as_of": AS_OF}, headers=headers
            )
        finally:
            registry.set_registered_model_alias(name, "champion", previous)
    assert body["models"]["default_pd"]["status"] == "kept"
    assert body["served"][name] == str(previous)
    assert "every other worker follows" in body["note"]
    assert score.status_code == 200
    assert score.json()["model_versions"][name] == str(previous)
    # The request is on record for the other workers, with who asked.
    with state.engine.connect() as connection:
        latest = latest_reload_request(connection)
        row = connection.execute(
            select(tables.model_reload_requests).order_by(
                tables.model_reload_requests.c.request_id.desc()
            )
        ).first()
    assert latest == row.request_id > 0
    assert row.requested_by.startswith("risk_admin-")


def test_no_champion_at_all_is_ready_and_scores_with_the_expert_scorecard(
    private_service,
) -> None:
    # Changed on purpose (issue #10): a score without any model used to be 503; now the
    # policy's expert scorecard gives the PD, grade, limit and reasons, and says so.
    state, tokens = private_service
    applicant = {
        "industry": "retail",
        "country": "DE",
        "payment_terms_days": 30,
        "requested_limit": 20_000,
        "bureau_score": 640,
    }
    with TestClient(create_app(state, load_models=False)) as client:
        headers = {"Authorization": f"Bearer {tokens['credit_officer']}"}
        ready = client.get("/readyz", headers=headers)
        score = client.post(
            "/v1/scores", json={"customer_id": "C000002", "as_of": AS_OF}, headers=headers
        )
        onboarding = client.post("/v1/onboarding/scores", json=applicant, headers=headers)
        check = client.post(
            "/v1/limit-checks", json={"customer_id": "C000002", "amount": 10}, headers=headers
        )
    # Changed on purpose: a service that can score with the expert scorecard is ready.
    assert ready.status_code == 200
    assert any("expert scorecard" in note for note in ready.json()["notes"])
    assert score.status_code == 200, score.text
    body = score.json()
    assert body["pd_basis"] == "expert_scorecard"
    assert 0 < body["default_probability"] < 1
    assert body["risk_grade"] is not None
    assert body["score"] is not None
    assert body["recommended_credit_limit"]["amount"] >= 0
    assert body["reasons"]
    assert body["model_versions"] == {}
    assert {"default_probability", "risk_grade", "reasons"}.isdisjoint(body["unavailable"])
    assert onboarding.status_code == 200, onboarding.text
    assert onboarding.json()["pd_basis"] == "expert_scorecard"
    assert onboarding.json()["recommended_credit_limit"]["amount"] <= 20_000
    assert onboarding.json()["model_versions"] == {}
    assert check.status_code == 200  # rules only: works without any model


def test_decision_is_refused_when_its_audit_record_cannot_be_written(private_service) -> None:
    state, tokens = private_service
    with state.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER decisions_no_insert BEFORE INSERT ON decisions "
                "BEGIN SELECT RAISE(ABORT, 'audit storage full'); END"
            )
        )
    with TestClient(create_app(state)) as client:
        for role, path, body in (
            ("credit_officer", "/v1/scores", {"customer_id": "C000002", "as_of": AS_OF}),
            ("sales", "/v1/limit-checks", {"customer_id": "C000002", "amount": 10}),
        ):
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            response = client.post(path, json=body, headers=headers)
            assert response.status_code == 503, path
            assert "audit" in response.json()["error"]["message"]
            assert "default_probability" not in response.text
        headers = {"Authorization": f"Bearer {tokens['credit_officer']}"}
        change = client.put(
            "/v1/customers/C000002/credit-limit",
            json={"amount": 777, "reason": "should not stick"},
            headers=headers,
        )
    assert change.status_code == 503
    with state.engine.connect() as connection:
        limit = connection.execute(
            select(tables.customers.c.credit_limit).where(
                tables.customers.c.customer_id == "C000002"
            )
        ).scalar_one()
        changes = connection.execute(
            select(func.count()).select_from(tables.credit_limit_changes)
        ).scalar_one()
    assert limit != 777
    assert changes == 0


def _collector_sees(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_models_are_frozen_out_of_the_collector_at_start_and_after_a_reload(
    registry, private_service
) -> None:
    """A full collection walks every object the collector tracks (~200 ms in a worker); the
    long-lived heap is frozen so requests only pay for their own objects."""
    state, tokens = private_service
    name = "arscore-late-payment"
    previous = registry.get_model_version_by_alias(name, "champion").version
    try:
        with TestClient(create_app(state)) as client:
            first = state.store.current.loaded["late_payment"].bundle
            assert gc.get_freeze_count() > 0
            assert not _collector_sees(first)

            version = _new_champion_version(registry, name)
            headers = {"Authorization": f"Bearer {tokens['risk_admin']}"}
            body = client.post("/v1/models/reload", headers=headers).json()
            assert body["models"]["late_payment"] == {"status": "loaded", "version": version}
            second = state.store.current.loaded["late_payment"].bundle
            assert second is not first
            assert not _collector_sees(second)
    finally:
        registry.set_registered_model_alias(name, "champion", previous)
        gc.unfreeze()
