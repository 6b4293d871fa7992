"""How often each early-warning signal fires on a synthetic book, and how much it says.

For a few as-of dates, every customer's features and early warnings (the policy in force, or
``--policy``) next to whether the customer defaulted in the following 12 months (the training
label; customers already in default left out). Per signal: the share of customers flagged, the
default rate among them and its lift over the book's rate; for all signals together, also the
share of next-year defaulters that were flagged (recall). A warning that fires for a fifth of
the book at the book's own default rate is noise to a credit officer.

    .venv/bin/python bench/warnings.py                          # 4,000 customers x 36 months
    .venv/bin/python bench/warnings.py --dso-rise-days 15       # compare a threshold
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

# This file's folder must not shadow the top-level ``models`` package.
sys.path = [p for p in sys.path if Path(p).resolve() != Path(__file__).parent.resolve()]

from arscore.policy import load_policy  # noqa: E402
from features.customer import build_customer_features  # noqa: E402
from features.rules import early_warnings  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from training.labels import default_labels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--policy", type=Path, default=None, help="policy YAML (default: built-in)")
    parser.add_argument("--dso-rise-days", type=float, default=None, help="override the policy")
    args = parser.parse_args()

    policy = load_policy(args.policy)
    warning_policy = policy.early_warnings
    if args.dso_rise_days is not None:
        warning_policy = warning_policy.model_copy(update={"dso_rise_days": args.dso_rise_days})
    ledger = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    ledger = ledger.ledger
    data_end = ledger.invoices["invoice_date"].max()
    # Three quarter ends whose 12-month outcome window is complete.
    last = (data_end - pd.DateOffset(months=12)).to_period("Q").end_time.normalize()
    dates = [last - pd.DateOffset(months=6), last - pd.DateOffset(months=3), last]
    dates = [d.to_period("M").end_time.normalize() for d in dates]

    rows = []
    for as_of in dates:
        labels = default_labels(ledger, [as_of], data_end).set_index("customer_id")
        labels = labels[~labels["in_default"]]["defaulted"]
        features = build_customer_features(ledger, as_of, policy).loc[labels.index]
        warnings = early_warnings(features, warning_policy)
        base = labels.mean()
        groups = {code: set(g["customer_id"]) for code, g in warnings.groupby("code")}
        groups["any signal"] = set(warnings["customer_id"])
        for code, ids in groups.items():
            flagged = labels[labels.index.isin(ids)]
            rows.append(
                {
                    "as_of": as_of.date(),
                    "signal": code,
                    "flagged": len(flagged) / len(labels),
                    "default_rate": flagged.mean(),
                    "lift": flagged.mean() / base,
                    "recall": flagged.sum() / labels.sum(),
                    "base_rate": base,
                }
            )
    table = pd.DataFrame(rows)
    print(
        f"{args.customers:,} customers x {args.months} months (seed {args.seed}); as of "
        f"{', '.join(str(d.date()) for d in dates)}; next-12-month default rate "
        f"{table['base_rate'].mean():.1%} on average"
    )
    print(
        f"dso_rise_days {warning_policy.dso_rise_days:g}, ratio {warning_policy.dso_rise_ratio:g}"
    )
    means = table.groupby("signal")[["flagged", "default_rate", "lift", "recall"]].mean()
    means = means.sort_values("flagged", ascending=False)
    print(f"{'signal':<24}{'flagged':>9}{'default rate':>14}{'lift':>7}{'recall':>8}")
    for signal, r in means.iterrows():
        print(
            f"{signal:<24}{r['flagged']:>9.1%}{r['default_rate']:>14.1%}"
            f"{r['lift']:>6.1f}x{r['recall']:>8.0%}"
        )


if __name__ == "__main__":
    main()
