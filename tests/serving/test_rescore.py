"""Rescoring: the CLI and the job endpoints store every customer's score, equal to the API's."""

from __future__ import annotations

import csv
import time

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from arscore.cli import app as cli
from ledger import tables
from serving.app import create_app

AS_OF = "2026-10-31"


def test_rescore_command_stores_runs_writes_csvs_and_shows_migration(
    private_service, trained, tmp_path, monkeypatch
) -> None:
    state, _ = private_service
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path))
    monkeypatch.setenv("ARSCORE_DATABASE_URL", str(state.engine.url))
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", trained.tracking_uri)
    runner = CliRunner()
    first = runner.invoke(cli, ["rescore", "--as-of", "2026-09-30"])
    assert first.exit_code == 0, first.output
    assert "No previous run" in first.output
    second = runner.invoke(cli, ["rescore", "--as-of", AS_OF, "--out", str(tmp_path / "out")])
    assert second.exit_code == 0, second.output
    assert "Grade migration" in second.output
    assert "Recommended limits total" in second.output
    assert f"PD from: model {len(trained.ledger.customers):,}" in second.output
    with (tmp_path / "out" / "customers.csv").open() as f:
        customers = list(csv.DictReader(f))
    assert len(customers) == len(trained.ledger.customers)
    assert {"customer_id", "default_probability", "risk_grade", "top_reasons"} <= set(customers[0])
    assert {c["pd_basis"] for c in customers} == {"model"}
    with (tmp_path / "out" / "open_invoices.csv").open() as f:
        invoices = list(csv.DictReader(f))
    assert invoices
    assert {"invoice_id", "amount_open", "collection_step"} <= set(invoices[0])
    # Past-due invoices first (issue #11 item 6), each group by expected loss.
    past_due = [int(r["days_overdue"]) > 0 for r in invoices]
    assert past_due == sorted(past_due, reverse=True)
    for group in (True, False):
        losses = [
            float(r["expected_loss"]) for r, p in zip(invoices, past_due, strict=True) if p is group
        ]
        assert losses == sorted(losses, reverse=True)
    assert all(r["late_payment_probability"] and r["customer_name"] for r in invoices)
    book = runner.invoke(
        cli, ["rescore", "--as-of", AS_OF, "--out", str(tmp_path / "xlsx"), "--format", "xlsx"]
    )
    assert book.exit_code == 0, book.output
    sheets = load_workbook(tmp_path / "xlsx" / "worklist.xlsx")
    assert sheets.sheetnames == ["Open invoices", "Customers"]
    assert sheets["Open invoices"].max_row == len(invoices) + 1
    assert sheets["Customers"].max_row == len(customers) + 1
    wrong = runner.invoke(cli, ["rescore", "--out", str(tmp_path), "--format", "pdf"])
    assert wrong.exit_code == 2
    assert "--format must be csv or xlsx" in wrong.output
    bad = runner.invoke(cli, ["rescore", "--as-of", "31/10/2026"])
    assert bad.exit_code == 2
    assert "--as-of" in bad.output


def test_rescore_without_any_model_scores_every_customer_with_the_expert_scorecard(
    private_service, trained, tmp_path, monkeypatch
) -> None:
    # Changed on purpose (issue #10): with no champion registered, `arscore rescore` used to
    # refuse; now the policy's expert scorecard scores every customer and the run says so.
    state, _ = private_service
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path))
    monkeypatch.setenv("ARSCORE_DATABASE_URL", str(state.engine.url))
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["rescore", "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    n = len(trained.ledger.customers)
    assert f"PD from: expert_scorecard {n:,}" in result.output
    with (out / "customers.csv").open() as f:
        customers = list(csv.DictReader(f))
    assert len(customers) == n
    assert {c["pd_basis"] for c in customers} == {"expert_scorecard"}
    assert all(c["default_probability"] and c["risk_grade"] for c in customers)
    assert all(c["recommended_credit_limit"] for c in customers)
    with state.engine.connect() as connection:
        stored = connection.execute(select(tables.customer_scores.c.pd_basis)).scalars().all()
    assert stored == ["expert_scorecard"] * n


def test_rescore_job_results_equal_the_api_scores(private_service, trained) -> None:
    state, tokens = private_service
    admin = {"Authorization": f"Bearer {tokens['risk_admin']}"}
    with TestClient(create_app(state)) as client:
        started = client.post("/v1/portfolio/rescore", json={"as_of": AS_OF}, headers=admin)
        assert started.status_code == 202
        job = started.json()["job_id"]
        deadline = time.monotonic() + 120
        while True:
            status = client.get(f"/v1/portfolio/rescore/{job}", headers=admin).json()
            if status["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status["status"] == "done", status
        assert status["done"] == status["total"] == len(trained.ledger.customers)
        listing = client.get("/v1/portfolio/scores", params={"as_of": AS_OF}, headers=admin)
        assert listing.status_code == 200
        stored = {r["customer_id"]: r for r in listing.json()["scores"]}
        for customer_id in sorted(stored)[::120]:
            api = client.post(
                "/v1/scores", json={"customer_id": customer_id, "as_of": AS_OF}, headers=admin
            ).json()
            row = stored[customer_id]
            assert row["default_probability"] == api["default_probability"]
            assert row["pd_basis"] == api["pd_basis"] == "model"
            assert row["late_payment_probability"] == api["late_payment_probability"]
            assert row["risk_grade"] == api["risk_grade"]
            assert row["recommended_credit_limit"] == api["recommended_credit_limit"]["amount"]
            assert row["reasons"] == api["reasons"][:3]
        one_grade = client.get("/v1/portfolio/scores", params={"grade": 3}, headers=admin).json()
        assert all(r["risk_grade"] == 3 for r in one_grade["scores"])
        sales = {"Authorization": f"Bearer {tokens['sales']}"}
        assert client.post("/v1/portfolio/rescore", json={}, headers=sales).status_code == 403
        assert client.get(f"/v1/portfolio/rescore/{job}", headers=sales).status_code == 403
        assert client.get("/v1/portfolio/scores", headers=sales).status_code == 403
        unknown = client.get("/v1/portfolio/rescore/nope", headers=admin)
        assert unknown.status_code == 404
        bad = client.post("/v1/portfolio/rescore", json={"as_of": "later"}, headers=admin)
        assert bad.status_code == 422
    with state.engine.connect() as connection:
        run = connection.execute(
            select(tables.rescore_runs).where(tables.rescore_runs.c.run_id == job)
        ).one()
    assert "arscore-default-pd" in run.model_versions


def test_rescore_command_defaults_to_the_ledgers_date_and_records_it(
    private_service, trained, tmp_path, monkeypatch
) -> None:
    state, _ = private_service
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path))
    monkeypatch.setenv("ARSCORE_DATABASE_URL", str(state.engine.url))
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", trained.tracking_uri)
    result = CliRunner().invoke(cli, ["rescore", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"As of {AS_OF}, the date the ledger's data runs to" in result.output
    with (tmp_path / "out" / "customers.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {(r["as_of"], r["data_as_of"]) for r in rows} == {(AS_OF, AS_OF)}
    with (tmp_path / "out" / "open_invoices.csv").open() as f:
        assert {r["data_as_of"] for r in csv.DictReader(f)} == {AS_OF}
    with state.engine.connect() as connection:
        run = connection.execute(select(tables.rescore_runs)).one()
    assert run.as_of.isoformat() == run.data_as_of.isoformat() == AS_OF


def test_one_customer_that_cannot_be_scored_costs_only_that_customer(
    private_service, trained, tmp_path, monkeypatch
) -> None:
    # Issue #11: one customer whose data broke scoring made the whole rescore score 0 of 1,502.
    # The fault is injected into the real scoring function for one customer only.
    import serving.rescore as rescoring

    state, _ = private_service
    broken = str(trained.ledger.customers["customer_id"].iloc[3])
    real = rescoring.score_customers

    def fails_for_one(arrays, *args, **kwargs):
        if broken in set(arrays.customers["customer_id"].astype(str)):
            raise ValueError("amount overflow in this customer's invoices")
        return real(arrays, *args, **kwargs)

    monkeypatch.setattr(rescoring, "score_customers", fails_for_one)
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path))
    monkeypatch.setenv("ARSCORE_DATABASE_URL", str(state.engine.url))
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["rescore", "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    n = len(trained.ledger.customers)
    assert f"Could not score {broken}: ValueError: amount overflow" in result.output
    with (out / "customers.csv").open() as f:
        customers = [row["customer_id"] for row in csv.DictReader(f)]
    assert len(customers) == n - 1
    assert broken not in customers
    with state.engine.connect() as connection:
        run = connection.execute(
            select(tables.rescore_runs).order_by(tables.rescore_runs.c.started_at.desc())
        ).first()
        stored = (
            connection.execute(
                select(tables.customer_scores.c.customer_id).where(
                    tables.customer_scores.c.run_id == run.run_id
                )
            )
            .scalars()
            .all()
        )
    assert run.status == "done"
    assert run.done == run.total == n
    assert f"scored {n - 1} of {n} customers; could not score {broken} (ValueError" in run.error
    assert len(stored) == n - 1
    assert broken not in stored


def test_a_fault_no_customer_survives_still_fails_the_run(
    private_service, tmp_path, monkeypatch
) -> None:
    import serving.rescore as rescoring

    state, _ = private_service

    def always_fails(*args, **kwargs):
        raise RuntimeError("the model file is corrupt")

    monkeypatch.setattr(rescoring, "score_customers", always_fails)
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path))
    monkeypatch.setenv("ARSCORE_DATABASE_URL", str(state.engine.url))
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(cli, ["rescore", "--as-of", AS_OF])
    assert result.exit_code != 0
    with state.engine.connect() as connection:
        run = connection.execute(
            select(tables.rescore_runs).order_by(tables.rescore_runs.c.started_at.desc())
        ).first()
    assert run.status == "failed"
    assert "the model file is corrupt" in run.error
