"""Run the API under uvicorn's worker supervisor, one listening socket per worker on Linux.

Plain ``uvicorn --workers N`` shares the parent's one listening socket, and the first worker to
wake accepts every pending connection. Clients that keep their connections open (a proxy's
keep-alive pool, a load generator) then stay on that worker: in ``bench/api.py`` one run in
three had all 8 connections on one worker and half the score throughput (67 against 121
scores/s). Here each worker binds its own socket with ``SO_REUSEPORT`` and the Linux kernel
spreads new connections over the workers by address hash. Where ``SO_REUSEPORT`` does not
balance (macOS, Windows), with one worker or with port 0, the shared socket stays.

uvicorn's supervisor (start, health checks, restarting a dead worker) is used unchanged: the
parent's socket is only bound, never listened on, and when it is handed to a worker it opens
that worker's own socket on the same address (:meth:`_WorkerListener.__reduce__`), so a
restarted worker gets a fresh one too. Before that, the parent checks with a plain bind that
nothing listens on the address yet: without the check a second ``arscore serve`` on the same
port, or workers left behind by a killed parent, would join the group and share the traffic.

The trade-off: connections waiting in a worker's own queue when that worker stops (a crash, a
restart, shutdown) are reset instead of being taken by the other worker, unless the kernel
migrates them (``sysctl net.ipv4.tcp_migrate_req=1``, Linux 5.14+); with every worker down,
clients are refused rather than queued.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any, NoReturn

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("uvicorn.error")

# How long uvicorn's supervisor waits for a worker to answer its health check before it kills
# the worker and starts another (uvicorn's default: 5 s). A worker is spawned, so it first
# re-imports the ``arscore`` console script - the whole CLI, about 2 s of imports on a quiet
# machine and 6.5 s measured under load - and only then starts the thread that answers. With
# 5 s, bench/faults.py saw a worker killed by SIGKILL replaced by workers that were themselves
# killed before they could answer, ten in a row, the service refusing connections for whole
# scenarios. The price of a longer wait: a hung worker is found later, and a worker that dies
# while a ping to it is pending is replaced only when that ping times out (the supervisor holds
# the other end of the pipe, so a dead worker's pipe never reports EOF) - with 60 s a replacement
# took 60.3 s in bench/faults.py. 20 s is three times the slowest start measured.
WORKER_HEALTHCHECK_SECONDS = 20


def balances_connections(workers: int, port: int) -> bool:
    """Whether per-worker ``SO_REUSEPORT`` sockets spread connections here."""
    return workers > 1 and port != 0 and sys.platform == "linux"


def reuse_port_socket(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A TCP socket bound to ``address`` in the address's ``SO_REUSEPORT`` group.

    ``proto`` is set to TCP so that asyncio switches Nagle off on accepted connections; a
    worker that cannot bind exits with uvicorn's start-up failure code, which stops the
    supervisor instead of restarting the worker forever."""
    sock = _WorkerListener(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        _cannot_listen(address, exc)
    return sock


def parent_socket(family: int, address: tuple[Any, ...]) -> socket.socket:
    """The parent's socket: first a plain bind proves that nothing listens on ``address`` (a
    ``SO_REUSEPORT`` bind alone would join another server's group), then the group's first
    socket."""
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            _cannot_listen(address, exc)
    return reuse_port_socket(family, address)


def _cannot_listen(address: tuple[Any, ...], exc: OSError) -> NoReturn:
    logger.error("cannot listen on %s port %s: %s", address[0], address[1], exc)
    sys.exit(STARTUP_FAILURE)


class _WorkerListener(socket.socket):
    """A ``SO_REUSEPORT`` socket that, sent to a worker process, becomes a new socket of the
    same group there instead of a copy of this one."""

    def __reduce__(self) -> tuple[Any, ...]:
        return reuse_port_socket, (self.family, self.getsockname())


class _ReusePortConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        family = socket.AF_INET6 if self.host and ":" in self.host else socket.AF_INET
        sock = parent_socket(family, (self.host, self.port))
        logger.info("listening on %s port %d, one socket per worker", self.host, self.port)
        return sock


def run(app: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the ASGI factory at import path ``app`` with ``workers`` processes."""
    if not balances_connections(workers, port):
        uvicorn.run(
            app,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
        return
    config = _ReusePortConfig(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    listener = config.bind_socket()  # bound in the parent so a taken port fails here, at once
    supervisor = Multiprocess(config, sockets=[listener])
    try:
        supervisor.run()
    finally:
        listener.close()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        sys.exit(STARTUP_FAILURE)  # a worker could not start: say so, as one worker would
