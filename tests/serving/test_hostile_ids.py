"""Ids follow one rule at every entry (1-64 characters, no control characters): a broken id is
a 422 naming the field, a valid but unknown one a 404, the same on SQLite and PostgreSQL, and
no id is stored that a URL could not name again."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from ledger import tables
from ledger.storage import InvalidIdError, upsert_frames

from .conftest import Service

LONG = "X" * 65


def _invalid(response, loc: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert loc in [d["loc"] for d in error["details"]], error


@pytest.mark.parametrize("bad", ["%00", "A%00B", "A%0AB", "%7F", LONG])
def test_broken_id_in_a_path_is_422_naming_it(service_on: Service, bad: str) -> None:
    s = service_on
    _invalid(s.call("sales", "GET", f"/v1/customers/{bad}/aging"), "path.customer_id")
    _invalid(s.call("credit_officer", "GET", f"/v1/customers/{bad}/invoices"), "path.customer_id")
    _invalid(s.call("credit_officer", "GET", f"/v1/decisions/{bad}"), "path.decision_id")
    _invalid(s.call("risk_admin", "GET", f"/v1/portfolio/rescore/{bad}"), "path.job_id")
    limit = {"amount": 10, "reason": "hostile input"}
    _invalid(
        s.call("credit_officer", "PUT", f"/v1/customers/{bad}/credit-limit", json=limit),
        "path.customer_id",
    )


def test_valid_but_unknown_ids_are_404(service_on: Service) -> None:
    s = service_on
    unknown = "NO-SUCH-" + "9" * 56  # 64 characters: valid
    assert s.call("sales", "GET", f"/v1/customers/{unknown}/aging").status_code == 404
    assert s.call("credit_officer", "GET", f"/v1/decisions/{unknown}").status_code == 404
    assert s.call("risk_admin", "GET", f"/v1/portfolio/rescore/{unknown}").status_code == 404
    check = s.call("sales", "POST", "/v1/limit-checks", json={"customer_id": unknown, "amount": 1})
    assert check.status_code == 404


@pytest.mark.parametrize("bad", ["A\x00B", "\x00", "A\x1bB", LONG])
def test_broken_customer_id_in_a_body_is_422_naming_it(service_on: Service, bad: str) -> None:
    s = service_on
    check = s.call("sales", "POST", "/v1/limit-checks", json={"customer_id": bad, "amount": 1})
    _invalid(check, "body.customer_id")
    score = s.call("credit_officer", "POST", "/v1/scores", json={"customer_id": bad})
    _invalid(score, "body.customer_id")


@pytest.mark.parametrize("bad", ["INV\x00NUL", LONG])
def test_upload_with_a_broken_id_is_422_naming_record_and_field(
    service_on: Service, bad: str
) -> None:
    s = service_on
    customer = s.customers[0]
    invoice = {
        "invoice_id": "HOSTILE-1",
        "customer_id": customer,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "amount": 100,
    }
    records = [invoice, {**invoice, "invoice_id": bad}]
    _invalid(
        s.call("risk_admin", "POST", "/v1/ledger/invoices", json={"records": records}),
        "body.records.2.invoice_id",
    )
    _invalid(
        s.call(
            "risk_admin",
            "POST",
            "/v1/ledger/invoices",
            json={"records": [{**invoice, "customer_id": bad}]},
        ),
        "body.records.1.customer_id",
    )
    payment = {"payment_id": bad, "invoice_id": bad, "payment_date": "2026-11-03", "amount": 1}
    response = s.call("risk_admin", "POST", "/v1/ledger/payments", json={"records": [payment]})
    _invalid(response, "body.records.1.payment_id")
    _invalid(response, "body.records.1.invoice_id")
    order = {
        "order_id": bad,
        "customer_id": customer,
        "order_date": "2026-11-03",
        "amount": 5,
        "status": "open",
    }
    _invalid(
        s.call("risk_admin", "POST", "/v1/ledger/orders", json={"records": [order]}),
        "body.records.1.order_id",
    )
    with s.state.engine.connect() as connection:
        stored = connection.execute(
            select(func.count())
            .select_from(tables.invoices)
            .where(tables.invoices.c.invoice_id == "HOSTILE-1")
        ).scalar_one()
    assert stored == 0  # the valid record of the refused batch was not written either


def test_storage_refuses_ids_no_url_could_name(engine: Engine) -> None:
    import pandas as pd

    customers = pd.DataFrame({"customer_id": ["C\x00", LONG], "name": ["a", "b"]})
    for row in range(2):
        with pytest.raises(InvalidIdError), engine.begin() as connection:
            upsert_frames(connection, {"customers": customers.iloc[[row]]})
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(tables.customers))
        assert count.scalar_one() == 0
