"""What the service benches share: a real ``arscore serve`` on a ledger database, tokens, and
closed-loop HTTP clients that record every answer's status and latency.

Loaded by file path from bench/portfolio.py and bench/faults.py (bench/ is no package); the
load is plain ``http.client`` (one keep-alive connection per loop, a new one after an error) so
the figures need no load generator beyond Python.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARSCORE = str(Path(sys.executable).with_name("arscore"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``arscore serve`` with ``workers`` processes and ``settings`` as ARSCORE_ variables."""

    def __init__(
        self, home: Path, database_url: str, workers: int = 2, **settings: str | float
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSCORE_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            {
                "ARSCORE_HOME": str(home),
                "ARSCORE_DATABASE_URL": database_url,
                "ARSCORE_MLFLOW_TRACKING_URI": f"sqlite:///{(home / 'mlflow.db').as_posix()}",
                **{f"ARSCORE_{k.upper()}": str(v) for k, v in settings.items()},
            }
        )
        self.env = env
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's stderr, read at the end
        self.process = subprocess.Popen(
            [ARSCORE, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"arscore serve exited:\n{self.log()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"arscore serve did not become ready:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the supervisor)."""
        out = subprocess.run(
            ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        # multiprocessing's resource tracker is a child too; the workers run spawn_main.
        rows = (line.split(None, 1) for line in out.splitlines() if line.strip())
        return [int(pid) for pid, args in rows if "spawn_main" in args]

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send ``sig`` to the supervisor and wait; the exit code (killed if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


@dataclass
class Tally:
    """Every answer of a load: statuses, latencies by name, connection errors, the idempotency
    keys of decisions answered 200, and the 5xx no outage explains."""

    outage: threading.Event = field(default_factory=threading.Event)  # set: 503 expected
    stopping: threading.Event = field(default_factory=threading.Event)  # set: server told to stop
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    connection_errors: int = 0
    refused_after_stop: int = 0  # connection errors once the server was told to stop
    sent: int = 0
    unexpected_5xx: int = 0
    retried: int = 0  # decision calls sent again (same key) after a connection error
    unanswered: int = 0  # decision calls given up when the load stopped
    attempted: set[str] = field(default_factory=set)  # keys of every decision call sent
    decided: set[str] = field(default_factory=set)  # keys of decisions answered 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self, name: str, status: int | None, seconds: float, key: str | None, outage: bool
    ) -> None:
        with self.lock:
            self.sent += 1
            if status is None:
                if self.stopping.is_set():
                    self.refused_after_stop += 1
                else:
                    self.connection_errors += 1
                return
            self.statuses[status] += 1
            self.latencies.setdefault(name, []).append(seconds)
            if status >= 500 and not (status == 503 and outage):
                self.unexpected_5xx += 1
            if key is not None and status == 200:
                self.decided.add(key)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    def by_class(self) -> dict[str, int]:
        classes: Counter[str] = Counter()
        for status, n in self.statuses.items():
            classes[f"{status // 100}xx"] += n
        return dict(sorted(classes.items()))


@dataclass(frozen=True)
class Call:
    """One request of a loop: method, path, JSON body, token; ``decision`` when a 200 answer
    must have its decision in the audit table."""

    method: str
    path: str
    body: dict[str, Any] | None
    token: str
    decision: bool = False
    name: str = ""  # what the latencies are grouped by (the path when empty)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class Loop(threading.Thread):
    """A closed loop: send the next call as soon as the last one is answered, until stopped."""

    def __init__(
        self,
        port: int,
        calls: Callable[[int], Call],
        tally: Tally,
        stop: threading.Event,
        timeout: float = 60,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.calls, self.tally, self.stop_event = port, calls, tally, stop
        self.timeout = timeout

    def run(self) -> None:
        connection: http.client.HTTPConnection | None = None
        i = 0
        retry: tuple[Call, str | None] | None = None
        while not self.stop_event.is_set():
            if retry is not None:
                call, key = retry
            else:
                call = self.calls(i)
                i += 1
                # A decision carries an idempotency key, so a call cut off by a dead worker can
                # be sent again without deciding twice - what a careful client does.
                key = uuid.uuid4().hex if call.decision else None
                if key is not None:
                    with self.tally.lock:
                        self.tally.attempted.add(key)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, self.timeout)
            headers = {"Authorization": f"Bearer {call.token}"}
            if key is not None:
                headers["Idempotency-Key"] = key
            body = None
            if call.body is not None:
                body = json.dumps(call.body)
                headers["Content-Type"] = "application/json"
            outage = self.tally.outage.is_set()
            started = time.perf_counter()
            try:
                connection.request(call.method, call.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status: int | None = response.status
                if response.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                status = None
                connection.close()
                connection = None
                time.sleep(0.05)  # a refused connection answers at once: do not spin
            outage = outage or self.tally.outage.is_set()
            name = call.name or call.path
            self.tally.add(name, status, time.perf_counter() - started, key, outage)
            if status is None and key is not None:
                retry = (call, key)
                with self.tally.lock:
                    self.tally.retried += 1
            else:
                retry = None
        if retry is not None:
            with self.tally.lock:
                self.tally.unanswered += 1
        if connection is not None:
            connection.close()
