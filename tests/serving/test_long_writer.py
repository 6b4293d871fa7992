"""A long write transaction (an ingest) does not stall the service: while another connection
holds the database's write lock, readiness, aging and the other reads answer, and a limit
check waiting for the lock to record its decision holds up only itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import text

from .conftest import Service


@contextmanager
def _writer_holding_the_lock(s: Service) -> Iterator[None]:
    """A connection in an open write transaction, as an ingest holds it while it loads."""
    with s.state.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.execute(
            text("UPDATE customers SET credit_limit = credit_limit WHERE customer_id = :c"),
            {"c": s.customers[0]},
        )
        try:
            yield
        finally:
            connection.rollback()


def test_a_writer_holding_its_lock_does_not_stall_reads_or_the_worker(
    service_on: Service,
) -> None:
    s = service_on
    customer = s.customers[1]
    answered: list[str] = []
    limit_done = threading.Event()

    def limit_check():
        try:
            return s.call(
                "sales", "POST", "/v1/limit-checks", json={"customer_id": customer, "amount": 1}
            )
        finally:
            limit_done.set()

    with ThreadPoolExecutor(2) as pool:
        with _writer_holding_the_lock(s):
            pending = pool.submit(limit_check)
            limit_done.wait(1.0)  # SQLite: it now waits for the lock to write its audit record
            ready = pool.submit(s.app.get, "/readyz").result(timeout=25)
            answered.append("readyz")
            aging = s.call("sales", "GET", f"/v1/customers/{customer}/aging")
            answered.append("aging")
            invoices = s.call("credit_officer", "GET", f"/v1/customers/{customer}/invoices")
            answered.append("invoices")
            if s.state.engine.dialect.name == "postgresql":
                # Row locks only: the decision is recorded while the writer still holds them.
                assert pending.result(timeout=25).status_code == 200
            else:
                # The audit insert waits for SQLite's one write lock, in its own thread only.
                assert not limit_done.is_set(), (
                    "the limit check ended while the writer held the lock: it gave up, and "
                    "the worker answered nothing else meanwhile"
                )
        check = pending.result(timeout=60)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert aging.status_code == 200
    assert invoices.status_code == 200
    assert answered == ["readyz", "aging", "invoices"]
    assert check.status_code == 200, check.text  # recorded once the writer let go
    assert check.json()["decision"] in ("approve", "refer", "decline")
