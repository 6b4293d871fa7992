"""The service under faults: mixed load on a real ``arscore serve`` while things break.

Issue #12: an operator's faults, scripted. For each database (PostgreSQL behind a TCP proxy the
script can cut, like tests/serving/tcp_proxy.py, so the shared server never stops; SQLite where
the fault applies) one ``arscore serve --workers 2`` takes a closed-loop mixed load - limit
checks (sales), scores (credit officer), customer and portfolio aging - through four scenarios:

- ``outage`` (PostgreSQL): the proxy cuts every database connection and refuses new ones for a
  while, then lets them through again;
- ``kill``: one worker gets SIGKILL; uvicorn's supervisor starts another;
- ``ingest``: ``arscore ingest`` re-loads the whole ledger while the load runs;
- ``sigterm``: the supervisor gets SIGTERM under load and shuts down gracefully.

Every decision call (limit check, score) carries an ``Idempotency-Key`` and is sent again with
the same key after a connection error, as a careful client does. Printed per scenario:
requests sent and answered, answers by status class, 5xx other than the outage's 503s,
connection errors, and the decisions answered 200 against those recorded in the audit table:
``lost`` (answered 200, no audit row) must be 0; ``cut off`` (recorded, the answer never
arrived: the client's retry with the same key would get it) is reported too.

    .venv/bin/python bench/faults.py                        # both databases, 20 s a scenario
    .venv/bin/python bench/faults.py --databases sqlite --duration 10

No models are trained (scores come from the policy's expert scorecard, the same route, audit
and database path). The 2 shared cores run the server, the load and the ingest: latencies are
noisy; the counts are the point.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p).resolve() != HERE]

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from ledger import tables  # noqa: E402
from ledger.storage import make_engine, upgrade, write_ledger  # noqa: E402
from ledger.synth import SynthConfig, generate, write  # noqa: E402
from serving.auth import create_token  # noqa: E402


def _load(name: str, path: Path):
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location(name, path)
    module = module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


live = _load("live_server", HERE / "live_server.py")
TcpProxy = _load("tcp_proxy", HERE.parent / "tests" / "serving" / "tcp_proxy.py").TcpProxy

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
AS_OF = "2026-10-31"
LIMIT_LOOPS, SCORE_LOOPS, AGING_LOOPS = 3, 2, 1


class Book:
    """A database holding the synthetic ledger, its files for ``arscore ingest``, and tokens."""

    def __init__(self, kind: str, home: Path, customers: int, pg_url: str) -> None:
        self.kind, self.home = kind, home
        self.schema: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{(home / 'arscore.db').as_posix()}"
        else:
            self.schema = f"arscore_faults_{uuid.uuid4().hex[:10]}"
            with create_engine(pg_url).begin() as connection:
                connection.execute(text(f'create schema "{self.schema}"'))
            separator = "&" if "?" in pg_url else "?"
            self.url = f"{pg_url}{separator}options=-csearch_path%3D{self.schema}"
        self._pg_url = pg_url
        result = generate(SynthConfig(customers=customers, months=36, seed=3))
        self.files = home / "ledger"
        write(result, self.files)
        engine = make_engine(self.url)
        upgrade(engine)
        write_ledger(engine, result.ledger)
        stamp = uuid.uuid4().hex[:6]
        with engine.begin() as connection:
            self.sales = create_token(connection, f"faults-sales-{stamp}", "sales")
            self.officer = create_token(connection, f"faults-officer-{stamp}", "credit_officer")
        self.callers = (f"faults-sales-{stamp}", f"faults-officer-{stamp}")
        engine.dispose()
        self.customers = result.ledger.customers["customer_id"].tolist()[:200]

    def recorded_keys(self) -> set[str]:
        """Idempotency keys of the bench callers' decisions in the audit table."""
        engine = make_engine(self.url)
        d = tables.decisions
        with engine.connect() as connection:
            keys = connection.execute(
                select(d.c.idempotency_key).where(d.c.caller_name.in_(self.callers))
            ).scalars()
            found = {k for k in keys if k}
        engine.dispose()
        return found

    def drop(self) -> None:
        if self.schema is not None:
            with create_engine(self._pg_url).begin() as connection:
                connection.execute(text(f'drop schema "{self.schema}" cascade'))


def _calls(book: Book) -> list[Callable[[int], object]]:
    """One call function per loop: limit checks, scores, aging (every 10th the portfolio's)."""
    ids = book.customers

    def limit(i: int):
        body = {"customer_id": ids[i % len(ids)], "amount": 1000 + i % 7}
        return live.Call("POST", "/v1/limit-checks", body, book.sales, decision=True)

    def score(i: int):
        body = {"customer_id": ids[(i * 7) % len(ids)], "as_of": AS_OF}
        return live.Call("POST", "/v1/scores", body, book.officer, decision=True)

    def aging(i: int):
        if i % 10 == 0:
            return live.Call("GET", "/v1/portfolio/aging", None, book.officer)
        customer = ids[(i * 3) % len(ids)]
        path = f"/v1/customers/{customer}/aging"
        return live.Call("GET", path, None, book.officer, name="customer aging")

    return [limit] * LIMIT_LOOPS + [score] * SCORE_LOOPS + [aging] * AGING_LOOPS


class Load:
    """The mixed load on ``server`` until :meth:`finish`; one tally per scenario."""

    def __init__(self, server, book: Book) -> None:
        self.tally = live.Tally()
        self.stop = threading.Event()
        self.loops = [
            live.Loop(server.port, calls, self.tally, self.stop, timeout=60)
            for calls in _calls(book)
        ]
        for loop in self.loops:
            loop.start()

    def finish(self) -> None:
        self.stop.set()
        for loop in self.loops:
            loop.join(timeout=120)


def _wait_workers(server, count: int, seconds: float = 120) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) == count:
            return pids
        time.sleep(0.2)
    raise RuntimeError(f"expected {count} workers, found {server.worker_pids()}")


def scenario_outage(server, book: Book, proxy, duration: float) -> str:
    load = Load(server, book)
    time.sleep(duration / 3)
    load.tally.outage.set()
    proxy.cut()
    time.sleep(duration / 3)
    proxy.restore()
    time.sleep(2.0)  # answers already under way when the database came back
    load.tally.outage.clear()
    time.sleep(duration / 3)
    load.finish()
    scenario_outage.tally = load.tally  # type: ignore[attr-defined]
    return f"database cut for {duration / 3:.0f} s"


def scenario_kill(server, book: Book, proxy, duration: float) -> str:
    before = _wait_workers(server, 2)
    load = Load(server, book)
    time.sleep(duration / 3)
    victim = before[0]
    subprocess.run(["kill", "-KILL", str(victim)], check=True)
    killed_at = time.monotonic()
    after = _wait_workers(server, 2)
    while victim in after:
        after = _wait_workers(server, 2)
    restarted = time.monotonic() - killed_at
    time.sleep(max(0.0, 2 * duration / 3 - restarted))
    load.finish()
    scenario_kill.tally = load.tally  # type: ignore[attr-defined]
    return f"worker {victim} killed; a new worker in {restarted:.1f} s"


def scenario_ingest(server, book: Book, proxy, duration: float) -> str:
    load = Load(server, book)
    time.sleep(duration / 3)
    started = time.monotonic()
    done = subprocess.run(
        [live.ARSCORE, "ingest", str(book.files)],
        env={**server.env, "ARSCORE_DATABASE_URL": book.url},
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.monotonic() - started
    time.sleep(duration / 3)
    load.finish()
    scenario_ingest.tally = load.tally  # type: ignore[attr-defined]
    if done.returncode != 0:
        return f"ingest FAILED ({done.returncode}): {done.stderr.strip()[-300:]}"
    return f"re-ingest of the whole ledger took {took:.1f} s"


def scenario_sigterm(server, book: Book, proxy, duration: float) -> str:
    load = Load(server, book)
    time.sleep(duration / 2)
    started = time.monotonic()
    load.tally.stopping.set()
    code = server.stop(signal.SIGTERM, timeout=60)
    took = time.monotonic() - started
    time.sleep(1.0)  # the loops now meet a closed port
    load.finish()
    scenario_sigterm.tally = load.tally  # type: ignore[attr-defined]
    refused = load.tally.refused_after_stop
    return f"SIGTERM: exit code {code} after {took:.1f} s; {refused} refused after SIGTERM"


SCENARIOS = {
    "outage": scenario_outage,
    "kill": scenario_kill,
    "ingest": scenario_ingest,
    "sigterm": scenario_sigterm,
}


def report(kind: str, name: str, note: str, tally, book: Book) -> bool:
    recorded_all = book.recorded_keys()
    recorded = recorded_all & tally.attempted
    lost = tally.decided - recorded_all
    cut_off = recorded - tally.decided
    classes = tally.by_class()
    shown = " ".join(f"{k}:{v}" for k, v in classes.items())
    five = tally.statuses
    outage_503 = five.get(503, 0) if name == "outage" else 0
    print(
        f"{kind:<11}{name:<9}{tally.sent:>7}{tally.answered:>9}  {shown:<26}"
        f"{tally.unexpected_5xx:>6}{outage_503:>6}{tally.connection_errors:>7}{tally.retried:>7}"
        f"{len(tally.decided):>8}{len(recorded):>9}{len(lost):>6}{len(cut_off):>8}"
        f"{tally.unanswered:>7}   {note}",
        flush=True,
    )
    return tally.unexpected_5xx == 0 and not lost


def run_database(kind: str, args: argparse.Namespace) -> bool:
    home = Path(tempfile.mkdtemp(prefix=f"arscore-faults-{kind}-"))
    book = Book(kind, home, args.customers, args.pg_url)
    proxy = None
    url = book.url
    if kind == "postgresql":
        target = make_url(args.pg_url)
        proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
        proxy.restore()
        url = make_url(book.url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    ok = True
    server = live.Server(home, url, workers=2)
    try:
        for name in args.scenarios:
            scenario = SCENARIOS[name]
            if name == "outage" and proxy is None:
                continue
            if server.process.poll() is not None:
                break
            before = set(_wait_workers(server, 2))
            note = scenario(server, book, proxy, args.duration)
            if server.process.poll() is None:
                restarted = len(before - set(server.worker_pids()))
                note += f"; workers replaced: {restarted}"
            ok &= report(kind, name, note, scenario.tally, book)
    finally:
        server.stop()
        if args.show_log:
            print(server.log())
        if proxy is not None:
            proxy.cut()
        book.drop()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--duration", type=float, default=20, help="seconds per scenario")
    parser.add_argument("--pg-url", default=POSTGRES_URL)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--show-log", action="store_true", help="print the server's log tail")
    args = parser.parse_args()
    print(
        f"{'database':<11}{'fault':<9}{'sent':>7}{'answered':>9}  {'by class':<26}"
        f"{'5xx!':>6}{'503':>6}{'conn':>7}{'retry':>7}{'200 dec':>8}{'recorded':>9}"
        f"{'lost':>6}{'cut off':>8}{'unans':>7}"
    )
    # Every database runs, even after one failed.
    results = [run_database(kind, args) for kind in args.databases]
    print(
        "5xx!: 5xx other than 503 while the database was cut; 503: all 503s of the outage; "
        "conn: connection errors; retry: decision calls sent again with their key; "
        "200 dec: decisions answered 200; recorded: in the audit table; lost: answered, "
        "not recorded; cut off: recorded, answer never arrived; unans: given up at the end"
    )
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
