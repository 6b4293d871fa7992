"""Answers are as of the ledger's own date: a stale ledger is scored as of its date with a
``stale_data`` warning, dates before the data or the customer's onboarding are refused, an
upsert moves the date at once, and rescoring compares with the latest earlier-dated run."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from fastapi.testclient import TestClient

from ledger.as_of import DataPolicy, ledger_as_of
from serving.app import create_app
from serving.rescore import rescore

AS_OF = "2026-10-31"  # the synthetic ledger's last day; the wall clock is weeks later


def _headers(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_a_stale_ledger_is_scored_as_of_its_own_date_with_a_warning(
    private_service, trained
) -> None:
    state, tokens = private_service
    officer = _headers(tokens, "credit_officer")
    customer = str(trained.ledger.customers["customer_id"].iloc[3])
    with TestClient(create_app(state)) as client:
        implicit = client.post("/v1/scores", json={"customer_id": customer}, headers=officer)
        explicit = client.post(
            "/v1/scores", json={"customer_id": customer, "as_of": AS_OF}, headers=officer
        )
        answers = {
            "score": implicit.json(),
            "limit check": client.post(
                "/v1/limit-checks", json={"customer_id": customer, "amount": 10}, headers=officer
            ).json(),
            "customer aging": client.get(f"/v1/customers/{customer}/aging", headers=officer).json(),
            "invoices": client.get(f"/v1/customers/{customer}/invoices", headers=officer).json(),
            "portfolio aging": client.get("/v1/portfolio/aging", headers=officer).json(),
        }
        ready = client.get("/readyz", headers=officer)
    assert implicit.status_code == explicit.status_code == 200
    for name, body in answers.items():
        assert body["as_of"] == AS_OF, name
        assert body["data_as_of"] == AS_OF, name
        assert [w["code"] for w in body["warnings"]] == ["stale_data"], name
        assert "runs to 2026-10-31" in body["warnings"][0]["message"]
    same = ("default_probability", "risk_grade", "aging", "overdue_risk", "early_warnings")
    for field in same:
        assert implicit.json()[field] == explicit.json()[field], field
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["data_as_of"] == AS_OF
    age = (dt.datetime.now(dt.UTC).date() - dt.date(2026, 10, 31)).days
    assert body["data_age_days"] == age
    assert [w["code"] for w in body["warnings"]] == ["stale_data"]


def test_fresh_data_carries_no_warning_and_a_later_as_of_says_data_ends(
    private_service, trained
) -> None:
    state, tokens = private_service
    state = dataclasses.replace(state, data_policy=DataPolicy(stale_after_days=3650))
    officer = _headers(tokens, "credit_officer")
    customer = str(trained.ledger.customers["customer_id"].iloc[3])
    with TestClient(create_app(state, load_models=False)) as client:
        fresh = client.get(f"/v1/customers/{customer}/aging", headers=officer).json()
        later = client.get(
            f"/v1/customers/{customer}/aging", params={"as_of": "2026-11-30"}, headers=officer
        ).json()
    assert fresh["warnings"] == []
    assert later["as_of"] == "2026-11-30"
    assert [w["code"] for w in later["warnings"]] == ["as_of_after_data"]
    assert "data ends (2026-10-31)" in later["warnings"][0]["message"]


def test_a_score_before_onboarding_or_before_any_data_is_a_422_naming_the_dates(
    private_service, trained
) -> None:
    state, tokens = private_service
    officer = _headers(tokens, "credit_officer")
    customers = trained.ledger.customers
    late = customers.loc[customers["onboarding_date"].idxmax()]
    onboarded = late["onboarding_date"].date()
    before = onboarded - dt.timedelta(days=1)
    first = trained.ledger.invoices["invoice_date"].min().date()
    with TestClient(create_app(state)) as client:
        refused = client.post(
            "/v1/scores",
            json={"customer_id": late["customer_id"], "as_of": before.isoformat()},
            headers=officer,
        )
        too_early = client.post(
            "/v1/scores",
            json={"customer_id": late["customer_id"], "as_of": "2019-01-01"},
            headers=officer,
        )
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    assert f"onboarded on {onboarded}" in message
    assert f"as of {before}" in message
    assert refused.json()["error"]["details"][0]["loc"] == "as_of"
    assert too_early.status_code == 422
    assert f"before the ledger's first data ({first})" in too_early.json()["error"]["message"]


def test_an_upsert_moves_the_ledgers_date_for_the_next_answer_at_once(
    private_service, trained
) -> None:
    state, tokens = private_service
    customer = str(trained.ledger.customers["customer_id"].iloc[4])
    order = {
        "order_id": "API-LATE-1",
        "customer_id": customer,
        "order_date": "2026-11-06",
        "amount": 10,
        "status": "open",
    }
    with TestClient(create_app(state, load_models=False)) as client:
        before = client.post(
            "/v1/limit-checks",
            json={"customer_id": customer, "amount": 10},
            headers=_headers(tokens, "sales"),
        ).json()
        upserted = client.post(
            "/v1/ledger/orders",
            json={"records": [order]},
            headers=_headers(tokens, "risk_admin"),
        )
        after = client.post(
            "/v1/limit-checks",
            json={"customer_id": customer, "amount": 10},
            headers=_headers(tokens, "sales"),
        ).json()
    assert before["as_of"] == AS_OF
    assert upserted.status_code == 200, upserted.text
    assert upserted.json()["data_as_of"] == "2026-11-06"
    assert after["as_of"] == after["data_as_of"] == "2026-11-06"
    assert ledger_as_of(state.engine) == dt.date(2026, 11, 6)


def test_grade_migration_is_against_the_latest_run_with_an_earlier_as_of(
    private_service, trained
) -> None:
    state, _ = private_service
    state.store.reload()
    models = state.store.current.scoring()
    ledger = trained.ledger

    def run(as_of: str):
        return rescore(state.engine, ledger, as_of, models, state.policy, data_as_of=None)

    september = run("2026-09-30")
    october = run(AS_OF)
    backfill = run("2026-08-31")  # run last, but about an earlier month
    october_again = run(AS_OF)

    assert september.previous_run_id is None
    assert october.previous_run_id == september.run_id
    assert backfill.previous_run_id is None  # not the later October run
    assert october_again.previous_run_id == september.run_id  # not the October run itself


def test_rescoring_an_earlier_date_leaves_out_customers_not_yet_onboarded(
    private_service, trained
) -> None:
    state, _ = private_service
    state.store.reload()
    customers = trained.ledger.customers
    day = customers["onboarding_date"].quantile(0.9).date()
    onboarded = int((customers["onboarding_date"] <= pd.Timestamp(day)).sum())
    assert 0 < onboarded < len(customers)
    result = rescore(
        state.engine,
        trained.ledger,
        day,
        state.store.current.scoring(),
        state.policy,
        data_as_of=dt.date(2026, 10, 31),
    )
    assert len(result.scores) == onboarded
    assert result.data_as_of == dt.date(2026, 10, 31)
