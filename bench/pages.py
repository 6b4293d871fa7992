"""Customer-page latency against the JSON score endpoint, in the same run, on the demo book.

1. Uses ``--home`` as ``ARSCORE_HOME``; when it holds no database yet, runs ``arscore demo``
   there first (5,000 customers × 36 months, models trained and registered).
2. Starts the service as in production (``arscore serve``, 2 uvicorn workers), creates a user
   and an API token, and signs in through the sign-in form like a browser.
3. Requests, one at a time and interleaved so both see the same machine load,
   ``GET /app/customers/{id}`` (the whole page: score, open invoices with late-payment
   probabilities, payment history, limit history, charts) and ``POST /v1/scores`` for the same
   customers, after a warm-up; prints p50 and p95 of each and their ratio.

    .venv/bin/python bench/pages.py --home /tmp/arscore-demo          # 300 customers each way

Target: customer page p50 ≤ 60 ms. Both pages and scores record a decision in the audit trail.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ARSCORE = str(Path(sys.executable).with_name("arscore"))


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARSCORE_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {**env, "ARSCORE_HOME": str(home)}


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [ARSCORE, *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [ARSCORE, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError("arscore serve did not become ready")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/arscore-demo"))
    parser.add_argument("--requests", type=int, default=300, help="requests each way")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--port", type=int, default=8741)
    args = parser.parse_args()
    env = _env(args.home)
    if not (args.home / "arscore.db").exists():
        print(f"No database in {args.home}: running `arscore demo` (builds and trains)…")
        _run(["demo"], env)
    stamp = secrets.token_hex(4)
    user, password = f"bench-{stamp}", secrets.token_urlsafe(16)
    _run(["user", "create", user, "--role", "credit_officer", "--password-stdin"], env, password)
    token = _run(["token", "create", "--role", "credit_officer", "--name", f"bench-{stamp}"], env)
    token = re.search(r"ars_\S+", token).group(0)  # type: ignore[union-attr]
    process = _start(env, args.port)
    url = f"http://127.0.0.1:{args.port}"
    try:
        with (
            httpx.Client(base_url=url, timeout=600, follow_redirects=True) as page,
            httpx.Client(
                base_url=url, timeout=600, headers={"Authorization": f"Bearer {token}"}
            ) as api,
        ):
            form = page.get("/app/sign-in").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            signed = page.post(
                "/app/sign-in", data={"username": user, "password": password, "csrf_token": csrf}
            )
            assert signed.status_code == 200, signed.text[:500]
            listing = page.get("/app/customers?sort=name&order=asc").text
            ids = re.findall(r'href="/app/customers/([^"?]+)"', listing)
            assert ids, "no customers listed"
            timings: dict[str, list[float]] = {"page": [], "score": []}
            for n in range(args.warmup + args.requests):
                customer = ids[n % len(ids)]
                start = time.perf_counter()
                response = page.get(f"/app/customers/{customer}")
                page_ms = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, response.text[:500]
                start = time.perf_counter()
                response = api.post("/v1/scores", json={"customer_id": customer})
                score_ms = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, response.text[:500]
                if n >= args.warmup:
                    timings["page"].append(page_ms)
                    timings["score"].append(score_ms)
    finally:
        process.terminate()
        process.wait(timeout=600)
    p = {k: (statistics.median(v), _percentile(v, 95)) for k, v in timings.items()}
    print(f"{args.requests} requests each, one at a time, interleaved, 2 workers, {url}")
    print(f"GET /app/customers/{{id}}  p50 {p['page'][0]:6.1f} ms  p95 {p['page'][1]:6.1f} ms")
    print(f"POST /v1/scores           p50 {p['score'][0]:6.1f} ms  p95 {p['score'][1]:6.1f} ms")
    print(f"page / score p50 ratio {p['page'][0] / p['score'][0]:.2f}; target page p50 <= 60 ms")


if __name__ == "__main__":
    main()
