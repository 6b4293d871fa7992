"""Model quality against the generator's truth, train time and peak memory.

On a synthetic ledger the generator's own 12-month PD (``truth.csv``) is the best achievable
ranking, so its AUC on the same out-of-time test rows is the ceiling ("oracle") for the
default-PD model. Prints, per task: rows, LightGBM AUC, scorecard AUC, oracle AUC and the ratio
model / oracle; then train time and peak memory.

    .venv/bin/python bench/models.py                      # 20,000 customers × 36 months
    .venv/bin/python bench/models.py --customers 5000     # quicker
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
sys.path = [p for p in sys.path if Path(p).resolve() != Path(__file__).parent.resolve()]

import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from arscore.policy import load_policy  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from training.pipeline import build_samples, train_ledger_models  # noqa: E402
from training.split import policy_time_split  # noqa: E402


def oracle_auc(sample, truth: pd.DataFrame, policy, first_month: bool) -> tuple[float, int]:
    """AUC of the generator's PD on the task's out-of-time test rows."""
    split, _ = policy_time_split(sample.dates, sample.y, policy.training, sample.groups)
    rows = split.test
    ids = sample.ids.iloc[rows].to_numpy()
    if first_month:
        # Onboarding: the generator's PD at the customer's first month start.
        first = truth.sort_values("month").drop_duplicates("customer_id")
        joined = pd.DataFrame({"customer_id": ids}).merge(first, on="customer_id", how="left")
    else:
        # Snapshot at month end T ↔ truth at the next month start (the same moment).
        when = sample.dates.iloc[rows] + pd.Timedelta(days=1)
        keys = pd.DataFrame({"customer_id": ids, "month": when.to_numpy()})
        joined = keys.merge(truth, on=["customer_id", "month"], how="left")
    known = joined["true_pd_12m"].notna().to_numpy()
    y = sample.y[rows][known]
    return float(roc_auc_score(y, joined["true_pd_12m"].to_numpy()[known])), int(known.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-mlflow", action="store_true", help="skip logging/registering")
    args = parser.parse_args()
    policy = load_policy(None)

    started = time.perf_counter()
    result = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    ledger, truth = result.ledger, result.truth.copy()
    truth["month"] = pd.to_datetime(truth["month"])
    print(
        f"ledger: {args.customers:,} customers × {args.months} months, "
        f"{len(ledger.invoices):,} invoices (generated in {time.perf_counter() - started:.1f} s)"
    )

    with tempfile.TemporaryDirectory(prefix="arscore-bench-") as scratch:
        tracking = None if args.no_mlflow else f"sqlite:///{Path(scratch) / 'mlflow.db'}"
        started = time.perf_counter()
        outcomes = train_ledger_models(
            ledger,
            rules=policy,
            training=policy.training,
            scale=policy.master_scale,
            tracking_uri=tracking,
            progress=lambda m: print(f"  [{time.perf_counter() - started:6.0f} s] {m}"),
        )
        train_seconds = time.perf_counter() - started

    samples = build_samples(ledger, policy, policy.training, tasks=("default_pd", "onboarding_pd"))
    print()
    header = f"{'task':<14}{'rows':>10}{'events':>9}{'LightGBM':>10}{'scorecard':>11}"
    print(header + f"{'oracle':>9}{'model/oracle':>14}{'train s':>9}")
    for o in outcomes:
        if o.status == "skipped":
            print(f"{o.task:<14} skipped: {o.reason}")
            continue
        fit = o.fit
        n = len(fit.test_target)
        if "auc" not in o.metrics:
            print(
                f"{o.task:<14}{n:>10,}{'':>9}{'MAE ' + format(o.metrics['mae'], '.2f'):>10}"
                f"{'MAE ' + format(o.baseline_metrics['mae'], '.2f'):>11}{'n/a':>9}{'':>14}"
                f"{o.seconds:>9.0f}"
            )
            continue
        events = int(fit.test_target.sum())
        oracle, ratio = "n/a", ""
        if o.task in samples:
            value, _ = oracle_auc(
                samples[o.task], truth, policy, 1 if o.task == "onboarding_pd" else 0
            )
            oracle, ratio = f"{value:.3f}", f"{o.metrics['auc'] / value:.3f}"
        print(
            f"{o.task:<14}{n:>10,}{events:>9,}{o.metrics['auc']:>10.3f}"
            f"{o.baseline_metrics['auc']:>11.3f}{oracle:>9}{ratio:>14}{o.seconds:>9.0f}"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\ntrain time (samples + all tasks{'' if args.no_mlflow else ' + MLflow'}): "
        f"{train_seconds:.0f} s; peak memory (RSS): {peak_mb:,.0f} MB"
    )
    print("late payment has no oracle: the generator records no invoice-level probability.")


if __name__ == "__main__":
    main()
