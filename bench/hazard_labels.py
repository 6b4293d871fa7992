"""Default PD on short ledgers: complete 12-month labels against a discrete-time hazard.

The service trains default PD on month-end snapshots whose 12-month outcome window has closed
(``training.labels.default_labels``), so a 24-month ledger labels only its first 12 months. A
discrete-time hazard uses the partly observed windows too: one row per snapshot and quarter
after it that the data covers, for customers not yet in default at the quarter's start, labelled
1 when the customer defaults in that quarter; the 12-month PD is ``1 - prod(1 - h_q)``. Both
are LightGBM with the policy's parameters, monotone directions and missing-value fill, on the
same features, for a fixed number of trees, scored at the cut against the defaults of the 12
months after it and compared with the generator's oracle (as ``bench/short_history.py``).

    .venv/bin/python bench/hazard_labels.py                          # 36-month book, cuts 18 24
    .venv/bin/python bench/hazard_labels.py --seed 1 --trees 25 50 100
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

# This file's folder must not shadow the top-level ``models`` package.
sys.path = [p for p in sys.path if Path(p).resolve() != Path(__file__).parent.resolve()]

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from arscore.policy import load_policy  # noqa: E402
from features.customer import customer_features_at  # noqa: E402
from features.ledger_arrays import LedgerArrays, to_day  # noqa: E402
from features.registry import CUSTOMER_FEATURES, model_inputs  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from models.feature_schema import FeatureSchema  # noqa: E402
from training.labels import first_default_dates  # noqa: E402
from training.pipeline import categorical_columns, monotone_spec  # noqa: E402
from training.samples import data_window, default_pd_sample  # noqa: E402

QUARTERS = 4


def _short_history():  # bench/short_history.py: the cut and the scored customers
    spec = importlib.util.spec_from_file_location(
        "short_history", Path(__file__).with_name("short_history.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_by_label(book, policy, warmup_months: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(complete-window rows, hazard rows): features at each month end, outcome after it."""
    start, end = data_window(book)
    arrays = LedgerArrays.from_ledger(book)
    first = first_default_dates(book, policy.training.default_dpd)
    first_invoice = book.invoices.groupby("customer_id")["invoice_date"].min()
    onboarded = book.customers.set_index("customer_id")["onboarding_date"]
    columns = model_inputs(CUSTOMER_FEATURES)
    snapshots = pd.date_range(
        start + pd.DateOffset(months=warmup_months) + pd.offsets.MonthEnd(0),
        end - pd.DateOffset(months=3),
        freq="ME",
    )
    # The complete-window rows are the service's own default-PD sample on these month ends.
    labelled = [t for t in snapshots if t + pd.DateOffset(months=12) <= end]
    sample = default_pd_sample(book, policy, policy.training, dates=labelled, arrays=arrays)
    complete = sample.X.assign(y=sample.y.astype(bool), customer=sample.groups.to_numpy())
    hazard = []
    for t in snapshots:
        features = customer_features_at(arrays, to_day(t), policy.features)
        ids = features.index
        when = first.reindex(ids).to_numpy()
        keep = ~(when <= t.to_datetime64())
        keep &= first_invoice.reindex(ids).to_numpy() <= t.to_datetime64()
        keep &= ~(onboarded.reindex(ids).to_numpy() > t.to_datetime64())
        features, when = features.loc[keep, columns], when[keep]
        for q in range(1, QUARTERS + 1):
            a, b = t + pd.DateOffset(months=3 * (q - 1)), t + pd.DateOffset(months=3 * q)
            if b > end:
                break
            alive = ~(when <= a.to_datetime64())
            y = (when > a.to_datetime64()) & (when <= b.to_datetime64())
            hazard.append(features[alive].assign(y=y[alive], quarter=q))
    return complete, pd.concat(hazard)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--cuts", type=int, nargs="+", default=[18, 24])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--trees", type=int, nargs="+", default=[25, 50, 100, 200])
    args = parser.parse_args()
    policy = load_policy(None)
    short = _short_history()
    result = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    full, truth = result.ledger, result.truth.copy()
    truth["month"] = pd.to_datetime(truth["month"])
    end = pd.Timestamp(result.as_of)
    columns = model_inputs(CUSTOMER_FEATURES)
    params = policy.training.lightgbm.booster_params("binary", policy.training.seed, [])
    for months in args.cuts:
        cut = end - pd.DateOffset(months=args.months - months)
        book = short.cut_ledger(full, cut)
        complete, hazard = rows_by_label(book, policy, 6 if months >= 24 else 2)
        scored = short.scored_after_cut(full, book, cut, policy)
        keys = pd.DataFrame(
            {"customer_id": scored["customer_id"], "month": cut + pd.Timedelta(days=1)}
        )
        oracle_pd = keys.merge(truth, on=["customer_id", "month"], how="left")["true_pd_12m"]
        known = oracle_pd.notna().to_numpy()
        y = scored["defaulted"].to_numpy()[known]
        oracle = roc_auc_score(y, oracle_pd.to_numpy()[known])
        test = scored[columns][known].reset_index(drop=True)
        print(
            f"cut {months}: complete-window rows {len(complete):,} "
            f"({int(complete['y'].sum())} events, "
            f"{complete.loc[complete['y'], 'customer'].nunique()} customers); hazard rows "
            f"{len(hazard):,} ({int(hazard['y'].sum())} events); scored {len(y):,}, "
            f"{int(y.sum())} defaults, oracle AUC {oracle:.3f}"
        )
        fits = {}
        for name, rows, extra in (("complete", complete, []), ("hazard", hazard, ["quarter"])):
            frame = rows[columns + extra].reset_index(drop=True)
            schema = FeatureSchema.infer(
                frame,
                categorical_columns(columns),
                monotone_spec(columns),
                policy.training.missing_fill_quantile,
            )
            monotone = schema.monotone_vector(monotone_spec(columns))
            data = lgb.Dataset(
                schema.to_matrix(frame),
                rows["y"].to_numpy(dtype=float),
                categorical_feature=schema.categorical_positions,
                params={"verbosity": -1},
            )
            fits[name] = (schema, {**params, "monotone_constraints": monotone}, data)
        for trees in args.trees:
            line = []
            for name, (schema, fit_params, data) in fits.items():
                booster = lgb.train(fit_params, data, num_boost_round=trees)
                if name == "complete":
                    pd_12m = booster.predict(schema.to_matrix(test))
                else:
                    survive = np.ones(len(test))
                    for q in range(1, QUARTERS + 1):
                        survive *= 1 - booster.predict(schema.to_matrix(test.assign(quarter=q)))
                    pd_12m = 1 - survive
                auc = roc_auc_score(y, pd_12m)
                line.append(f"{name} {auc:.3f} ({auc / oracle:.3f} of the oracle)")
            print(f"  {trees:>4} trees: " + "   ".join(line))


if __name__ == "__main__":
    main()
