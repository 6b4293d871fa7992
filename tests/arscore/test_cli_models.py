"""arscore train / models / promote end to end against a real MLflow store, and the demo job
with training."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arscore.cli import app
from training.registry import champion, list_versions

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path / "home"))
    for name in (
        "ARSCORE_DATABASE_URL",
        "ARSCORE_MLFLOW_TRACKING_URI",
        "ARSCORE_POLICY_FILE",
        "ARSCORE_CURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


# What registering, listing and rolling back need is two versions, not the best model: the
# demo's training budget (``arscore demo``) instead of the policy's full one.
QUICK_TRAINING = """\
training:
  refit_deployed: false
  lightgbm:
    learning_rate: 0.1
    max_boost_rounds: 400
    early_stopping_rounds: 40
"""


@pytest.mark.slow  # trains and registers models end to end
def test_train_registers_lists_and_rolls_back(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(QUICK_TRAINING, encoding="utf-8")
    monkeypatch.setenv("ARSCORE_POLICY_FILE", str(policy))
    out = tmp_path / "ledger"
    assert runner.invoke(app, ["synth", "--out", str(out), "--customers", "700"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(out)]).exit_code == 0

    tracking = f"sqlite:///{home / 'mlflow.db'}"
    first = runner.invoke(app, ["train", "--task", "late_payment", "--late-after-days", "5"])
    assert first.exit_code == 0, first.output
    assert "AUC" in first.output
    # Quiet and log-friendly: a line per stage with seconds, no library INFO, no file:line.
    assert re.search(r"^ +\d+\.\d s  training late_payment on .*rows", first.output, re.M)
    assert "INFO" not in first.output
    assert "Successfully registered model" not in first.output
    assert not re.search(r"\w+\.py:\d+", first.output)
    second = runner.invoke(app, ["train", "--task", "late_payment", "--late-after-days", "5"])
    assert second.exit_code == 0, second.output
    versions = {v.version: v for v in list_versions("arscore-late-payment", tracking)}
    assert sorted(versions) == [1, 2]
    assert versions[1].is_champion  # same data and seed: v2 does not beat v1

    listed = runner.invoke(app, ["models"])
    assert listed.exit_code == 0, listed.output
    assert "arscore-late-payment" in listed.output
    assert "champion" in listed.output

    rollback = runner.invoke(app, ["promote", "arscore-late-payment", "1"])
    assert rollback.exit_code == 0, rollback.output
    assert "version 1 is now champion" in rollback.output
    assert runner.invoke(app, ["promote", "arscore-late-payment", "2"]).exit_code == 0
    assert champion("arscore-late-payment", tracking).version == 2
    info = runner.invoke(app, ["info"])
    assert info.exit_code == 0, info.output
    assert "Champion late_payment:" in info.output
    assert "arscore-late-payment v2 (registered" in info.output
    assert "Champion default_pd:        none" in info.output
    missing = runner.invoke(app, ["promote", "arscore-late-payment", "9"])
    assert missing.exit_code == 2


def test_train_refuses_unknown_tasks_and_empty_ledgers(home: Path) -> None:
    unknown = runner.invoke(app, ["train", "--task", "everything"])
    assert unknown.exit_code == 2
    assert "unknown task" in unknown.output
    empty = runner.invoke(app, ["train"])
    assert empty.exit_code == 1
    assert "no invoices" in empty.output


@pytest.mark.slow  # trains and registers models end to end
def test_demo_trains_what_the_small_ledger_supports(home: Path) -> None:
    result = runner.invoke(app, ["demo", "--customers", "600", "--months", "24"])
    assert result.exit_code == 0, result.output
    assert "4. Models" in result.output
    assert "arscore serve --demo" in result.output
