"""Where the data lives is never a surprise: every command that reads the database names it
first, and ``arscore info`` shows home, database, model store, policy, as-of date and
champions without creating anything."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arscore.cli import app

runner = CliRunner()

INVOICES = (
    "invoice_id,customer_id,invoice_date,due_date,amount\n"
    "I1,C1,2025-01-10,2025-02-09,100.00\n"
    "I2,C1,2025-02-10,2025-03-12,50.00\n"
)


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


def _ingest(tmp_path: Path) -> None:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(INVOICES)
    result = runner.invoke(app, ["ingest", "--invoices", str(invoices)])
    assert result.exit_code == 0, result.output


def _info(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines())


def test_info_on_a_new_home_says_so_and_creates_nothing(home: Path) -> None:
    result = runner.invoke(app, ["info"])

    assert result.exit_code == 0, result.output
    shown = {k: " ".join(v.split()) for k, v in _info(result.output).items()}
    assert shown["Home"].startswith(f"{home} (does not exist yet")
    assert shown["Database"] == f"sqlite:///{home}/arscore.db (not created yet)"
    assert shown["MLflow store"] == f"sqlite:///{home}/mlflow.db (not created yet)"
    assert shown["Policy"].startswith("built-in defaults, version arscore-default-1")
    assert shown["Data as of"] == "no ledger yet"
    assert shown["Champion default_pd"] == "none (no model store yet)"
    assert not home.exists()


def test_info_shows_the_ledgers_as_of_date_and_leaves_the_model_store_alone(
    home: Path, tmp_path: Path
) -> None:
    _ingest(tmp_path)

    result = runner.invoke(app, ["info"])

    assert result.exit_code == 0, result.output
    shown = _info(result.output)
    assert shown["Home"].strip() == str(home)
    assert shown["Database"].strip() == f"sqlite:///{home}/arscore.db"
    assert shown["Data as of"].strip() == "2025-02-10"  # the latest date in the data
    assert not (home / "mlflow.db").exists()


def test_info_never_prints_a_database_password(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSCORE_DATABASE_URL", "postgresql://ar:s3cret@127.0.0.1:1/ar")

    result = runner.invoke(app, ["info"])

    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "postgresql://ar:***@127.0.0.1:1/ar" in result.output
    assert "cannot read the database" in _info(result.output)["Data as of"]


@pytest.mark.parametrize(
    "command", [["summary"], ["aging", "--format", "json"], ["token", "list"], ["db", "upgrade"]]
)
def test_commands_that_read_the_database_name_it_first(
    home: Path, tmp_path: Path, command: list[str]
) -> None:
    _ingest(tmp_path)

    result = runner.invoke(app, command)

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == f"Database: sqlite:///{home}/arscore.db"
    assert result.output.splitlines()[0] == result.stderr.splitlines()[0]
    if "json" in command:
        json.loads(result.stdout)  # the line goes to stderr: the JSON stays clean


def test_migration_info_lines_and_their_sources_only_show_with_verbose(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = runner.invoke(app, ["db", "upgrade"])
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path / "another"))  # a new database again
    verbose = runner.invoke(app, ["--verbose", "db", "upgrade"])

    assert quiet.exit_code == 0, quiet.output
    assert verbose.exit_code == 0, verbose.output
    assert "Running upgrade" not in quiet.output
    assert "INFO" not in quiet.output
    assert "Running upgrade  -> 0001" in verbose.output
    assert re.search(r"\w+\.py:\d+", verbose.output)  # where each log line comes from
    assert not re.search(r"\w+\.py:\d+", quiet.output)


@pytest.mark.slow  # creates two MLflow stores (their migrations take ~10 s each)
def test_mlflow_info_lines_only_show_with_verbose(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new MLflow store logs its set-up at INFO ("Creating initial MLflow database tables").
    quiet = runner.invoke(app, ["models"])
    monkeypatch.setenv("ARSCORE_HOME", str(tmp_path / "another"))  # a new store again
    verbose = runner.invoke(app, ["-v", "models"])

    assert quiet.exit_code == 0, quiet.output
    assert verbose.exit_code == 0, verbose.output
    assert "MLflow database tables" not in quiet.output
    assert "INFO" not in quiet.output
    assert "MLflow database tables" in verbose.output
