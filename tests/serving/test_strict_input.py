"""Dates and numbers are read strictly (issue #12 items 6 and 9): ``as_of: 0`` is not 1970, a
boolean or a numeric string is not an amount, dates before 1900 are refused and the schema
says so, and a rescore before the ledger's first data is a 422 that says why."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ledger import tables
from serving.schemas import ISO_DATE_PATTERN

from .api_helpers import AS_OF, customer_of

NOT_A_DATE = [0, 1577836800, "0", "20261031", "2026-10-31T00:00:00", "31.10.2026", True, 2026.5]


@pytest.mark.parametrize("as_of", NOT_A_DATE)
def test_a_score_as_of_anything_but_an_iso_date_string_is_a_422(server, trained, as_of) -> None:
    with server.client("credit_officer") as client:
        response = client.post(
            "/v1/scores", json={"customer_id": customer_of(trained), "as_of": as_of}
        )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == "body.as_of"
    assert "YYYY-MM-DD" in error["details"][0]["msg"]


@pytest.mark.parametrize("as_of", [0, "2026-10-31T00:00:00"])
def test_an_applicant_is_not_scored_as_of_1970_for_as_of_0(server, as_of) -> None:
    # Was a 200 scored and recorded as of 1970-01-01: an applicant's score reads no ledger,
    # so no "before the ledger's first data" check stood in the way.
    profile = {"industry": "retail", "country": "DE", "payment_terms_days": 30}
    with server.client("credit_officer") as client:
        response = client.post(
            "/v1/onboarding/scores", json={**profile, "requested_limit": 1_000, "as_of": as_of}
        )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == "body.as_of"


@pytest.mark.parametrize("as_of", ["0", "1577836800", "2026-10-31T00:00:00", "20261031"])
def test_a_query_as_of_must_be_an_iso_date_too(server, trained, as_of) -> None:
    with server.client("credit_officer") as client:
        aging = client.get(f"/v1/customers/{customer_of(trained)}/aging", params={"as_of": as_of})
        portfolio = client.get("/v1/portfolio/scores", params={"as_of": as_of})
    assert aging.status_code == 422
    assert aging.json()["error"]["details"][0]["loc"] == "query.as_of"
    assert portfolio.status_code == 422


def test_a_rescore_as_of_0_or_before_the_data_is_refused_and_no_job_starts(server) -> None:
    runs = tables.rescore_runs
    with server.state.engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(runs)).scalar_one()
    with server.client("risk_admin") as client:
        zero = client.post("/v1/portfolio/rescore", json={"as_of": 0})
        epoch = client.post("/v1/portfolio/rescore", json={"as_of": "1970-01-01"})
    assert zero.status_code == 422
    assert epoch.status_code == 422
    assert "before the ledger's first data" in epoch.json()["error"]["message"]
    assert epoch.json()["error"]["details"][0]["loc"] == "as_of"
    with server.state.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(runs)).scalar_one() == before


def test_dates_before_1900_are_refused_and_the_schema_declares_it(server, trained) -> None:
    with server.client("credit_officer") as client:
        old = client.post(
            "/v1/onboarding/scores",
            json={
                "industry": "retail",
                "country": "DE",
                "payment_terms_days": 30,
                "requested_limit": 10_000,
                "as_of": "1899-12-31",
            },
        )
        schema = client.get("/openapi.json").json()
    assert old.status_code == 422
    assert "1900-01-01 or later" in old.json()["error"]["message"]
    as_of = schema["components"]["schemas"]["OnboardingRequest"]["properties"]["as_of"]
    declared = next(s for s in as_of["anyOf"] if s.get("type") == "string")
    assert declared["format"] == "date"
    assert declared["pattern"] == ISO_DATE_PATTERN
    assert not re.fullmatch(declared["pattern"], "1899-12-31")
    assert re.fullmatch(declared["pattern"], "1900-01-01")


@pytest.mark.parametrize("amount", [True, "5e3", "5000", None, [5000]])
def test_an_amount_must_be_a_json_number(server, trained, amount) -> None:
    with server.client("sales") as client:
        response = client.post(
            "/v1/limit-checks", json={"customer_id": customer_of(trained), "amount": amount}
        )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == "body.amount"


def test_a_json_integer_is_still_an_amount(server, trained) -> None:
    with server.client("sales") as client:
        response = client.post(
            "/v1/limit-checks", json={"customer_id": customer_of(trained), "amount": 5000}
        )
    assert response.status_code == 200
    assert response.json()["decision"] in {"approve", "refer", "decline"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("payment_terms_days", "30"), ("payment_terms_days", True), ("requested_limit", "5e3")],
)
def test_onboarding_numbers_are_strict(server, field, value) -> None:
    profile = {
        "industry": "retail",
        "country": "DE",
        "payment_terms_days": 30,
        "requested_limit": 10_000,
        "as_of": AS_OF,
        field: value,
    }
    with server.client("credit_officer") as client:
        response = client.post("/v1/onboarding/scores", json=profile)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == f"body.{field}"
