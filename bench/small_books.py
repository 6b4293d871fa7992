"""Small books: does the late-payment model beat the customer's own prior-late ratio?

On a small book a credit controller's first rule of thumb is the share of a customer's earlier
invoices that were paid late. The deployed late-payment model (the better of LightGBM and the
WOE scorecard on validation rows, :mod:`training.selection`) must out-rank it by at least
``--bar`` AUC (0.01) to earn its keep. Two comparisons:

* **Synthetic books** (about 100 customers and 2,500 invoices over 24 months, several seeds):
  ``arscore train``'s late-payment task, tested out of time; the baseline is scored on exactly
  the same test rows. A test invoice's prior-late ratio is computed point in time: among the
  customer's invoices issued before it whose outcome was known on its issue date (paid by then
  within ``late_after_days`` of due, or past due by more than ``late_after_days``, or written
  off), the share that were late as the label defines it; with none known, the portfolio's
  share at that date.
* **mx_factoring_invoice_paidtime.csv** (real invoices, no dates, see bench/real_datasets.py
  for how the file is found and skipped when absent): the model's cross-validated
  (out-of-fold) AUC against the file's own ``RatioInvoicesPaidLate`` column on all rows.

    .venv/bin/python bench/small_books.py                       # seeds 1-5 and the mx file
    .venv/bin/python bench/small_books.py --seeds 1 2 --no-real
    ARSCORE_SHARED_DATA=/path/to/data .venv/bin/python bench/small_books.py

Prints per seed: invoices, test rows and late events, the deployed kind, AUC of the deployed
model, LightGBM, the scorecard and the prior-late ratio, and the margin; then the means.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p).resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from arscore.policy import load_policy  # noqa: E402
from ledger.frames import Ledger  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from models.errors import ModelError  # noqa: E402
from training.fit import BinaryFit  # noqa: E402
from training.labels import settlement  # noqa: E402
from training.pipeline import build_samples, train_ledger_models  # noqa: E402
from training.split import policy_time_split  # noqa: E402
from training.tabular import read_table, train_onboarding_frame  # noqa: E402

DATA_DIR = Path(
    __import__("os").environ.get("ARSCORE_SHARED_DATA", HERE.parents[1] / "shared" / "data")
)
MX_FILE = "mx_factoring_invoice_paidtime.csv"


def prior_late_ratio(ledger: Ledger, invoice_ids: pd.Series, late_after_days: int) -> np.ndarray:
    """Each invoice's customer's share of earlier invoices known late at its issue date."""
    s = settlement(ledger).set_index("invoice_id")
    cutoff = s["due_date"] + pd.Timedelta(days=late_after_days)
    paid = s["paid_full_date"]
    # The day the outcome became known: paid in time, or the day after the cut-off passed
    # unpaid (late), or the write-off, whichever came first.
    on_time = paid.notna() & (paid <= cutoff)
    known_on = paid.where(on_time, cutoff + pd.Timedelta(days=1))
    known_on = known_on.where(~(s["written_off_date"] < known_on), s["written_off_date"])
    late = (~on_time).astype(float)
    table = pd.DataFrame(
        {"customer": s["customer_id"], "issued": s["invoice_date"], "known": known_on, "late": late}
    )
    known_sorted = table.sort_values("known")
    k_days = known_sorted["known"].to_numpy()
    cum_late = np.cumsum(known_sorted["late"].to_numpy())
    by_customer = dict(list(table.groupby("customer")))
    out = np.empty(len(invoice_ids))
    for i, invoice in enumerate(invoice_ids):
        row = table.loc[invoice]
        mine = by_customer[row["customer"]]
        earlier = mine[(mine["issued"] < row["issued"]) & (mine["known"] <= row["issued"])]
        if len(earlier):
            out[i] = earlier["late"].mean()
        else:  # nothing known yet: the portfolio's share known late by that date
            n = int(np.searchsorted(k_days, row["issued"].to_datetime64(), side="right"))
            out[i] = cum_late[n - 1] / n if n else 0.0
    return out


def synthetic(seed: int, customers: int, months: int, per_month: float, policy) -> dict:
    book = generate(
        SynthConfig(customers=customers, months=months, invoices_per_month=per_month, seed=seed)
    ).ledger
    training = policy.training
    outcome = train_ledger_models(
        book,
        rules=policy,
        training=training,
        scale=policy.master_scale,
        tracking_uri=None,
        tasks=("late_payment",),
    )[0]
    if outcome.status != "trained" or not isinstance(outcome.fit, BinaryFit):
        return {"seed": seed, "invoices": len(book.invoices), "skipped": outcome.reason}
    fit = outcome.fit
    sample = build_samples(book, policy, training, tasks=("late_payment",))["late_payment"]
    window, _ = policy_time_split(sample.dates, sample.y, training, sample.groups)
    y = sample.y[window.test]
    assert np.array_equal(y, fit.test_target), "the bench must score the fit's own test rows"
    ratio = prior_late_ratio(book, sample.ids.iloc[window.test], training.late_after_days)
    return {
        "seed": seed,
        "invoices": len(book.invoices),
        "rows": len(sample.y),
        "test": len(y),
        "late": int(y.sum()),
        "chosen": fit.selection.chosen,
        "valid": fit.selection,
        "model": roc_auc_score(y, fit.test_pd),
        "lightgbm": roc_auc_score(y, fit.test_lightgbm_pd),
        "scorecard": roc_auc_score(y, fit.test_baseline_pd),
        "ratio": roc_auc_score(y, ratio),
        "rows_y": y,
        "rows_model": fit.test_pd,
        "rows_ratio": ratio,
        "rows_customer": sample.groups.iloc[window.test].to_numpy(),
    }


def _auc_or_nan(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def pooled_margin(results: list[dict], draws: int, seed: int = 0) -> tuple[float, float, float]:
    """The mean over books of (model AUC - prior-late-ratio AUC) on the same test rows, and a
    95% bootstrap interval that resamples customers within each book (a customer's invoices are
    not independent), so the verdict rests on every seed's test rows at once, not on one
    book's handful of late invoices."""
    point = float(np.mean([r["model"] - r["ratio"] for r in results]))
    rng = np.random.default_rng(seed)
    books = []
    for r in results:
        customers, rows = np.unique(r["rows_customer"], return_inverse=True)
        members = [np.flatnonzero(rows == c) for c in range(len(customers))]
        books.append((r, members))
    margins = np.empty(draws)
    for b in range(draws):
        per_book = []
        for r, members in books:
            pick = rng.integers(0, len(members), len(members))
            idx = np.concatenate([members[i] for i in pick])
            y = r["rows_y"][idx]
            per_book.append(
                _auc_or_nan(y, r["rows_model"][idx]) - _auc_or_nan(y, r["rows_ratio"][idx])
            )
        margins[b] = np.nanmean(per_book)
    low, high = np.nanpercentile(margins, [2.5, 97.5])
    return point, float(low), float(high)


def real_file(policy) -> dict | None:
    path = DATA_DIR / MX_FILE
    if not path.is_file():
        print(f"\nmx factoring: skipped, {MX_FILE} not in {DATA_DIR}")
        return None
    frame = read_table(path)
    # PaidTime 1 = early, 2 = on time, 3-5 = late (as bench/real_datasets.py defines it).
    table = frame.drop(columns=["PaidTime"])
    table["paid_late"] = (frame["PaidTime"] >= 3).astype(int)
    outcome = train_onboarding_frame(
        table, "paid_late", policy=policy.training, scale=policy.master_scale, source=MX_FILE
    )
    fit = outcome.fit
    y = fit.test_target
    ratio = table["RatioInvoicesPaidLate"].to_numpy(dtype=float)
    return {
        "rows": len(y),
        "late": int(y.sum()),
        "chosen": fit.selection.chosen,
        "reason": fit.selection.reason,
        "model": roc_auc_score(y, fit.test_pd),
        "lightgbm": fit.lightgbm_metrics["auc"],
        "scorecard": fit.baseline_metrics["auc"],
        "ratio": roc_auc_score(y, ratio),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--invoices-per-month", type=float, default=1.35)
    parser.add_argument("--bar", type=float, default=0.01)
    parser.add_argument("--no-real", action="store_true", help="skip the mx factoring file")
    parser.add_argument(
        "--holdout-share",
        type=float,
        default=None,
        help="share of customers the test holds out of fitting (policy: 0.3); 0 tests every "
        "customer's out-of-time invoices, as the prior-late ratio is (3x the test rows)",
    )
    parser.add_argument("--draws", type=int, default=1000, help="bootstrap draws for the CI")
    args = parser.parse_args()
    policy = load_policy(None)
    if args.holdout_share is not None:
        training = policy.training.model_copy(update={"holdout_share": args.holdout_share})
        policy = policy.model_copy(update={"training": training})
    print(
        f"synthetic books: {args.customers} customers x {args.months} months, "
        f"invoices_per_month={args.invoices_per_month}; late = paid more than "
        f"{policy.training.late_after_days} days after due; out-of-time test rows "
        f"(holdout_share {policy.training.holdout_share})"
    )
    header = (
        f"{'seed':>4} {'invoices':>8} {'rows':>6} {'test':>5} {'late':>5} {'deployed':<14}"
        f"{'model':>7} {'LGBM':>7} {'WOE':>7} {'ratio':>7} {'margin':>7}  validation AUC L/W"
    )
    print(header)
    results = []
    for seed in args.seeds:
        started = time.perf_counter()
        try:
            r = synthetic(seed, args.customers, args.months, args.invoices_per_month, policy)
        except ModelError as exc:
            print(f"{seed:>4} skipped: {exc}")
            continue
        if "skipped" in r:
            print(f"{seed:>4} {r['invoices']:>8,} skipped: {r['skipped']}")
            continue
        results.append(r)
        s = r["valid"]
        valid = f"{s.valid_auc_lightgbm or float('nan'):.3f}/"
        valid += f"{s.valid_auc_scorecard or float('nan'):.3f}"
        print(
            f"{seed:>4} {r['invoices']:>8,} {r['rows']:>6,} {r['test']:>5,} {r['late']:>5,} "
            f"{r['chosen']:<14}{r['model']:>7.3f} {r['lightgbm']:>7.3f} {r['scorecard']:>7.3f} "
            f"{r['ratio']:>7.3f} {r['model'] - r['ratio']:>+7.3f}  "
            f"{valid}  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    failures = 0
    if results:
        mean = {
            k: float(np.mean([r[k] for r in results]))
            for k in ("model", "lightgbm", "scorecard", "ratio")
        }
        margin = mean["model"] - mean["ratio"]
        beats = sum(r["model"] - r["ratio"] >= args.bar for r in results)
        print(
            f"mean {'':>34}{mean['model']:>7.3f} {mean['lightgbm']:>7.3f} "
            f"{mean['scorecard']:>7.3f} {mean['ratio']:>7.3f} {margin:>+7.3f}  "
            f"beats the ratio by >= {args.bar} on {beats}/{len(results)} seeds"
        )
        pooled, low, high = pooled_margin(results, args.draws)
        late = sum(r["late"] for r in results)
        tested = sum(r["test"] for r in results)
        verdict = "met" if pooled >= args.bar else "NOT met"
        print(
            f"pooled over {len(results)} books ({tested:,} test invoices, {late:,} late): model - "
            f"ratio AUC {pooled:+.4f}, 95% CI [{low:+.4f}, {high:+.4f}] (customer bootstrap, "
            f"{args.draws} draws); bar +{args.bar}: {verdict}"
            + ("" if low >= args.bar or high < args.bar else " (the CI straddles the bar)")
        )
        failures += margin < args.bar
    if not args.no_real:
        r = real_file(policy)
        if r is not None:
            margin = r["model"] - r["ratio"]
            print(
                f"\nmx factoring ({r['rows']:,} invoices, {r['late']:,} late, stratified CV, "
                f"out of fold): deployed {r['chosen']} AUC {r['model']:.4f} (LightGBM "
                f"{r['lightgbm']:.4f}, WOE {r['scorecard']:.4f}) vs RatioInvoicesPaidLate "
                f"{r['ratio']:.4f}: margin {margin:+.4f}\n  {r['reason']}"
            )
            failures += margin < args.bar
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
