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
