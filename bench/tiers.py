"""Which tier scores a book's customers: the default-PD model, the proxy model or the expert
scorecard, and how well each ranks the defaults of the 12 months after the data ends.

For each book (customers × months) a synthetic ledger 12 months longer is generated and cut at
``months`` (bench/short_history.py's cut: nothing later is kept); ``arscore train``'s default-PD
and proxy tasks are trained on the cut book, every customer is scored as of the cut as the
service would (default-PD model, else proxy, else expert scorecard), and the served PDs are
compared with the defaults of the following 12 months (which only the uncut book knows) and with
the generator's own 12-month PD (the oracle). A proxy model serves only where training found it
out-ranks the expert scorecard on its validation rows (``TaskOutcome.serves``), as
``arscore train`` decides the champion; "valid P/E (n)" are those two validation AUCs on the
proxy event (n: the validation rows' proxy events), and "valid dflt P/E (n)" the same two on
the validation rows' n defaults (reported by training, not deciding); "test P/E (n)" are the
same two AUCs on the proxy task's out-of-time test rows (n proxy events), which the choice never
sees: printed to check it, never fed back.

Coverage: "generated" customers are in the uncut book, "onboarded later" joined after the cut
(not in the cut ledger, so not scored), "in cut" are the cut ledger's customers and "complete"
those of them whose score has a PD, a grade, at least one reason and a recommended limit.
The AUC columns use the customers a service would score at the cut that are not already in
default, have an invoice by the cut and a generator PD for the next month ("AUC rows").

    .venv/bin/python bench/tiers.py                                  # 400×30, 400×18, 100×24
    .venv/bin/python bench/tiers.py --books 400x30 --seeds 1 2
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p).resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import math  # noqa: E402

import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from arscore.policy import load_policy  # noqa: E402
from features.ledger_arrays import LedgerArrays  # noqa: E402
from ledger.synth import SynthConfig, generate  # noqa: E402
from models.scoring.common import ScoringModels, ScoringPolicy  # noqa: E402
from models.scoring.customers import score_customers  # noqa: E402
from training.pipeline import NothingTrainedError, train_ledger_models  # noqa: E402
from training.proxy import expert_pd_of, proxy_pd_sample  # noqa: E402
from training.split import policy_time_split  # noqa: E402


def _short_history():  # bench/short_history.py: the cut and the customers scored at it
    spec = importlib.util.spec_from_file_location("bench_short", HERE / "short_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def book(customers: int, months: int, seed: int, policy) -> dict:
    short = _short_history()
    result = generate(SynthConfig(customers=customers, months=months + 12, seed=seed))
    full, truth = result.ledger, result.truth.copy()
    truth["month"] = pd.to_datetime(truth["month"])
    cut = pd.Timestamp(result.as_of) - pd.DateOffset(months=12)
    cut_book = short.cut_ledger(full, cut)
    started = time.perf_counter()
    try:
        trained = train_ledger_models(
            cut_book,
            rules=policy,
            training=policy.training,
            scale=policy.master_scale,
            tracking_uri=None,
            tasks=("default_pd", "proxy_pd"),
            portfolio_default_rate=policy.expert_scorecard.portfolio_default_rate,
            expert_scorecard=policy.expert_scorecard,
        )
    except NothingTrainedError:  # neither tier trains: the expert scorecard scores everyone
        trained = []
    # What serving would load: a proxy model that lost to the expert scorecard is not champion.
    outcomes = {o.task: o for o in trained if o.serves and o.fit is not None}
    proxy_fit = next((o.fit for o in trained if o.tier is not None and o.fit is not None), None)
    proxy_tier = next((o.tier for o in trained if o.tier is not None), None)
    test_pe = "-/-"
    if proxy_fit is not None:  # the proxy task's own test window: checked, never chosen on
        sample = proxy_pd_sample(cut_book, policy, policy.training)
        window, _ = policy_time_split(sample.dates, sample.y, policy.training, sample.groups)
        y_test = sample.y[window.test]
        assert (y_test == proxy_fit.test_target).all(), "the fit's own test rows"
        expert_test = expert_pd_of(
            sample,
            window.test,
            LedgerArrays.from_ledger(cut_book),
            policy,
            policy.expert_scorecard,
        )
        if 0 < y_test.sum() < len(y_test):
            test_pe = (
                f"{proxy_fit.metrics['auc']:.3f}/{roc_auc_score(y_test, expert_test):.3f}"
                f" ({int(y_test.sum())})"
            )
    seconds = time.perf_counter() - started
    models = ScoringModels(
        default_pd=outcomes["default_pd"].fit.bundle if "default_pd" in outcomes else None,
        proxy_pd=outcomes["proxy_pd"].fit.bundle if "proxy_pd" in outcomes else None,
    )
    scores = score_customers(cut_book, cut, models, ScoringPolicy.from_policy(policy))
    tiers = pd.Series([str(s.pd_basis) for s in scores]).value_counts().to_dict()
    complete = sum(
        s.default_probability is not None
        and math.isfinite(s.default_probability)
        and s.risk_grade is not None
        and bool(s.reasons)
        and s.recommended_credit_limit.get("amount") is not None
        for s in scores
    )
    served = pd.Series({s.customer_id: s.default_probability for s in scores})
    # The expert scorecard on the same customers: what the book would get without the models.
    expert_scores = score_customers(
        cut_book, cut, ScoringModels(), ScoringPolicy.from_policy(policy)
    )
    expert = pd.Series({s.customer_id: s.default_probability for s in expert_scores})
    # The trained proxy model on the same customers, whether or not it serves.
    proxy = None
    if proxy_fit is not None:
        proxy_scores = score_customers(
            cut_book,
            cut,
            ScoringModels(proxy_pd=proxy_fit.bundle),
            ScoringPolicy.from_policy(policy),
        )
        proxy = pd.Series({s.customer_id: s.default_probability for s in proxy_scores})
    rows = short.scored_after_cut(full, cut_book, cut, policy)
    keys = pd.DataFrame({"customer_id": rows["customer_id"], "month": cut + pd.Timedelta(days=1)})
    oracle_pd = keys.merge(truth, on=["customer_id", "month"], how="left")["true_pd_12m"]
    known = oracle_pd.notna().to_numpy()
    y = rows["defaulted"].to_numpy()[known]
    pd_served = served.reindex(rows["customer_id"]).to_numpy()[known]
    both = 0 < y.sum() < len(y)
    return {
        "book": f"{customers}x{months}",
        "seed": seed,
        "customers": len(scores),
        "generated": len(full.customers),
        "in_cut": len(cut_book.customers),
        "complete": complete,
        "auc_rows": int(known.sum()),
        "tiers": tiers,
        "valid": "-/-"
        if proxy_tier is None or proxy_tier.valid_auc_proxy is None
        else f"{proxy_tier.valid_auc_proxy:.3f}/{proxy_tier.valid_auc_expert:.3f}"
        f" ({proxy_tier.events_valid})",
        "test_pe": test_pe,
        "valid_defaults": "-/-"
        if proxy_tier is None or proxy_tier.default_auc_proxy is None
        else f"{proxy_tier.default_auc_proxy:.3f}/{proxy_tier.default_auc_expert:.3f}"
        f" ({proxy_tier.defaults_valid})",
        "events": int(y.sum()),
        "auc": roc_auc_score(y, pd_served) if both else float("nan"),
        "expert": roc_auc_score(y, expert.reindex(rows["customer_id"]).to_numpy()[known])
        if both
        else float("nan"),
        "oracle": roc_auc_score(y, oracle_pd.to_numpy()[known]) if both else float("nan"),
        "proxy": roc_auc_score(y, proxy.reindex(rows["customer_id"]).to_numpy()[known])
        if both and proxy is not None
        else float("nan"),
        "mean_pd": float(pd_served.mean()),
        "observed": float(y.mean()),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", nargs="+", default=["400x30", "400x18", "100x24"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    policy = load_policy(None)
    print(
        f"{'book':>7} {'seed':>4} {'generated':>9} {'in cut':>6} {'scored':>6} {'complete':>8}  "
        f"{'tiers':<34} {'valid P/E (n)':>17} {'valid dflt P/E (n)':>18} {'test P/E (n)':>17} "
        f"{'AUC rows':>8} {'events':>6} {'AUC':>6} "
        f"{'oracle':>6} {'ratio':>6} {'expert':>6} {'proxy':>6} {'mean PD':>8} {'observed':>8}"
    )
    for spec in args.books:
        customers, months = (int(x) for x in spec.lower().split("x"))
        for seed in args.seeds:
            try:
                r = book(customers, months, seed, policy)
            except Exception as exc:  # a bench reports and goes on
                print(f"{spec:>7} {seed:>4} failed: {type(exc).__name__}: {exc}")
                continue
            tiers = ", ".join(f"{k} {v}" for k, v in sorted(r["tiers"].items()))
            print(
                f"{r['book']:>7} {seed:>4} {r['generated']:>9} {r['in_cut']:>6} "
                f"{r['customers']:>6} {r['complete']:>8}  {tiers:<34} {r['valid']:>17} "
                f"{r['valid_defaults']:>18} {r['test_pe']:>17} "
                f"{r['auc_rows']:>8} {r['events']:>6} "
                f"{r['auc']:>6.3f} {r['oracle']:>6.3f} {r['auc'] / r['oracle']:>6.3f} "
                f"{r['expert']:>6.3f} {r['proxy']:>6.3f} "
                f"{r['mean_pd']:>8.2%} {r['observed']:>8.2%}  ({r['seconds']:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
