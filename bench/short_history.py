"""Default PD from short ledgers: the model trained on a book cut after 18, 24 or 36 months,
scored as of the cut and compared with the generator's oracle.

One synthetic book is generated (by default 3,000 customers × 48 months); for each cut the
ledger is truncated at the cut date (nothing later is kept: invoices, payments, write-offs,
disputes, orders, customers), the default-PD model is trained on the truncated ledger as
``arscore train`` would, and the deployed model's PDs as of the cut date are tested against the
defaults of the 12 months after it, which only the uncut book knows. The oracle is the
generator's own 12-month PD of the same customers at the same date (``truth``): the best
achievable ranking. A cut whose 12 months after it run past the book's end is reported with
the model's own out-of-time test AUC against the oracle on those test rows instead.

    .venv/bin/python bench/short_history.py                       # cuts 18, 24, 36 of 48 months
    .venv/bin/python bench/short_history.py --months 36 --cuts 18 24 36
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
sys.path = [p for p in sys.path if Path(p).resolve() != Path(__file__).parent.resolve()]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from arscore.policy import load_policy  # noqa: E402
from features.customer import customer_features_at  # noqa: E402
from features.ledger_arrays import LedgerArrays, to_day  # noqa: E402
from ledger.frames import Ledger  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from training.labels import default_labels  # noqa: E402
from training.pipeline import NothingTrainedError, build_samples, train_ledger_models  # noqa: E402
from training.samples import data_window  # noqa: E402
from training.selection import LABELS  # noqa: E402


def _bench_models():  # bench/models.py, whose name would clash with the ``models`` package
    spec = importlib.util.spec_from_file_location(
        "bench_models", Path(__file__).with_name("models.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cut_ledger(ledger: Ledger, cut: pd.Timestamp) -> Ledger:
    """The ledger as it stood at the end of ``cut``: later events removed, later dates emptied."""
    inv = ledger.invoices[ledger.invoices["invoice_date"] <= cut].copy()
    for column in ("paid_date", "written_off_date", "dispute_date"):
        inv[column] = inv[column].where(inv[column] <= cut)
    inv["disputed"] = inv["disputed"] & inv["dispute_date"].notna()
    pay = ledger.payments
    pay = pay[(pay["payment_date"] <= cut) & pay["invoice_id"].isin(inv["invoice_id"])]
    orders = ledger.orders[ledger.orders["order_date"] <= cut]
    customers = ledger.customers[ledger.customers["onboarding_date"] <= cut]
    return Ledger(
        customers.reset_index(drop=True),
        inv.reset_index(drop=True),
        pay.reset_index(drop=True),
        orders.reset_index(drop=True),
    )


def scored_after_cut(full: Ledger, cut_book: Ledger, cut: pd.Timestamp, policy) -> pd.DataFrame:
    """Customers a service would score at ``cut`` (onboarded, invoiced, not in default) with
    their features as of the cut and whether they defaulted in the 12 months after it."""
    t = policy.training
    _, end = data_window(full)
    labels = default_labels(
        full, [cut], data_end=end, horizon_months=t.horizon_months, default_dpd=t.default_dpd
    )
    first_invoice = cut_book.invoices.groupby("customer_id")["invoice_date"].min()
    labels = labels[~labels["in_default"]]
    labels = labels[labels["customer_id"].map(first_invoice).le(cut).fillna(False).to_numpy()]
    features = customer_features_at(
        LedgerArrays.from_ledger(cut_book), to_day(cut), policy.features
    )
    rows = features.loc[labels["customer_id"].to_numpy()].reset_index(drop=True)
    rows.insert(0, "defaulted", labels["defaulted"].to_numpy())
    rows.insert(0, "customer_id", labels["customer_id"].to_numpy())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--cuts", type=int, nargs="+", default=[18, 24, 36])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--policy", type=Path, default=None, help="policy file (default: built-in)")
    args = parser.parse_args()
    policy = load_policy(args.policy)

    started = time.perf_counter()
    result = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    full, truth = result.ledger, result.truth.copy()
    truth["month"] = pd.to_datetime(truth["month"])
    end = pd.Timestamp(result.as_of)
    print(
        f"book: {args.customers:,} customers × {args.months} months to {end.date()}, "
        f"{len(full.invoices):,} invoices ({time.perf_counter() - started:.0f} s)"
    )
    print(
        f"\n{'cut':>4} {'as of':>11} {'train':>6} {'scored':>7} {'events':>7} {'model':>7}"
        f" {'oracle':>7} {'ratio':>6}   basis"
    )
    for months in args.cuts:
        cut = end - pd.DateOffset(months=args.months - months)
        book = cut_ledger(full, cut)
        started = time.perf_counter()
        try:
            outcome = train_ledger_models(
                book,
                rules=policy,
                training=policy.training,
                scale=policy.master_scale,
                tracking_uri=None,
                tasks=("default_pd",),
            )[0]
        except NothingTrainedError as exc:
            print(f"{months:>4} {cut.date()!s:>11}  not trained: {exc}")
            continue
        seconds = time.perf_counter() - started
        assert outcome.fit is not None
        if months + policy.training.horizon_months <= args.months:
            rows = scored_after_cut(full, book, cut, policy)
            features = rows.drop(columns=["customer_id", "defaulted"])
            keys = pd.DataFrame(
                {"customer_id": rows["customer_id"], "month": cut + pd.Timedelta(days=1)}
            )
            oracle_pd = keys.merge(truth, on=["customer_id", "month"], how="left")["true_pd_12m"]
            known = oracle_pd.notna().to_numpy()
            y = rows["defaulted"].to_numpy()[known]
            deployed = np.asarray(outcome.fit.bundle.predict(features))[known]
            evaluated = np.asarray(outcome.fit.evaluated.predict(features))[known]
            model = roc_auc_score(y, deployed)
            oracle = roc_auc_score(y, oracle_pd.to_numpy()[known])
            n, events = int(known.sum()), int(y.sum())
            basis = (
                f"deployed PD at the cut vs the next 12 months (evaluated fit "
                f"{roc_auc_score(y, evaluated):.3f}; mean PD {deployed.mean():.2%}, "
                f"observed {y.mean():.2%})"
            )
        else:
            sample = build_samples(book, policy, policy.training, tasks=("default_pd",))
            oracle, n = _bench_models().oracle_auc(sample["default_pd"], truth, policy, False)
            model, events = outcome.fit.metrics["auc"], int(outcome.fit.test_target.sum())
            basis = "evaluated model's out-of-time test rows (no months after the cut)"
        print(
            f"{months:>4} {cut.date()!s:>11} {seconds:>5.0f}s {n:>7,} {events:>7,} {model:>7.3f}"
            f" {oracle:>7.3f} {model / oracle:>6.3f}   {basis}"
        )
        chosen = outcome.fit.selection
        trees = f", {outcome.fit.best_iterations[0]} trees" if chosen.chosen == "lightgbm" else ""
        valid = ", ".join(
            f"{name} {auc:.3f}"
            for name, auc in (
                ("LightGBM", chosen.valid_auc_lightgbm),
                ("scorecard", chosen.valid_auc_scorecard),
            )
            if auc is not None
        )
        print(f"{'':>13}{outcome.split}")
        print(
            f"{'':>13}deploys {LABELS[chosen.chosen]}{trees} (validation AUC {valid} on "
            f"{outcome.fit.split.n_valid:,} rows never fitted on)"
        )


if __name__ == "__main__":
    main()
