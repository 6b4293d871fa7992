"""Portfolio aging is computed once per ledger version and per worker (serving/portfolio_cache.py):
a second call does not read the ledger again, parallel cold calls read it once, and any write -
an upload, an ingest by another process, an approved credit limit - makes the next call read it.
The whole-ledger reads are counted on the engine itself (SQLAlchemy's cursor hook), on SQLite
and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from ledger.storage import load_ledger, make_engine, write_ledger
from serving.app import create_app

from .conftest import AS_OF, Service

# The statement load_ledger sends for every invoice of the book (a customer's read has a WHERE).
_WHOLE_LEDGER = re.compile(r"FROM invoices AS t ORDER BY", re.IGNORECASE)


class LedgerReads:
    """Counts whole-ledger reads on an engine as they reach the database driver."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn, cursor, statement: str, *args) -> None:
        self.count += bool(_WHOLE_LEDGER.search(statement))


@contextmanager
def counting(s: Service) -> Iterator[LedgerReads]:
    reads = LedgerReads()
    event.listen(s.state.engine, "before_cursor_execute", reads)
    try:
        yield reads
    finally:
        event.remove(s.state.engine, "before_cursor_execute", reads)


@contextmanager
def configured(s: Service, **settings: object) -> Iterator[Service]:
    """The same database and tokens behind an app with other serving settings."""
    state = dataclasses.replace(s.state, config=s.state.config.model_copy(update=settings))
    with TestClient(create_app(state, load_models=False)) as app:
        yield Service(app, s.tokens, state, s.customers)


def _aging(s: Service, role: str = "sales", **params: str):
    response = s.call(role, "GET", "/v1/portfolio/aging", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_second_portfolio_call_does_not_read_the_ledger_again(service_on: Service) -> None:
    s = service_on
    with counting(s) as reads:
        first = _aging(s)
        assert reads.count == 1
        second = _aging(s, role="credit_officer")
        third = _aging(s)
    assert reads.count == 1
    assert first == second == third
    assert s.state.portfolio_cache.computations == 1
    # Another as-of date is another answer, kept beside the first.
    with counting(s) as reads:
        other = _aging(s, as_of="2026-06-30")
        _aging(s, as_of="2026-06-30")
        _aging(s)
    assert reads.count == 1
    assert other["summary"] != first["summary"]


def test_parallel_cold_calls_read_the_ledger_once(service_on: Service) -> None:
    s = service_on
    with counting(s) as reads, ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _aging(s), range(4)))
    assert reads.count == 1
    assert all(a == answers[0] for a in answers)


def test_an_upload_makes_the_next_call_read_the_new_ledger(service_on: Service) -> None:
    s = service_on
    before = _aging(s)
    invoice = {
        "invoice_id": "INV-CACHE-1",
        "customer_id": s.customers[0],
        "invoice_date": AS_OF,
        "due_date": "2026-11-30",
        "amount": 12_345.0,
        "currency": "EUR",
    }
    upload = s.call("risk_admin", "POST", "/v1/ledger/invoices", json={"records": [invoice]})
    assert upload.status_code == 200, upload.text
    with counting(s) as reads:
        after = _aging(s)
        _aging(s)
    assert reads.count == 1
    assert after["summary"]["open_ar"] == pytest.approx(before["summary"]["open_ar"] + 12_345.0)
    assert after["summary"]["open_invoices"] == before["summary"]["open_invoices"] + 1


def test_writes_outside_this_worker_make_the_next_call_recompute(service_on: Service) -> None:
    s = service_on
    _aging(s)
    # An ingest by another process (the CLI): its own engine, a new ingest run.
    other = make_engine(str(s.state.engine.url.render_as_string(hide_password=False)))
    customer = s.customers[1]
    write_ledger(other, load_ledger(other, customer_ids=[customer]), source="another process")
    other.dispose()
    with counting(s) as reads:
        _aging(s)
        _aging(s)
    assert reads.count == 1
    # An approved credit limit changes the ledger too.
    changed = s.call(
        "credit_officer",
        "PUT",
        f"/v1/customers/{customer}/credit-limit",
        json={"amount": 99_000, "reason": "annual review"},
    )
    assert changed.status_code == 200, changed.text
    with counting(s) as reads:
        _aging(s)
    assert reads.count == 1


def test_without_the_cache_every_call_reads_the_ledger(service_on: Service) -> None:
    with configured(service_on, portfolio_cache_entries=0) as s, counting(s) as reads:
        first, second = _aging(s), _aging(s)
    assert reads.count == 2
    assert first == second


def test_heavy_calls_over_the_callers_limit_answer_429_with_retry_after(
    service_on: Service,
) -> None:
    with configured(service_on, heavy_calls_per_minute=6, heavy_call_burst=2) as s:
        statuses = [s.call("sales", "GET", "/v1/portfolio/aging").status_code for _ in range(3)]
        refused = s.call("sales", "GET", "/v1/portfolio/aging")
        other_caller = s.call("credit_officer", "GET", "/v1/portfolio/aging")
        cheap = s.call("sales", "GET", f"/v1/customers/{s.customers[0]}/aging")
        job = s.call("risk_admin", "POST", "/v1/portfolio/rescore", json={"as_of": AS_OF})
        jobs = [
            s.call("risk_admin", "POST", "/v1/portfolio/rescore", json={"as_of": AS_OF})
            for _ in range(2)
        ]
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_requests"
    assert "6 times a minute" in error["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 10  # one call every 10 s
    assert other_caller.status_code == 200  # per caller
    assert cheap.status_code == 200  # one customer's aging is not limited
    assert job.status_code == 202
    assert [j.status_code for j in jobs] == [202, 429]  # starting a rescoring job is heavy


def test_no_limit_when_the_rate_is_zero(service_on: Service) -> None:
    with configured(service_on, heavy_calls_per_minute=0, heavy_call_burst=1) as s:
        statuses = {s.call("sales", "GET", "/v1/portfolio/aging").status_code for _ in range(5)}
    assert statuses == {200}
