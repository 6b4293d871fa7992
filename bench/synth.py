"""Benchmark of the synthetic ledger generator: invoices per second for generation alone, and
for generation plus writing CSV and Parquet.

    .venv/bin/python bench/synth.py --customers 100000 --months 24

Figures depend on the machine and on whatever else runs on it; run twice before trusting them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ledger.synth import SynthConfig, generate, write


def _size_mb(paths: dict[str, Path]) -> float:
    return sum(p.stat().st_size for p in paths.values()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="folder for the files (temp)")
    args = parser.parse_args()

    config = SynthConfig(customers=args.customers, months=args.months, seed=args.seed)
    started = time.perf_counter()
    result = generate(config)
    gen_s = time.perf_counter() - started
    counts = result.ledger.counts()
    n = counts["invoices"]
    print(
        f"{args.customers:,} customers × {args.months} months: {n:,} invoices, "
        f"{counts['payments']:,} payments, {counts['orders']:,} orders, "
        f"{len(result.truth):,} truth rows"
    )
    print(f"generate            {gen_s:7.2f} s  {n / gen_s:12,.0f} invoices/s")

    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for fmt in ("csv", "parquet"):
            started = time.perf_counter()
            paths = write(result, root / fmt, fmt=fmt)  # type: ignore[arg-type]
            write_s = time.perf_counter() - started
            total = gen_s + write_s
            print(
                f"generate + {fmt:<8} {total:7.2f} s  {n / total:12,.0f} invoices/s  "
                f"(write {write_s:.2f} s, {_size_mb(paths):,.0f} MB)"
            )


if __name__ == "__main__":
    main()
