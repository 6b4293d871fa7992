"""``GET /v1/portfolio/worklist``: the rescoring run's worklist as JSON, CSV or a workbook,
chosen by ``?format=`` or ``Accept``, with the same rows as ``arscore rescore --out``."""

from __future__ import annotations

import csv
import io
import time

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from serving.app import create_app
from serving.exports import SHEETS, XLSX_MEDIA_TYPE
from serving.worklist import CUSTOMER_COLUMNS, OPEN_INVOICE_COLUMNS

AS_OF = "2026-10-31"


def _rescore(client: TestClient, headers: dict[str, str], as_of: str) -> None:
    job = client.post("/v1/portfolio/rescore", json={"as_of": as_of}, headers=headers).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(f"/v1/portfolio/rescore/{job['job_id']}", headers=headers).json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status["status"] == "done", status


def test_the_worklist_comes_as_json_csv_or_workbook(private_service, trained) -> None:
    state, tokens = private_service
    admin = {"Authorization": f"Bearer {tokens['risk_admin']}"}
    officer = {"Authorization": f"Bearer {tokens['credit_officer']}"}
    with TestClient(create_app(state)) as client:
        missing = client.get("/v1/portfolio/worklist", headers=officer)
        assert missing.status_code == 404
        assert "POST /v1/portfolio/rescore" in missing.json()["error"]["message"]
        _rescore(client, admin, "2026-09-30")
        _rescore(client, admin, AS_OF)

        answer = client.get("/v1/portfolio/worklist", headers=officer)
        assert answer.status_code == 200
        body = answer.json()
        assert body["as_of"] == AS_OF
        assert body["previous_run_id"] is not None
        invoices, customers = body["open_invoices"], body["customers"]
        assert len(customers) == len(trained.ledger.customers)
        assert tuple(invoices[0]) == OPEN_INVOICE_COLUMNS
        assert tuple(customers[0]) == CUSTOMER_COLUMNS
        assert [r["priority"] for r in invoices] == list(range(1, len(invoices) + 1))
        for row in invoices:
            assert isinstance(row["days_overdue"], int)
            assert round(row["amount_open"], 2) == row["amount_open"]
            p = row["late_payment_probability"]
            assert p is not None
            assert float(f"{p:.4g}") == p
        assert any(c["previous_risk_grade"] is not None for c in customers)

        as_csv = client.get("/v1/portfolio/worklist", params={"format": "csv"}, headers=officer)
        assert as_csv.status_code == 200
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert f"open_invoices_{AS_OF}.csv" in as_csv.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert [r["invoice_id"] for r in rows] == [r["invoice_id"] for r in invoices]
        assert rows[0]["amount_open"] == f"{invoices[0]['amount_open']}"
        people = client.get(
            "/v1/portfolio/worklist",
            params={"table": "customers"},
            headers={**officer, "Accept": "text/csv"},
        )
        assert people.status_code == 200
        assert next(csv.reader(io.StringIO(people.text))) == list(CUSTOMER_COLUMNS)

        book = client.get("/v1/portfolio/worklist", headers={**officer, "Accept": XLSX_MEDIA_TYPE})
        assert book.status_code == 200
        assert book.headers["content-type"] == XLSX_MEDIA_TYPE
        workbook = load_workbook(io.BytesIO(book.content))
        assert tuple(workbook.sheetnames) == SHEETS
        sheet = workbook[SHEETS[0]]
        assert sheet.max_row == len(invoices) + 1
        assert sheet.cell(2, 2).value == invoices[0]["invoice_id"]
        same = client.get("/v1/portfolio/worklist", params={"format": "xlsx"}, headers=officer)
        assert same.headers["content-type"] == XLSX_MEDIA_TYPE

        sales = {"Authorization": f"Bearer {tokens['sales']}"}
        assert client.get("/v1/portfolio/worklist", headers=sales).status_code == 403
        bad = client.get("/v1/portfolio/worklist", params={"format": "pdf"}, headers=officer)
        assert bad.status_code == 422
        assert set(bad.json()["error"]) == {"code", "message", "details"}


def _numbers(value, key=None):
    """(key, number) for every number in a JSON answer, with the nearest key above it."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v, key)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield key, value


def test_json_answers_are_rounded_like_the_worklist(private_service, trained) -> None:
    state, tokens = private_service
    officer = {"Authorization": f"Bearer {tokens['credit_officer']}"}
    customer = str(trained.ledger.customers["customer_id"].iloc[7])
    with TestClient(create_app(state)) as client:
        answers = [
            client.post("/v1/scores", json={"customer_id": customer}, headers=officer),
            client.get(f"/v1/customers/{customer}/aging", headers=officer),
            client.get(f"/v1/customers/{customer}/invoices", headers=officer),
            client.get("/v1/portfolio/aging", headers=officer),
        ]
    seen = set()
    for answer in answers:
        assert answer.status_code == 200, answer.text
        for key, number in _numbers(answer.json()):
            seen.add(key)
            if key in ("default_probability", "late_payment_probability", "overdue_ratio"):
                assert float(f"{number:.4g}") == number, (key, number)
            if key in ("amount", "open_amount", "total_open", "total_overdue", "exposure"):
                assert round(number, 2) == number, (key, number)
            if key in ("days_overdue", "risk_grade", "customers", "invoices", "score"):
                assert isinstance(number, int), (key, number)
    assert {"default_probability", "total_open", "days_overdue", "risk_grade"} <= seen
