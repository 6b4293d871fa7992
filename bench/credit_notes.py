"""Benchmark: what credit notes cost the feature path (ledger.credit_notes).

Generates the same synthetic book with and without credit notes (``credit_note_share``) and
times the real path: the allocation alone (``allocate_frames``) and the one-off feature
preparation (``LedgerArrays.from_ledger``, which allocates once) with and without them. Each
figure is the median of ``--repeat`` runs.

    .venv/bin/python bench/credit_notes.py                         # 2,000 customers x 24 months
    .venv/bin/python bench/credit_notes.py --customers 20000 --share 0.02
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder leads sys.path and bench/features.py would shadow the `features`
# package: drop the folder before importing anything from the project.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from features.ledger_arrays import LedgerArrays  # noqa: E402
from ledger.credit_notes import allocate_frames  # noqa: E402
from ledger.frames import Ledger  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--share", type=float, default=0.02, help="invoices with a credit note")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    plain = generate(SynthConfig(customers=args.customers, months=args.months, seed=1)).ledger
    credited = generate(
        SynthConfig(
            customers=args.customers, months=args.months, seed=1, credit_note_share=args.share
        )
    ).ledger
    n_invoices, n_notes = len(credited.invoices), len(credited.credit_notes)
    print(f"{args.customers:,} customers x {args.months} months: {n_invoices:,} invoices")
    print(f"{n_notes:,} credit notes ({args.share:.0%} of invoices)")

    def fresh(ledger: Ledger) -> Ledger:  # the allocation is cached per Ledger object
        return Ledger(
            ledger.customers, ledger.invoices, ledger.payments, ledger.orders, ledger.credit_notes
        )

    alone = median_seconds(
        lambda: allocate_frames(credited.invoices, credited.payments, credited.credit_notes),
        args.repeat,
    )
    print(f"allocation alone: {alone:.2f} s ({n_notes / alone:,.0f} credit notes/s)")
    without = median_seconds(lambda: LedgerArrays.from_ledger(fresh(plain)), args.repeat)
    with_notes = median_seconds(lambda: LedgerArrays.from_ledger(fresh(credited)), args.repeat)
    print(
        f"feature preparation: {without:.2f} s without credit notes, {with_notes:.2f} s with "
        f"({with_notes / without:.1f} x)"
    )


if __name__ == "__main__":
    main()
