"""What /readyz and /metrics show without a token is a setting (``public_health_detail``):
by default a stranger learns only ready or not, and /metrics needs a token; with the setting on,
both show everything to anyone, as before."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from serving.app import create_app

_DETAIL = {"problems", "notes", "data_as_of", "data_age_days", "warnings", "models", "worker"}


def _client(private_service, **settings: object) -> tuple[TestClient, dict[str, str]]:
    state, tokens = private_service
    state = dataclasses.replace(state, config=state.config.model_copy(update=settings))
    return TestClient(create_app(state, load_models=False)), tokens


def test_by_default_strangers_see_only_whether_the_service_is_ready(private_service) -> None:
    client, tokens = _client(private_service)
    with client:
        anonymous = client.get("/readyz")
        wrong_token = client.get("/readyz", headers={"Authorization": "Bearer ars_not-a-token"})
        with_token = client.get("/readyz", headers={"Authorization": f"Bearer {tokens['sales']}"})
    assert anonymous.status_code == wrong_token.status_code == with_token.status_code == 200
    assert anonymous.json() == wrong_token.json() == {"status": "ready"}
    assert set(with_token.json()) >= _DETAIL
    assert with_token.json()["status"] == "ready"


def test_by_default_metrics_need_a_token(private_service) -> None:
    client, tokens = _client(private_service)
    with client:
        anonymous = client.get("/metrics")
        wrong_token = client.get("/metrics", headers={"Authorization": "Bearer ars_not-a-token"})
        with_token = client.get("/metrics", headers={"Authorization": f"Bearer {tokens['sales']}"})
    for refused in (anonymous, wrong_token):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        assert "PUBLIC_HEALTH_DETAIL" in refused.json()["error"]["message"]
        assert "arscore_http_requests_total" not in refused.text
    assert with_token.status_code == 200
    assert "arscore_http_requests_total" in with_token.text


def test_a_not_ready_worker_does_not_tell_strangers_why(private_service) -> None:
    state, tokens = private_service

    def broken(uri: str, tracking_uri: str | None):
        raise OSError(f"artifact store at /secret/path unreachable for {uri}")

    state.store._loader = broken
    with TestClient(create_app(state)) as client:
        anonymous = client.get("/readyz")
        with_token = client.get("/readyz", headers={"Authorization": f"Bearer {tokens['sales']}"})
    assert anonymous.status_code == with_token.status_code == 503
    assert anonymous.json() == {"status": "not_ready"}
    assert any("/secret/path" in p for p in with_token.json()["problems"])


def test_public_health_detail_shows_everything_without_a_token(private_service) -> None:
    client, _ = _client(private_service, public_health_detail=True)
    with client:
        ready = client.get("/readyz")
        metrics = client.get("/metrics")
    assert ready.status_code == 200
    assert set(ready.json()) >= _DETAIL
    assert metrics.status_code == 200
    assert 'route="/readyz"' in metrics.text


def test_the_setting_is_read_from_the_environment(monkeypatch) -> None:
    from arscore.settings import Settings

    monkeypatch.setenv("ARSCORE_SERVING__PUBLIC_HEALTH_DETAIL", "true")
    assert Settings().serving.public_health_detail is True
    monkeypatch.delenv("ARSCORE_SERVING__PUBLIC_HEALTH_DETAIL")
    assert Settings().serving.public_health_detail is False
