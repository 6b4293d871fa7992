"""Per-worker listening sockets (serving.workers): what each worker receives is a new socket in
the address's SO_REUSEPORT group, and a port something already listens on - even another
SO_REUSEPORT server - stops start-up with a clear error."""

from __future__ import annotations

import os
import socket
import sys
from multiprocessing.reduction import ForkingPickler

import pytest
from uvicorn.config import STARTUP_FAILURE

from serving.workers import balances_connections, parent_socket, reuse_port_socket

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT balancing is Linux")


def _listening(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1


@linux_only
def test_a_worker_gets_its_own_socket_on_the_same_address() -> None:
    parent = parent_socket(socket.AF_INET, ("127.0.0.1", 0))
    try:
        address = parent.getsockname()
        # What spawning a worker does with it: multiprocessing's pickler.
        worker = ForkingPickler.loads(bytes(ForkingPickler.dumps(parent)))
        try:
            # A socket of its own (another kernel object, not a copy of the parent's descriptor).
            assert os.fstat(worker.fileno()).st_ino != os.fstat(parent.fileno()).st_ino
            assert worker.getsockname() == address
            assert worker.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            assert worker.proto == socket.IPPROTO_TCP  # so asyncio switches Nagle off
            worker.listen()
            assert _listening(worker)
            assert not _listening(parent)
            with socket.create_connection(address, timeout=5):
                accepted, _ = worker.accept()  # the parent never listens: the worker takes it
                accepted.close()
        finally:
            worker.close()
    finally:
        parent.close()


def test_a_taken_port_stops_a_worker_with_uvicorns_failure_code() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(SystemExit) as stopped:
            reuse_port_socket(socket.AF_INET, taken.getsockname())
        assert stopped.value.code == STARTUP_FAILURE
    finally:
        taken.close()


@linux_only
def test_the_parent_refuses_a_port_another_reuse_port_server_listens_on() -> None:
    """A SO_REUSEPORT bind alone would join the other server's group and share its traffic."""
    other = reuse_port_socket(socket.AF_INET, ("127.0.0.1", 0))
    other.listen()
    try:
        with pytest.raises(SystemExit) as stopped:
            parent_socket(socket.AF_INET, other.getsockname())
        assert stopped.value.code == STARTUP_FAILURE
    finally:
        other.close()


def test_the_shared_socket_stays_where_reuse_port_cannot_balance() -> None:
    assert not balances_connections(1, 8000)
    assert not balances_connections(2, 0)
    assert balances_connections(2, 8000) == (sys.platform == "linux")


# The console script as installed, except that each spawned worker's re-import of it (as
# ``__mp_main__``) takes 12 s: importing the CLI alone took 6.5 s on a loaded machine, and
# uvicorn's supervisor pings its workers one after another with 5 s each, so with its default a
# worker slower than ~10 s is always killed before it can answer, and so is its replacement.
_SLOW_WORKER_SCRIPT = """
import sys
import time

if __name__ == "__mp_main__":
    time.sleep(12)
from arscore.cli import app

if __name__ == "__main__":
    sys.exit(app())
"""


@pytest.mark.slow
def test_workers_that_start_slower_than_uvicorns_default_health_check_are_not_killed(
    tmp_path,
) -> None:
    import subprocess
    import time

    import httpx

    script = tmp_path / "arscore_slow_workers.py"
    script.write_text(_SLOW_WORKER_SCRIPT)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSCORE_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({"ARSCORE_HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path)})
    server = subprocess.Popen(
        [sys.executable, str(script), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        ready, deadline = False, time.monotonic() + 90
        while not ready and time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.5)
        # With uvicorn's default 5-s health check the workers are killed and replaced forever.
        assert ready, "no worker came up"
        workers = subprocess.run(
            ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(server.pid)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert sum("spawn_main" in line for line in workers.splitlines()) == 2
    finally:
        server.terminate()
        server.wait(timeout=60)
