"""Portfolio aging per ledger version, and what four portfolio loops do to limit checks.

Issue #12 item 10: ``GET /v1/portfolio/aging`` read and aged the whole ledger on every call, and
four callers looping on it raised the limit checks' p99 from 14 to 306 ms. This bench runs a
real ``arscore serve`` (2 workers) three times on the same synthetic ledger, in one run:

- ``no cache``: ``portfolio_cache_entries=0`` and no call limit (the code before the change),
- ``cache``: the per-version cache, no call limit,
- ``cache+limit``: the defaults (cache, 60 heavy calls a minute per caller, burst 10),

and prints for each: portfolio aging per call (the first call after a write, which reads the
ledger, and calls served from the cache), and limit-check latency from one closed loop, alone
and while four loops (one caller) call the portfolio aging as fast as they are answered.

    .venv/bin/python bench/portfolio.py                  # SQLite, 1,500 customers
    .venv/bin/python bench/portfolio.py --database-url postgresql://postgres@127.0.0.1:5432/x

No models are trained: neither endpoint calls one. The machine's 2 cores are shared by the
server, the client loops and other work: figures are noisy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
sys.path = [p for p in sys.path if Path(p).resolve() != Path(__file__).parent.resolve()]

from ledger.storage import make_engine, upgrade, write_ledger  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from serving.auth import create_token  # noqa: E402

HERE = Path(__file__).resolve().parent


def _live():
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("live_server", HERE / "live_server.py")
    module = module_from_spec(spec)
    sys.modules["live_server"] = module
    spec.loader.exec_module(module)
    return module


live = _live()

CONFIGS = {
    "no cache": {"serving__portfolio_cache_entries": 0, "serving__heavy_calls_per_minute": 0},
    "cache": {"serving__heavy_calls_per_minute": 0},
    "cache+limit": {},
}


def prepare(home: Path, customers: int, database_url: str | None) -> tuple[str, list[str]]:
    database_url = database_url or f"sqlite:///{(home / 'arscore.db').as_posix()}"
    engine = make_engine(database_url)
    upgrade(engine)
    ledger = generate(SynthConfig(customers=customers, months=36, seed=1)).ledger
    write_ledger(engine, ledger)
    engine.dispose()
    return database_url, ledger.customers["customer_id"].tolist()


def tokens(database_url: str, suffix: str) -> tuple[str, str, str]:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        sales = create_token(connection, f"bench-sales-{suffix}", "sales")
        reporting = create_token(connection, f"bench-reporting-{suffix}", "credit_officer")
        admin = create_token(connection, f"bench-admin-{suffix}", "risk_admin")
    engine.dispose()
    return sales, reporting, admin


def timed_get(port: int, path: str, token: str) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def write_one_invoice(port: int, admin: str, customer: str, n: int) -> None:
    """A one-row upload: a new ledger version, so every worker's next answer is computed."""
    invoice = {
        "invoice_id": f"BENCH-PF-{time.time_ns()}-{n}",
        "customer_id": customer,
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
        "amount": 100.0,
        "currency": "EUR",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST",
        "/v1/ledger/invoices",
        body=json.dumps({"records": [invoice]}),
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"the upload answered {response.status}")


def per_call(port: int, reporting: str, admin: str, customer: str, rounds: int):
    """Seconds per portfolio call: right after a write (each worker computes; new connections
    spread over both) and from the cache (the next calls)."""
    after_write, cached = [], []
    for n in range(rounds):
        write_one_invoice(port, admin, customer, n)
        # Four fresh connections: both workers see the new version (SO_REUSEPORT hashing).
        firsts = [timed_get(port, "/v1/portfolio/aging", reporting) for _ in range(4)]
        after_write.append(max(s for _, s in firsts))
        for _ in range(5):
            status, seconds = timed_get(port, "/v1/portfolio/aging", reporting)
            assert status == 200, status
            cached.append(seconds)
    return statistics.median(after_write), statistics.median(cached)


def limit_latency(port: int, sales: str, customers: list[str], seconds: float, loops: int, token):
    """Limit-check p50/p99 (ms) of one closed loop while ``loops`` portfolio loops run."""
    stop = threading.Event()
    limit_tally, portfolio_tally = live.Tally(), live.Tally()

    def limit_call(i: int):
        body = {"customer_id": customers[i % len(customers)], "amount": 1000}
        return live.Call("POST", "/v1/limit-checks", body, sales, decision=True)

    def portfolio_call(i: int):
        return live.Call("GET", "/v1/portfolio/aging", None, token)

    threads = [live.Loop(port, limit_call, limit_tally, stop)]
    threads += [live.Loop(port, portfolio_call, portfolio_tally, stop) for _ in range(loops)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=300)
    latencies = [s * 1000 for s in limit_tally.latencies.get("/v1/limit-checks", [])]
    return (
        live.percentile(latencies, 50),
        live.percentile(latencies, 99),
        len(latencies),
        dict(portfolio_tally.statuses),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--duration", type=float, default=20, help="seconds per load phase")
    parser.add_argument("--rounds", type=int, default=3, help="writes per per-call figure")
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="arscore-bench-portfolio-"))
    database_url, customers = prepare(home, args.customers, args.database_url)
    sample = customers[:: max(1, len(customers) // 200)][:200]
    kind = database_url.split(":")[0]
    print(f"{len(customers):,} customers, {kind}; {args.duration:g} s a phase")
    header = (
        f"{'config':<12}{'cold s':>8}{'cached ms':>11}"
        f"{'limit p50/p99 alone ms':>24}{'with 4 loops ms':>17}{'portfolio answers':>28}"
    )
    print(header)
    for name, settings in CONFIGS.items():
        sales, reporting, admin = tokens(database_url, f"{name.replace(' ', '-')}-{time.time_ns()}")
        server = live.Server(home, database_url, **settings)
        try:
            # Under the call limit, the per-call figures would time 429s: they are the cache's.
            cold = cached = float("nan")
            if "serving__heavy_calls_per_minute" in settings:
                cold, cached = per_call(server.port, reporting, admin, customers[0], args.rounds)
            alone = limit_latency(server.port, sales, sample, args.duration, 0, reporting)
            loaded = limit_latency(server.port, sales, sample, args.duration, 4, reporting)
        finally:
            server.stop()
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(loaded[3].items()))
        print(
            f"{name:<12}{cold:>8.2f}{cached * 1000:>11.1f}"
            f"{alone[0]:>12.1f}/{alone[1]:<11.1f}{loaded[0]:>8.1f}/{loaded[1]:<8.1f}"
            f"{answers:>28}",
            flush=True,
        )
    print(f"work directory: {home}")


if __name__ == "__main__":
    main()
