"""Credit notes through the API (issue #11 item 2): uploaded like invoices, with the same
validation as ingest, netted in the aging and the limit check (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from .conftest import Service

AS_OF = "2026-10-31"


def _exposure(s: Service, customer: str) -> float:
    response = s.call(
        "sales", "POST", "/v1/limit-checks", json={"customer_id": customer, "amount": 1}
    )
    assert response.status_code == 200, response.text
    return float(response.json()["exposure"])


def _line(invoice_id: str, customer: str, day: str, amount: float, **more) -> dict:
    return {
        "invoice_id": invoice_id,
        "customer_id": customer,
        "invoice_date": day,
        "due_date": more.pop("due_date", day),
        "amount": amount,
        **more,
    }


def test_an_uploaded_credit_note_is_netted_in_aging_and_exposure(service_on: Service) -> None:
    s = service_on
    customer = s.customers[2]
    before = _exposure(s, customer)
    batch = [  # the credit note before the invoice it names: order within a batch is free
        _line("API-CN-1", customer, "2026-10-15", -250.0, reference_invoice_id="API-INV-9"),
        _line("API-INV-9", customer, "2026-10-01", 1000.0, due_date="2026-10-31"),
    ]

    written = s.call("risk_admin", "POST", "/v1/ledger/invoices", json={"records": batch})

    assert written.status_code == 200, written.text
    assert written.json()["rows_written"]["invoices"] == 2
    aging = s.call("credit_officer", "GET", f"/v1/customers/{customer}/aging").json()
    lines = {i["invoice_id"]: i for i in aging["invoices"]}
    assert lines["API-INV-9"]["open_amount"] == pytest.approx(750.0)
    assert "API-CN-1" not in lines  # a credit note is never an invoice to chase
    assert "unapplied_credit" in aging
    earlier = s.call(
        "credit_officer", "GET", f"/v1/customers/{customer}/aging", params={"as_of": "2026-10-14"}
    ).json()
    assert {i["invoice_id"]: i for i in earlier["invoices"]}["API-INV-9"][
        "open_amount"
    ] == pytest.approx(1000.0)  # the credit counts from its own date
    assert _exposure(s, customer) == pytest.approx(before + 750.0)

    # Unreferenced: netted against the oldest open invoices, or kept as credit; either way the
    # exposure falls by the credit's amount.
    loose = _line("API-CN-2", customer, "2026-10-20", -300.0)
    assert (
        s.call("risk_admin", "POST", "/v1/ledger/invoices", json={"records": [loose]}).status_code
        == 200
    )
    assert _exposure(s, customer) == pytest.approx(before + 450.0)


def test_a_credit_note_naming_another_customers_invoice_is_refused(service_on: Service) -> None:
    s = service_on
    mine, theirs = s.customers[3], s.customers[4]
    invoice = _line("API-INV-8", theirs, "2026-10-01", 500.0, due_date="2026-10-31")
    assert (
        s.call("risk_admin", "POST", "/v1/ledger/invoices", json={"records": [invoice]}).status_code
        == 200
    )
    credit = _line("API-CN-3", mine, "2026-10-10", -100.0, reference_invoice_id="API-INV-8")

    refused = s.call("risk_admin", "POST", "/v1/ledger/invoices", json={"records": [credit]})

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert f"is an invoice of customer {theirs}, not of {mine}" in str(error["details"])
    listed = s.call("credit_officer", "GET", f"/v1/customers/{mine}/aging").json()["invoices"]
    assert "API-CN-3" not in {i["invoice_id"] for i in listed}
