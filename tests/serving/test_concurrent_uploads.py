"""Parallel uploads on real threads, on SQLite and PostgreSQL: a check and the write it allows
are one step, so exactly the payments that fit succeed, the others are refused in the error
shape, and no invoice ends paid beyond its amount."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from ledger import tables

from .conftest import Service

INVOICES = 6
PARALLEL = 4


def _invoice(n: int, customer: str, amount: float = 100.0) -> dict:
    return {
        "invoice_id": f"RACE-{n}",
        "customer_id": customer,
        "invoice_date": "2026-11-02",
        "due_date": "2026-12-02",
        "amount": amount,
    }


def _payment(n: int, k: int) -> dict:
    return {
        "payment_id": f"RACE-{n}-PAY-{k}",
        "invoice_id": f"RACE-{n}",
        "payment_date": "2026-11-10",
        "amount": 60,
    }


def _all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run ``calls`` on as many threads, released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _upload(s: Service, entity: str, record: dict) -> Callable[[], httpx.Response]:
    return lambda: s.call("risk_admin", "POST", f"/v1/ledger/{entity}", json={"records": [record]})


def _paid_and_amount(s: Service) -> dict[str, tuple[float, float]]:
    inv, pay = tables.invoices, tables.payments
    paid = (
        select(pay.c.invoice_id, func.sum(pay.c.amount).label("paid"))
        .group_by(pay.c.invoice_id)
        .subquery()
    )
    with s.state.engine.connect() as connection:
        rows = connection.execute(
            select(inv.c.invoice_id, func.coalesce(paid.c.paid, 0.0), inv.c.amount)
            .outerjoin(paid, paid.c.invoice_id == inv.c.invoice_id)
            .where(inv.c.invoice_id.like("RACE-%"))
        ).all()
    return {invoice: (float(p), float(a)) for invoice, p, a in rows}


def _refused(response: httpx.Response) -> bool:
    return response.status_code in (409, 422) and response.json()["error"]["code"] in (
        "conflict",
        "validation_error",
    )


def test_parallel_payments_never_overpay_an_invoice(service_on: Service) -> None:
    s = service_on
    customer = s.customers[1]
    batch = {"records": [_invoice(n, customer) for n in range(INVOICES)]}
    assert s.call("risk_admin", "POST", "/v1/ledger/invoices", json=batch).status_code == 200

    calls = [
        _upload(s, "payments", _payment(n, k)) for n in range(INVOICES) for k in range(PARALLEL)
    ]
    responses = _all_at_once(calls)

    for n in range(INVOICES):
        mine = responses[n * PARALLEL : (n + 1) * PARALLEL]
        statuses = sorted(r.status_code for r in mine)
        assert statuses.count(200) == 1, (n, [r.text[:200] for r in mine])
        assert all(_refused(r) for r in mine if r.status_code != 200), [r.text for r in mine]
    paid = _paid_and_amount(s)
    assert len(paid) == INVOICES
    assert all(p == 60.0 and a == 100.0 for p, a in paid.values()), paid


def test_a_payment_and_a_parallel_cut_and_move_of_its_invoice_never_both_succeed(
    service_on: Service,
) -> None:
    s = service_on
    first, second = s.customers[2], s.customers[3]
    batch = {"records": [_invoice(n, first) for n in range(INVOICES)]}
    assert s.call("risk_admin", "POST", "/v1/ledger/invoices", json=batch).status_code == 200

    calls = []
    for n in range(INVOICES):
        calls.append(_upload(s, "payments", _payment(n, 0)))  # 60 fits 100, not 50
        calls.append(_upload(s, "invoices", _invoice(n, second, amount=50.0)))
    responses = _all_at_once(calls)

    for n in range(INVOICES):
        pair = responses[2 * n : 2 * n + 2]
        assert sorted(r.status_code for r in pair)[0] == 200, [r.text[:200] for r in pair]
        assert [r.status_code for r in pair].count(200) == 1, [r.text[:200] for r in pair]
        assert all(_refused(r) for r in pair if r.status_code != 200)
    paid = _paid_and_amount(s)
    assert all(p <= a for p, a in paid.values()), paid
