"""Benchmark of the customer-feature builder on a synthetic ledger.

Prints:
  * batch throughput (invoice rows/s) of ``build_customer_features`` end to end, split into the
    one-off preparation (ids hashed, dates to day numbers, settlement days) and the per-date
    build that snapshots and rescoring repeat on a prepared ledger;
  * single-customer latency (median, p99) through the API's path: ``load_ledger`` of one
    customer from a SQLite database, then ``build_customer_features``;
  * with ``--compare-engines``, one representative per-customer aggregation done by numpy
    (the engine used), DuckDB, polars and pandas on the same arrays, batch and one customer.

    .venv/bin/python bench/features.py                      # >= 5 M invoices
    .venv/bin/python bench/features.py --customers 2000 --months 24 --db-customers 500  # quick

Timings are wall clock on whatever else the machine is doing: repeat, and read medians.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder leads sys.path and the file's name would shadow the
# `features` package: drop the folder before importing anything from the project.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from features.customer import build_customer_features, customer_features_at  # noqa: E402
from features.ledger_arrays import LedgerArrays, to_day  # noqa: E402
from ledger.storage import load_ledger, make_engine, upgrade, write_ledger  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402

OUT = Path(__file__).parent / "out"


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    return seconds


def _rate(rows: int, seconds: list[float]) -> str:
    best, median = min(seconds), statistics.median(seconds)
    return (
        f"median {median:7.3f} s = {rows / median / 1e6:5.2f} M rows/s "
        f"(best {best:.3f} s = {rows / best / 1e6:5.2f} M rows/s)"
    )


def bench_batch(ledger, as_of: pd.Timestamp, repeat: int) -> LedgerArrays:
    rows = len(ledger.invoices)
    print(f"\nBatch, {rows:,} invoices, {len(ledger.customers):,} customers, as of {as_of.date()}")
    prepare = _timed(lambda: LedgerArrays.from_ledger(ledger), repeat)
    arrays = LedgerArrays.from_ledger(ledger)
    per_date = _timed(lambda: customer_features_at(arrays, as_of), repeat)
    end_to_end = _timed(lambda: build_customer_features(ledger, as_of), repeat)
    print(f"  one-off preparation        {_rate(rows, prepare)}")
    print(f"  per-date build (prepared)  {_rate(rows, per_date)}")
    print(f"  end to end (both)          {_rate(rows, end_to_end)}")
    dates = pd.date_range(end=as_of, periods=12, freq="MS")
    snapshots = _timed(lambda: [customer_features_at(arrays, d) for d in dates], 1)[0]
    print(
        f"  12 monthly snapshots on one prepared ledger: {snapshots:.2f} s "
        f"({snapshots / 12:.3f} s per date)"
    )
    return arrays


def bench_single(ledger, as_of: pd.Timestamp, db_customers: int, samples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = ledger.customers["customer_id"].to_numpy()
    chosen = rng.choice(ids, size=min(db_customers, len(ids)), replace=False)
    sub = ledger.for_customers(chosen)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "bench_features.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    upgrade(engine)
    started = time.perf_counter()
    write_ledger(engine, sub)
    print(
        f"\nSingle customer (SQLite {path.name}: {len(sub.customers):,} customers, "
        f"{len(sub.invoices):,} invoices, {len(sub.payments):,} payments; "
        f"written in {time.perf_counter() - started:.1f} s)"
    )
    probe = rng.choice(chosen, size=samples, replace=True)
    load_ledger(engine, [probe[0]])  # warm the connection pool
    read_s, build_s, total_s, invoices = [], [], [], []
    for customer_id in probe:
        started = time.perf_counter()
        one = load_ledger(engine, [customer_id])
        loaded = time.perf_counter()
        build_customer_features(one, as_of)
        done = time.perf_counter()
        read_s.append(loaded - started)
        build_s.append(done - loaded)
        total_s.append(done - started)
        invoices.append(len(one.invoices))

    def ms(values: list[float]) -> str:
        p50, p99 = np.percentile(values, [50, 99]) * 1e3
        return f"p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"

    print(f"  {samples} customers, median {int(np.median(invoices))} invoices each")
    print(f"  database read (load_ledger)   {ms(read_s)}")
    print(f"  features (build_customer_features) {ms(build_s)}")
    print(f"  total                         {ms(total_s)}")
    engine.dispose()


def _engine_inputs(arrays: LedgerArrays, t: int) -> dict[str, np.ndarray]:
    return {
        "cust": arrays.inv_cust,
        "day": arrays.inv_day,
        "due": arrays.inv_due,
        "amount": arrays.inv_amount,
        "settle": np.minimum(arrays.inv_settle, 10**9),
        "close": np.minimum(arrays.inv_close, 10**9),
    }


def _numpy_agg(d: dict[str, np.ndarray], t: int, n: int) -> None:
    known = d["day"] <= t
    year = known & (d["day"] > t - 365)
    open_ = known & (d["close"] > t)
    settled = (d["settle"] <= t) & (d["settle"] > t - 365)
    late = np.maximum(d["settle"] - d["due"], 0)
    np.bincount(d["cust"], weights=year.astype(float), minlength=n)
    np.bincount(d["cust"], weights=np.where(year, d["amount"], 0.0), minlength=n)
    np.bincount(d["cust"], weights=np.where(open_, d["amount"], 0.0), minlength=n)
    np.bincount(d["cust"], weights=np.where(settled, late, 0), minlength=n)
    np.bincount(d["cust"], weights=settled.astype(float), minlength=n)
    out = np.zeros(n)
    np.fmax.at(out, d["cust"], np.where(open_, t - d["due"], 0).astype(float))


_SQL = """
select cust,
  count(*) filter (where day > {t} - 365) as n12,
  sum(amount) filter (where day > {t} - 365) as amount12,
  sum(amount) filter (where close > {t}) as open_ar,
  avg(greatest(settle - due, 0)) filter (where settle <= {t} and settle > {t} - 365) as late,
  max(greatest({t} - due, 0)) filter (where close > {t}) as max_overdue
from inv where day <= {t} group by cust
"""


def compare_engines(arrays: LedgerArrays, as_of: pd.Timestamp, repeat: int) -> None:
    """The same five per-customer aggregates in each engine, from the same int arrays."""
    import duckdb
    import polars as pl

    t = to_day(as_of)
    print(
        "\nEngine comparison (count, sum, open AR, mean days late, max days overdue per customer)"
    )
    batch = _engine_inputs(arrays, t)
    one_customer = {k: v[arrays.inv_cust == arrays.inv_cust[0]] for k, v in batch.items()}
    for label, data in (("batch", batch), ("one customer", one_customer)):
        rows = len(data["cust"])
        frame = pd.DataFrame(data)
        polars_frame = pl.DataFrame(data)
        con = duckdb.connect()
        con.register("inv", frame)
        n = arrays.n_customers

        def run_pandas(frame: pd.DataFrame = frame) -> None:
            known = frame[frame["day"] <= t]
            g = known.assign(
                year=known["day"] > t - 365,
                open_=known["close"] > t,
                late=(known["settle"] - known["due"]).clip(lower=0),
            )
            g["amount_year"] = g["amount"].where(g["year"], 0.0)
            g["open_amount"] = g["amount"].where(g["open_"], 0.0)
            g.groupby("cust").agg(
                n12=("year", "sum"), amount12=("amount_year", "sum"), open_ar=("open_amount", "sum")
            )
            settled = g[(g["settle"] <= t) & (g["settle"] > t - 365)]
            settled.groupby("cust")["late"].mean()
            g[g["open_"]].assign(o=lambda x: (t - x["due"]).clip(lower=0)).groupby("cust")[
                "o"
            ].max()

        def run_polars(df: pl.DataFrame = polars_frame) -> None:
            df.filter(pl.col("day") <= t).group_by("cust").agg(
                (pl.col("day") > t - 365).sum().alias("n12"),
                pl.col("amount").filter(pl.col("day") > t - 365).sum().alias("amount12"),
                pl.col("amount").filter(pl.col("close") > t).sum().alias("open_ar"),
                (pl.col("settle") - pl.col("due"))
                .clip(lower_bound=0)
                .filter((pl.col("settle") <= t) & (pl.col("settle") > t - 365))
                .mean()
                .alias("late"),
                (t - pl.col("due")).clip(lower_bound=0).filter(pl.col("close") > t).max(),
            )

        runs = {
            "numpy (used)": lambda data=data, n=n: _numpy_agg(data, t, n),
            "duckdb": lambda con=con: con.execute(_SQL.format(t=t)).fetchnumpy(),
            "polars": run_polars,
            "pandas": run_pandas,
        }
        print(f"  {label} ({rows:,} invoices):")
        for name, fn in runs.items():
            fn()
            seconds = _timed(fn, repeat if rows > 1000 else 50)
            median = statistics.median(seconds)
            print(f"    {name:13s} median {median * 1e3:9.2f} ms")
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=54_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db-customers", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--compare-engines", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    result = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    ledger = result.ledger
    counts = ", ".join(f"{v:,} {k}" for k, v in ledger.counts().items())
    print(f"Synthetic ledger: {counts} (generated in {time.perf_counter() - started:.1f} s)")
    as_of = pd.Timestamp(result.as_of)
    arrays = bench_batch(ledger, as_of, args.repeat)
    bench_single(ledger, as_of, args.db_customers, args.samples, args.seed)
    if args.compare_engines:
        compare_engines(arrays, as_of, args.repeat)


if __name__ == "__main__":
    main()
