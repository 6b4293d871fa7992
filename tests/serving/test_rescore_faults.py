"""Rescoring jobs always end: a ledger that cannot be read fails the job with the reason, and
a job whose worker died (process gone, or silent too long) is failed without an operator, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
import uuid

import httpx
from sqlalchemy import text

from ledger import tables

from .conftest import Service

AS_OF = "2026-10-31"


def _wait_for_end(s: Service, job: str) -> dict:
    for _ in range(300):
        status = s.call("risk_admin", "GET", f"/v1/portfolio/rescore/{job}").json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job} never ended: {status}")


def test_a_job_whose_ledger_cannot_be_read_ends_failed_with_the_reason(
    service_on: Service,
) -> None:
    s = service_on
    with s.state.engine.begin() as connection:
        connection.execute(text("DROP TABLE payments"))
    response = s.call("risk_admin", "POST", "/v1/portfolio/rescore", json={"as_of": AS_OF})
    assert response.status_code == 202, response.text
    status = _wait_for_end(s, response.json()["job_id"])
    assert status["status"] == "failed"
    assert "payments" in status["error"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _insert_run(s: Service, status: str, worker: str, heartbeat: dt.datetime) -> str:
    run_id = str(uuid.uuid4())
    with s.state.engine.begin() as connection:
        connection.execute(
            tables.rescore_runs.insert().values(
                run_id=run_id,
                as_of=dt.date(2026, 10, 31),
                status=status,
                started_at=heartbeat,
                worker=worker,
                heartbeat_at=heartbeat,
            )
        )
    return run_id


def _status(s: Service, run_id: str) -> httpx.Response:
    return s.call("risk_admin", "GET", f"/v1/portfolio/rescore/{run_id}")


def test_jobs_orphaned_by_a_dead_or_silent_worker_are_failed(service_on: Service) -> None:
    s = service_on
    now = dt.datetime.now(dt.UTC)
    host = socket.gethostname()
    dead = _insert_run(s, "running", f"{host}:{_dead_pid()}", now)
    silent = _insert_run(s, "queued", "elsewhere:4242", now - dt.timedelta(minutes=10))
    alive = _insert_run(s, "running", "elsewhere:4243", now)

    dead_status = _status(s, dead).json()
    assert dead_status["status"] == "failed"
    assert "stopped" in dead_status["error"]
    assert "orphaned" in dead_status["error"]
    silent_status = _status(s, silent).json()
    assert silent_status["status"] == "failed"
    assert "no heartbeat" in silent_status["error"]
    assert _status(s, alive).json()["status"] == "running"  # a live worker is left alone
