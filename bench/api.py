"""API latency and throughput next to the in-process cost of the same work, and rescoring speed.

1. Builds a synthetic ledger in SQLite and trains the champions (skipped with ``--reuse`` when
   the work directory already holds them).
2. Starts the service as documented for production (``arscore serve``: uvicorn, 2 workers) and
   drives ``POST /v1/scores`` and ``POST /v1/limit-checks`` with wrk (Debian package ``wrk``)
   on loopback at concurrency 1 and 8, cycling over the same customers.
3. Measures in-process, in the same run, what one score costs without HTTP (load the customer's
   ledger, features, predict, explain, limit) for the same customers.
4. Rescores a large synthetic book with the rescoring code (results stored in SQLite) and
   reports customers/s including explanations.

    .venv/bin/python bench/api.py                                  # 1,500 + 100,000 customers
    .venv/bin/python bench/api.py --rescore-customers 20000 --duration 5

The machine's 2 cores are shared with wrk and with other work: figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
sys.path = [p for p in sys.path if Path(p).resolve() != Path(__file__).parent.resolve()]

from arscore.policy import Policy, load_policy  # noqa: E402
from features.registry import FEATURES, render_value  # noqa: E402
from ledger.storage import load_ledger, make_engine, upgrade, write_ledger  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from models.reasons import texts_from_registry  # noqa: E402
from models.scoring.common import ScoringPolicy  # noqa: E402
from models.scoring.customers import score_customers  # noqa: E402
from serving.auth import create_token  # noqa: E402
from serving.config import ServingConfig  # noqa: E402
from serving.heap import freeze_long_lived  # noqa: E402
from serving.limit_check import check_position, read_position  # noqa: E402
from serving.model_store import ModelStore  # noqa: E402
from serving.rescore import rescore  # noqa: E402

AS_OF = "2026-10-31"
REFER_DAYS = ServingConfig().refer_days_overdue
LUA = """
local ids = {%s}
local i = 0
request = function()
  i = i + 1
  local body = string.format('%s', ids[(i %% #ids) + 1])
  return wrk.format("POST", "%s", {["Content-Type"]="application/json",
    ["Authorization"]="Bearer %s"}, body)
end
"""


def prepare(
    home: Path, customers: int, reuse: bool, database_url: str | None
) -> tuple[str, str, Policy]:
    """The ledger database (SQLite under ``home`` unless ``database_url`` names an empty
    database, e.g. PostgreSQL) and a trained registry under ``home``."""
    database_url = database_url or f"sqlite:///{(home / 'arscore.db').as_posix()}"
    tracking_uri = f"sqlite:///{(home / 'mlflow.db').as_posix()}"
    policy = load_policy(None)
    if reuse and (home / "mlflow.db").exists():
        return database_url, tracking_uri, policy
    from training.pipeline import train_ledger_models

    ledger = generate(SynthConfig(customers=customers, months=36, seed=1)).ledger
    engine = make_engine(database_url)
    upgrade(engine)
    write_ledger(engine, ledger)
    print(f"training on {customers:,} customers …", flush=True)
    train_ledger_models(
        ledger,
        rules=policy,
        training=policy.training,
        scale=policy.master_scale,
        tracking_uri=tracking_uri,
        promote=True,
        tasks=("default_pd", "late_payment", "days_late"),
    )
    return database_url, tracking_uri, policy


def start_server(home: Path, database_url: str, tracking_uri: str, port: int):
    env = {
        **os.environ,
        "ARSCORE_HOME": str(home),
        "ARSCORE_DATABASE_URL": database_url,
        "ARSCORE_MLFLOW_TRACKING_URI": tracking_uri,
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="arscore-bench-metrics-"),
    }
    arscore = Path(sys.executable).with_name("arscore")
    process = subprocess.Popen(
        [str(arscore), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the service did not become ready: {process.stderr.read().decode()}")


def wrk(url: str, path: str, token: str, bodies: list[str], connections: int, seconds: int):
    """p50, p99 (ms) and requests/s from wrk at ``connections`` concurrent connections."""
    quoted = ",".join(json.dumps(b) for b in bodies)
    script = LUA % (quoted, "%s", path, token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            f.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if m is None:
            raise RuntimeError(f"cannot read the {label}th percentile from wrk:\n{out}")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} failed requests:\n{out}")
    return ms("50"), ms("99"), rps


def _scorer(database_url: str, tracking_uri: str, policy: Policy):
    """What one in-process score does without HTTP: the customer's ledger, features, predict,
    explain, limit - the endpoint's work besides auth, JSON and the audit record."""
    engine = make_engine(database_url)
    store = ModelStore(ServingConfig(), tracking_uri)
    store.reload()
    models = store.current.scoring()
    scoring = ScoringPolicy.from_policy(policy)
    texts = texts_from_registry(FEATURES, render_value)

    def score(customer_id: str) -> None:
        ledger = load_ledger(engine, customer_ids=[customer_id])
        score_customers(ledger, AS_OF, models, scoring, customer_ids=[customer_id], texts=texts)

    return score


def in_process(database_url: str, tracking_uri: str, policy: Policy, ids: list[str]) -> float:
    """Median ms of one in-process score."""
    score = _scorer(database_url, tracking_uri, policy)
    timings = []
    for customer_id in ids * 2:
        started = time.perf_counter()
        score(customer_id)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[len(ids) :])


def _score_for(seconds, database_url, tracking_uri, policy, ids, start, results) -> None:
    """One process of :func:`in_process_throughput`: scores/s over ``seconds``."""
    score = _scorer(database_url, tracking_uri, policy)
    for customer_id in ids:  # warm, as the server is warmed
        score(customer_id)
    freeze_long_lived()  # as each server worker does once its models are loaded
    start.wait(timeout=600)
    begun, done = time.perf_counter(), 0
    while time.perf_counter() - begun < seconds:
        score(ids[done % len(ids)])
        done += 1
    results.put(done / (time.perf_counter() - begun))


def in_process_throughput(
    database_url: str, tracking_uri: str, policy: Policy, ids: list[str], seconds: int
) -> float:
    """Scores/s two cores give in-process: two processes scoring side by side, as the two
    workers do, each as fast as it can."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    args = (seconds, database_url, tracking_uri, policy, ids, start, results)
    processes = [context.Process(target=_score_for, args=args) for _ in range(2)]
    for process in processes:
        process.start()
    try:
        rates = [results.get(timeout=600 + seconds) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.exitcode != 0:
                process.kill()
    if any(process.exitcode != 0 for process in processes):
        raise RuntimeError("an in-process scoring process failed; see its traceback above")
    return sum(rates)


def limit_in_process(database_url: str, policy: Policy, ids: list[str]) -> float:
    """Median ms of one limit check without HTTP or audit record: the one-query position and
    the rules."""
    engine = make_engine(database_url)
    day = date.fromisoformat(AS_OF)
    timings = []
    with engine.connect() as connection:
        for customer_id in ids * 2:
            started = time.perf_counter()
            position = read_position(connection, customer_id, day, policy, REFER_DAYS)
            check_position(position, customer_id, 1000.0, day, policy)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[len(ids) :])


def rescoring(tracking_uri: str, policy: Policy, customers: int, home: Path) -> float:
    """Customers/s of the rescoring code (explanations included, results stored)."""
    print(f"generating {customers:,} customers for rescoring …", flush=True)
    ledger = generate(SynthConfig(customers=customers, months=24, seed=2)).ledger
    engine = make_engine(f"sqlite:///{(home / 'rescore.db').as_posix()}")
    upgrade(engine)
    store = ModelStore(ServingConfig(), tracking_uri)
    store.reload()
    started = time.perf_counter()
    rescore(
        engine,
        ledger,
        AS_OF,
        store.current.scoring(),
        ScoringPolicy.from_policy(policy),
        texts=texts_from_registry(FEATURES, render_value),
    )
    return customers / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1500, help="API ledger size")
    parser.add_argument("--rescore-customers", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--home", type=Path, default=None, help="work directory (kept)")
    parser.add_argument("--reuse", action="store_true", help="reuse a trained --home")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty database for the ledger and audit trail, e.g. "
        "postgresql://postgres@127.0.0.1/arscore_bench (default: SQLite under --home)",
    )
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="arscore-bench-api-"))
    home.mkdir(parents=True, exist_ok=True)
    database_url, tracking_uri, policy = prepare(
        home, args.customers, args.reuse, args.database_url
    )
    engine = make_engine(database_url)
    suffix = str(int(time.time()))
    with engine.begin() as connection:
        officer = create_token(connection, f"bench-officer-{suffix}", "credit_officer")
        sales = create_token(connection, f"bench-sales-{suffix}", "sales")
        ids = [r[0] for r in connection.exec_driver_sql("select customer_id from customers")]
    sample = ids[:: max(1, len(ids) // 200)][:200]
    cost = in_process(database_url, tracking_uri, policy, sample)
    print(f"in-process score (ledger read + features + predict + explain): p50 {cost:.1f} ms")
    two_cores = in_process_throughput(database_url, tracking_uri, policy, sample, args.duration)
    print(
        f"  two cores in-process (two processes side by side): {two_cores:,.0f} scores/s "
        f"(2 / p50 would say {2000 / cost:,.0f})"
    )
    limit_cost = limit_in_process(database_url, policy, sample)
    print(f"in-process limit check (one query + rules, no audit): p50 {limit_cost:.2f} ms")
    server = start_server(home, database_url, tracking_uri, args.port)
    url = f"http://127.0.0.1:{args.port}"
    try:
        score_bodies = [json.dumps({"customer_id": c, "as_of": AS_OF}) for c in sample]
        limit_bodies = [json.dumps({"customer_id": c, "amount": 1000}) for c in sample]
        print(f"{'endpoint':<18}{'conc':>5}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
        measured = {}
        for path, token, bodies in (
            ("/v1/scores", officer, score_bodies),
            ("/v1/limit-checks", sales, limit_bodies),
        ):
            wrk(url, path, token, bodies, 8, 2)  # warm-up, not reported
            for connections in (1, 8):
                p50, p99, rps = wrk(url, path, token, bodies, connections, args.duration)
                measured[path, connections] = p50, rps
                print(f"{path:<18}{connections:>5}{p50:>9.1f}{p99:>9.1f}{rps:>9.0f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    score_p50, score_rps = measured["/v1/scores", 1][0], measured["/v1/scores", 8][1]
    limit_p50, limit_rps = measured["/v1/limit-checks", 1][0], measured["/v1/limit-checks", 8][1]
    print("targets (2 cores):")
    print(f"  score p50 / in-process p50   {score_p50 / cost:5.2f} x   (<= 1.5)")
    print(f"  score req/s / two cores      {score_rps / two_cores:5.0%}     (>= 80%)")
    print(f"  limit check p50              {limit_p50:5.1f} ms  (<= 3)")
    print(f"  limit checks/s               {limit_rps:5,.0f}     (>= 1,000)")
    if args.rescore_customers:
        speed = rescoring(tracking_uri, policy, args.rescore_customers, home)
        print(f"rescoring {args.rescore_customers:,} customers: {speed:,.0f} customers/s")
    print(f"work directory: {home} (2 shared cores: figures are noisy)")


if __name__ == "__main__":
    main()
