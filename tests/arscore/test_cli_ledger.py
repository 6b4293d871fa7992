"""The ledger commands end to end: synth → ingest → summary, refusals, and the demo job."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arscore.cli import app
from ledger.storage import make_engine, table_counts

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path / "home"))
    for name in ("ARSCORE_DATABASE_URL", "ARSCORE_POLICY_FILE", "ARSCORE_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def counts(home: Path) -> dict[str, int]:
    return table_counts(make_engine(f"sqlite:///{home / 'arscore.db'}"))


def test_synth_then_ingest_then_summary(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "ledger"
    result = runner.invoke(
        app, ["synth", "--out", str(out), "--customers", "150", "--months", "12"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "invoices.csv").is_file()
    assert (out / "truth.csv").is_file()

    result = runner.invoke(app, ["ingest", str(out)])
    assert result.exit_code == 0, result.output
    assert "Loaded" in result.output
    # A line per stage with its counts and seconds, as readable in a log as on a terminal.
    assert re.search(
        r"^Read [\d,]+ rows from customers\.csv, .* in \d+\.\d s\.$", result.stdout, re.M
    )
    assert re.search(
        r"^Checked [\d,]+ rows against every rule in \d+\.\d s\.$", result.stdout, re.M
    )
    assert re.search(r"^Wrote [\d,]+ rows in one transaction in \d+\.\d s\.$", result.stdout, re.M)
    loaded = counts(home)
    assert loaded["customers"] == 150
    assert loaded["invoices"] > 1000

    again = runner.invoke(app, ["ingest", str(out)])  # idempotent
    assert again.exit_code == 0, again.output
    assert counts(home) == loaded

    result = runner.invoke(app, ["summary"])
    assert result.exit_code == 0, result.output
    assert "Ledger summary" in result.output
    assert "Paid after due date" in result.output


def test_bad_file_exits_non_zero_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "invoices.csv"
    bad.write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount\n"
        "I1,C1,2025-01-10,2025-02-09,100.00\n"
        "I2,C1,2025-02-10,2025-01-01,-5\n"
    )
    result = runner.invoke(app, ["ingest", "--invoices", str(bad)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert counts(home) == {"customers": 0, "invoices": 0, "payments": 0, "orders": 0}


def test_ingest_needs_a_source(home: Path) -> None:
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 2
    assert "at least --invoices" in result.output


def test_demo_generates_loads_and_summarises(home: Path) -> None:
    result = runner.invoke(app, ["demo", "--customers", "120", "--months", "12", "--no-train"])
    assert result.exit_code == 0, result.output
    assert "Ledger summary" in result.output
    assert counts(home)["customers"] == 120


def test_a_second_demo_reuses_the_first_unless_told_to_start_fresh(home: Path) -> None:
    args = ["demo", "--customers", "120", "--months", "12", "--no-train"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Where the time went: synthetic ledger" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "already in place" in again.output
    assert "Ledger summary" not in again.output
    fresh = runner.invoke(app, [*args, "--fresh"])
    assert fresh.exit_code == 0, fresh.output
    assert "Ledger summary" in fresh.output
    (home / "demo-ledger" / "demo.json").write_text("{}")  # another demo's marker
    other = runner.invoke(app, args)
    assert other.exit_code == 0, other.output
    assert "Ledger summary" in other.output
    assert counts(home)["customers"] == 120


def test_the_demo_budget_is_smaller_and_leaves_the_policy_alone() -> None:
    from arscore.commands.ledger_cmds import demo_training
    from training.policy import TrainingPolicy

    policy = TrainingPolicy()
    budget = demo_training(policy)
    assert budget.lightgbm.learning_rate == 0.1
    assert budget.lightgbm.max_boost_rounds == 400
    assert budget.lightgbm.early_stopping_rounds == 40
    assert budget.refit_deployed is False
    assert policy == TrainingPolicy()  # `arscore train` still gets the policy's settings
    assert policy.lightgbm.max_boost_rounds == 3000
    assert policy.refit_deployed is True


def test_ingest_keeps_approved_limits_unless_told_to_update_them(
    home: Path, tmp_path: Path
) -> None:
    files = tmp_path / "erp"
    files.mkdir()
    (files / "customers.csv").write_text(
        "customer_id,name,country,industry,onboarding_date,payment_terms_days,credit_limit\n"
        "C000003,Gamma SA,FR,Retail,2023-01-15,30,10000\n"
    )
    (files / "invoices.csv").write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount\nI1,C000003,2024-01-10,2024-02-09,50\n"
    )
    assert runner.invoke(app, ["ingest", str(files)]).exit_code == 0
    engine = make_engine(f"sqlite:///{home / 'arscore.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE customers SET credit_limit = 1234")

    kept = runner.invoke(app, ["ingest", str(files)])
    limit_after_kept = _limit(engine)
    updated = runner.invoke(app, ["ingest", str(files), "--update-limits"])

    assert kept.exit_code == 0, kept.output
    assert "the approved limits were kept" in " ".join(kept.output.split())
    assert limit_after_kept == 1234
    assert updated.exit_code == 0, updated.output
    assert "credit limit set or changed for 1 customer " in " ".join(updated.output.split())
    assert _limit(engine) == 10_000


def _limit(engine) -> float:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT credit_limit FROM customers").scalar_one()


def test_ingest_takes_a_german_export_with_decimal_encoding_and_map(
    home: Path, tmp_path: Path
) -> None:
    export = tmp_path / "Rechnungen.csv"
    export.write_bytes(
        "Beleg;Kunde;Kundenname;Datum;Fällig;Betrag\r\n"
        "R1;010002;Müller GmbH;15.01.2024;14.02.2024;1.234,50\r\n".encode("cp1252")
    )
    items = ["invoice_id=Beleg", "customer_id=Kunde", "name=Kundenname", "invoice_date=Datum"]
    items += ["due_date=Fällig", "amount=Betrag"]
    args = ["ingest", "--invoices", str(export), "--date-format", "%d.%m.%Y"]
    args += ["--decimal", ",", "--encoding", "cp1252"]
    for item in items:
        args += ["--map", item]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert counts(home)["invoices"] == 1
    refused = runner.invoke(app, ["ingest", "--invoices", str(export), "--decimal", ";"])
    assert refused.exit_code == 2
    assert "--decimal must be ',' or '.'" in refused.output
