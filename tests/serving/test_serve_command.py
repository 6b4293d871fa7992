"""`arscore serve` itself: the production command (uvicorn, two workers) answers the main
calls, spreads connections over its workers, and a promotion made with `arscore promote`
reaches every worker without a restart."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from ledger.storage import make_engine
from serving.auth import create_token

from .conftest import AS_OF, _free_port

ARSCORE = str(Path(sys.executable).with_name("arscore"))
MODEL = "arscore-default-pd"


def _register_again(client: MlflowClient, name: str) -> str:
    """A new version of ``name`` from the champion's artifacts (the alias is not moved)."""
    current = client.get_model_version_by_alias(name, "champion")
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(client.tracking_uri)
    try:
        return str(client.create_model_version(name, current.source, current.run_id).version)
    finally:
        mlflow.set_tracking_uri(previous_uri)


@contextmanager
def running_serve(
    env: dict[str, str], workers: int, ready_seconds: float = 120
) -> Iterator[tuple[str, int]]:
    """``arscore serve`` with ``env`` on a free port, once it answers ``/readyz``: its URL and
    port; stopped on exit (terminated, killed if it does not exit within 30 s)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [ARSCORE, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_ready(url, process, ready_seconds)
        yield url, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"arscore serve exited: {process.stderr.read().decode()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("arscore serve did not become ready")


def _workers_of_simultaneous_connections(port: int, token: str, count: int) -> list[int]:
    """The worker pid behind each of ``count`` connections opened at once and kept open, as a
    proxy's keep-alive pool or a load generator opens them."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(count)]
    for connection in connections:
        connection.connect()
    pids = []
    for connection in connections:
        connection.request("GET", "/readyz", headers={"Authorization": f"Bearer {token}"})
        pids.append(json.loads(connection.getresponse().read())["worker"])
    for connection in connections:
        connection.close()
    return pids


def _listening_sockets(port: int) -> int:
    """How many TCP sockets listen on ``port`` (Linux: /proc/net/tcp, state 0A)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        count += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return count


def _served_versions(url: str, token: str, calls: int) -> tuple[set[str], set[int]]:
    """Default-PD versions and worker pids seen over ``calls`` fresh connections."""
    versions, workers = set(), set()
    for _ in range(calls):
        with httpx.Client(base_url=url, timeout=30) as client:  # a new connection each time
            ready = client.get("/readyz", headers={"Authorization": f"Bearer {token}"}).json()
            workers.add(ready["worker"])
            versions.add(ready["models"][MODEL])
            client.get("/v1/models", headers={"Authorization": f"Bearer {token}"})
    return versions, workers


@pytest.mark.slow
def test_arscore_serve_answers_and_follows_a_promotion_on_every_worker(trained, tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("arscore.db", "mlflow.db"):
        shutil.copy(trained.home / name, home / name)
    database_url = f"sqlite:///{(home / 'arscore.db').as_posix()}"
    tracking_uri = f"sqlite:///{(home / 'mlflow.db').as_posix()}"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        admin = create_token(connection, "e2e-admin", "risk_admin")
        sales = create_token(connection, "e2e-sales", "sales")
        customer = connection.exec_driver_sql("select min(customer_id) from customers").scalar()
    engine.dispose()
    registry = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    before = registry.get_model_version_by_alias(MODEL, "champion").version

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "TMPDIR": str(scratch),  # where serve makes (and must remove) its metrics folder
        "ARSCORE_HOME": str(home),
        "ARSCORE_DATABASE_URL": database_url,
        "ARSCORE_MLFLOW_TRACKING_URI": tracking_uri,
        "ARSCORE_SERVING__RELOAD_CHECK_SECONDS": "0.5",
        "ARSCORE_SERVING__MODEL_POLL_SECONDS": "0",  # only the reload request can do it
    }
    with running_serve(env, workers=2) as (url, port):
        auth = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=url, timeout=60) as client:
            score = client.post(
                "/v1/scores", json={"customer_id": customer, "as_of": AS_OF}, headers=auth
            )
            assert score.status_code == 200, score.text
            assert 0 < score.json()["default_probability"] < 1
            check = client.post(
                "/v1/limit-checks",
                json={"customer_id": customer, "amount": 100},
                headers={"Authorization": f"Bearer {sales}"},
            )
            assert check.status_code == 200, check.text
            assert check.json()["decision"] in ("approve", "refer", "decline")
            assert client.post("/v1/scores", json={"customer_id": customer}).status_code == 401

        # Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads connections
        # opened together over both, rather than whichever worker woke first taking them all.
        # (32 connections all hashed to one of two sockets has a chance of 2**-31.)
        # A worker listens once its models are loaded; the first may answer /readyz earlier.
        if sys.platform == "linux":
            deadline = time.monotonic() + 60
            while _listening_sockets(port) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _listening_sockets(port) == 2
            pids = _workers_of_simultaneous_connections(port, sales, 32)
            assert len(set(pids)) == 2, f"all 32 connections went to worker {pids[0]}"

        versions, workers = _served_versions(url, admin, 40)
        assert versions == {str(before)}

        new = _register_again(registry, MODEL)
        promoted = subprocess.run(
            [ARSCORE, "promote", MODEL, new], env=env, capture_output=True, text=True, check=False
        )
        assert promoted.returncode == 0, promoted.stderr
        assert "within seconds" in promoted.stdout
        deadline = time.monotonic() + 30
        while True:
            versions, seen = _served_versions(url, admin, 20)
            workers |= seen
            if versions == {new} or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert versions == {new}
        assert len(workers) == 2, f"requests reached only workers {workers}"
        # Every worker answers with the new version from now on.
        assert _served_versions(url, admin, 20)[0] == {new}
    assert not list(scratch.glob("arscore-metrics-*")), "serve left its metrics folder behind"
