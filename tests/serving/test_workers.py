"""Per-worker listening sockets (serving.workers): what each worker receives is a new socket in
the address's SO_REUSEPORT group, and a port that is taken stops start-up with a clear error."""

from __future__ import annotations

import pickle
import socket
import sys

import pytest
from uvicorn.config import STARTUP_FAILURE

from serving.workers import balances_connections, reuse_port_socket

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT balancing is Linux")


@linux_only
def test_a_worker_gets_its_own_socket_on_the_same_address() -> None:
    parent = reuse_port_socket(socket.AF_INET, ("127.0.0.1", 0))
    try:
        address = parent.getsockname()
        parent.address = address  # as bound; port 0 itself is never balanced
        worker = pickle.loads(pickle.dumps(parent))  # what spawning a worker does with it
        try:
            assert worker.fileno() != parent.fileno()
            assert worker.getsockname() == address
            assert worker.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            assert worker.proto == socket.IPPROTO_TCP  # so asyncio switches Nagle off
            worker.listen()
            with socket.create_connection(address, timeout=5):
                accepted, _ = worker.accept()  # the parent never listens: the worker takes it
                accepted.close()
        finally:
            worker.close()
    finally:
        parent.close()


def test_a_taken_port_stops_start_up_with_uvicorns_failure_code() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(SystemExit) as stopped:
            reuse_port_socket(socket.AF_INET, taken.getsockname())
        assert stopped.value.code == STARTUP_FAILURE
    finally:
        taken.close()


def test_the_shared_socket_stays_where_reuse_port_cannot_balance() -> None:
    assert not balances_connections(1, 8000)
    assert not balances_connections(2, 0)
    assert balances_connections(2, 8000) == (sys.platform == "linux")
