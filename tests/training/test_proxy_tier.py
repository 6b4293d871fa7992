"""The proxy tier: too few defaults for a default-PD model, a model of 60+ days past due
calibrated down to the default rate scores every customer where it out-ranks the expert
scorecard on validation, end to end through MLflow and rescoring; where it does not, or a book
has neither event, the expert scorecard scores them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from sqlalchemy import select
from typer.testing import CliRunner

from arscore.cli import app as cli
from arscore.policy import Policy
from ledger import tables
from ledger.frames import Ledger
from ledger.storage import make_engine, upgrade, write_ledger
from ledger.synth import SynthConfig, generate
from models.scoring.common import ScoringModels, ScoringPolicy
from models.scoring.customers import score_customers
from models.tasks import PdBasis, Task
from training.labels import default_labels
from training.pipeline import train_ledger_models
from training.proxy import proxy_pd_sample
from training.registry import champion, list_versions
from training.samples import data_window

pytestmark = pytest.mark.slow  # trains on a 400-customer, 30-month book

POLICY = Policy()


@pytest.fixture(scope="module")
def small_book() -> Ledger:
    # 15 customers default in the labelled snapshots (81 customer-month rows): too few for a
    # default-PD model, while 46 reach 60 days past due.
    return generate(SynthConfig(customers=400, months=30, seed=1)).ledger


def _train(ledger: Ledger, tasks: tuple[str, ...], policy: Policy = POLICY):
    return {
        o.task: o
        for o in train_ledger_models(
            ledger,
            rules=policy,
            training=policy.training,
            scale=policy.master_scale,
            tracking_uri=None,
            tasks=tasks,
            portfolio_default_rate=policy.expert_scorecard.portfolio_default_rate,
        )
    }


def test_too_few_defaulters_trains_a_proxy_calibrated_to_the_default_rate(
    small_book: Ledger,
) -> None:
    outcomes = _train(small_book, ("default_pd", "proxy_pd"))

    assert outcomes["default_pd"].status == "skipped"
    assert "min_event_customers" in outcomes["default_pd"].reason
    proxy = outcomes["proxy_pd"]
    assert proxy.status == "trained", proxy.reason
    assert proxy.fit is not None
    sample = proxy_pd_sample(small_book, POLICY, POLICY.training)
    # The proxy event is the more frequent one.
    _, end = data_window(small_book)
    labels = default_labels(small_book, sorted(set(sample.dates)), end)
    rows = pd.DataFrame({"customer_id": sample.ids, "as_of": sample.dates})
    defaulted = rows.merge(labels, on=["customer_id", "as_of"])["defaulted"]
    assert len(defaulted) == len(sample.y)
    assert sample.y.mean() > 2 * defaulted.mean() > 0
    # Calibrated down: the mean PD on its fit rows is their observed default rate.
    bundle = proxy.fit.bundle
    record = bundle.info["calibrated_to_default_rate"]
    assert record["source"] == "observed"
    assert record["rate"] == pytest.approx(defaulted.mean())
    assert bundle.predict_pd(sample.X).mean() == pytest.approx(defaulted.mean(), rel=1e-6)
    assert record["proxy_event_mean_pd"] > record["rate"]
    # It serves because it out-ranks the expert scorecard on its validation rows.
    tier = proxy.tier
    assert tier is not None
    assert tier.proxy_serves
    assert proxy.serves
    assert tier.valid_auc_proxy > tier.valid_auc_expert  # type: ignore[operator]
    assert tier.rows_valid == proxy.fit.split.n_valid
    assert bundle.info["tier_selection"]["chosen"] == "proxy_model"

    scores = score_customers(
        small_book, end, ScoringModels(proxy_pd=bundle), ScoringPolicy.from_policy(POLICY)
    )
    assert len(scores) == len(small_book.customers)
    assert {s.pd_basis for s in scores} == {PdBasis.PROXY_MODEL}
    assert all(0 < s.default_probability < 1 and s.risk_grade >= 1 for s in scores)
    assert sum(bool(s.reasons) for s in scores) > 0.9 * len(scores)
    assert all(s.recommended_credit_limit["basis"] for s in scores)


def test_a_trained_default_model_makes_the_proxy_unnecessary(small_book: Ledger) -> None:
    lenient = Policy.model_validate({"training": {"min_event_customers": 5}})
    outcomes = _train(small_book, ("proxy_pd", "default_pd"), lenient)
    assert list(outcomes) == ["default_pd", "proxy_pd"]  # the proxy always comes second
    assert outcomes["default_pd"].status == "trained"
    assert outcomes["proxy_pd"].status == "skipped"
    assert "not needed" in outcomes["proxy_pd"].reason


def test_book_without_defaults_or_60_day_delinquency_falls_to_the_expert_scorecard(
    small_book: Ledger,
) -> None:
    # An invoices-only export of a book that always pays within 40 days of the due date: a
    # third of the customers 40 days late (late, never 60 days past due), the rest on time.
    rng = np.random.default_rng(0)
    inv = small_book.invoices.assign(written_off_date=pd.NaT, disputed=False, dispute_date=pd.NaT)
    slow = rng.choice(small_book.customers["customer_id"], 130, replace=False)
    delay = np.where(inv["customer_id"].isin(slow), 40, 0)
    payments = pd.DataFrame(
        {
            "payment_id": "PAY-" + inv["invoice_id"],
            "invoice_id": inv["invoice_id"],
            "payment_date": inv["due_date"] + pd.to_timedelta(delay, unit="D"),
            "amount": inv["amount"],
        }
    )
    _, end = data_window(small_book)
    payments = payments[payments["payment_date"] <= end]
    ledger = Ledger.from_frames(small_book.customers, inv, payments, small_book.orders.iloc[:0])

    outcomes = _train(ledger, ("default_pd", "proxy_pd", "late_payment"))

    assert outcomes["default_pd"].status == "skipped"
    assert outcomes["proxy_pd"].status == "skipped"
    assert " 0 events" in outcomes["proxy_pd"].reason
    assert outcomes["late_payment"].status == "trained"
    late = outcomes["late_payment"].fit
    assert late is not None
    models = ScoringModels(late_payment=late.bundle)
    scores = score_customers(ledger, end, models, ScoringPolicy.from_policy(POLICY))
    assert {s.pd_basis for s in scores} == {PdBasis.EXPERT_SCORECARD}
    assert all(s.reasons and s.recommended_credit_limit["basis"] for s in scores)


def test_train_registers_the_proxy_and_rescoring_names_it(
    small_book: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite:///{(tmp_path / 'arscore.db').as_posix()}"
    engine = make_engine(database_url)
    upgrade(engine)
    write_ledger(engine, small_book)
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path))
    monkeypatch.setenv("ARSCORE_DATABASE_URL", database_url)
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    runner = CliRunner()

    trained = runner.invoke(cli, ["train", "--task", "default_pd", "--task", "proxy_pd"])
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "out"
    rescored = runner.invoke(cli, ["rescore", "--as-of", "2026-10-31", "--out", str(out)])

    assert rescored.exit_code == 0, rescored.output
    n = len(small_book.customers)
    assert f"PD from: proxy_model {n:,}" in rescored.output
    with (out / "customers.csv").open() as f:
        customers = list(csv.DictReader(f))
    assert len(customers) == n
    assert {c["pd_basis"] for c in customers} == {"proxy_model"}
    assert all(c["default_probability"] and c["risk_grade"] for c in customers)
    with engine.connect() as connection:
        stored = connection.execute(select(tables.customer_scores.c.pd_basis)).scalars().all()
        versions = connection.execute(select(tables.rescore_runs.c.model_versions)).first()
    engine.dispose()
    assert stored == ["proxy_model"] * n
    assert versions is not None
    assert Task.PROXY_PD.registered_name in str(versions[0])
    assert "proxy_pd: proxy model serves: higher validation AUC" in " ".join(trained.output.split())

    # A policy that asks the proxy to lead by more than 0.2 AUC: the scorecard serves, the new
    # version is registered but not champion, and the earlier champion is withdrawn.
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("training:\n  selection_margin: 0.2\n", encoding="utf-8")
    monkeypatch.setenv("ARSCORE_POLICY_FILE", str(policy_file))
    retrained = runner.invoke(cli, ["train", "--task", "default_pd", "--task", "proxy_pd"])
    assert retrained.exit_code == 0, retrained.output
    said = " ".join(retrained.output.split())
    assert "arscore-proxy-pd v2: not champion — expert scorecard serves: the proxy model" in said
    assert "the champion alias was removed from v1, so serving falls back" in said
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert champion(Task.PROXY_PD.registered_name, tracking) is None
    run_id = list_versions(Task.PROXY_PD.registered_name, tracking)[0].run_id
    metrics = MlflowClient(tracking_uri=tracking).get_run(run_id).data.metrics
    assert metrics["valid_auc_expert_scorecard"] + 0.2 >= metrics["valid_auc_proxy"]
    out2 = tmp_path / "out2"
    rescored = runner.invoke(cli, ["rescore", "--as-of", "2026-10-31", "--out", str(out2)])
    assert rescored.exit_code == 0, rescored.output
    assert f"PD from: expert_scorecard {n:,}" in rescored.output
