"""The ``arscore features`` and ``arscore aging`` commands, end to end on a SQLite database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from arscore import runtime
from arscore.cli import app
from arscore.policy import Policy, policy_fingerprint
from features.customer import build_customer_features
from ledger.frames import Ledger
from ledger.storage import load_ledger, make_engine, upgrade, write_ledger

T = "2024-06-30"


@pytest.fixture
def env(tmp_path: Path, hand_ledger: Ledger) -> dict[str, str]:
    url = f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"
    engine = make_engine(url)
    upgrade(engine)
    write_ledger(engine, hand_ledger)
    engine.dispose()
    return {"ARSCORE_DATABASE_URL": url, "ARSCORE_HOME": str(tmp_path / "home")}


def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_features_command_writes_the_batch_features(env, tmp_path: Path) -> None:
    out = tmp_path / "out" / "features.parquet"
    code, stdout, _ = _run(env, "features", "--as-of", T, "--out", str(out))
    assert code == 0, stdout
    assert "Wrote 3 customers" in stdout
    written = pd.read_parquet(out).set_index("customer_id")
    engine = make_engine(env["ARSCORE_DATABASE_URL"])
    expected = build_customer_features(load_ledger(engine), T)
    pd.testing.assert_frame_equal(written, expected, check_index_type=False)
    metadata = pq.read_schema(out).metadata
    assert metadata[b"arscore.as_of"] == b"2024-06-30"
    assert metadata[b"arscore.policy_fingerprint"] == policy_fingerprint(Policy()).encode()
    assert not list(out.parent.glob(".*.tmp"))


def test_aging_portfolio_table(env) -> None:
    code, stdout, _ = _run(env, "aging", "--as-of", T)
    assert code == 0, stdout
    assert "Receivables as of 2024-06-30" in stdout
    assert "€1,600" in stdout  # open receivables
    assert "91-180" in stdout


@pytest.mark.parametrize("width", [80, 140])
def test_aged_debtors_fit_the_terminal_one_line_per_customer(env, monkeypatch, width) -> None:
    monkeypatch.setattr(runtime.console, "width", width)
    code, stdout, _ = _run(env, "aging", "--as-of", T)
    assert code == 0, stdout
    assert max(len(line) for line in stdout.splitlines()) <= width
    row = next(line for line in stdout.splitlines() if "C1 Alpha GmbH" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    if width == 80:  # open, overdue, oldest overdue, grade
        assert cells == ["C1 Alpha GmbH", "€1,100", "€300", "30 days", "high"]
    else:  # open and every bucket: 800 current, 300 in 1-30, the others empty
        assert cells == ["C1 Alpha GmbH", "€1,100", "€800", "€300", *["—"] * 4, "30 days", "high"]


def test_aging_portfolio_json(env) -> None:
    code, stdout, _ = _run(env, "aging", "--as-of", T, "--format", "json")
    assert code == 0
    payload = json.loads(stdout)
    assert payload["summary"]["open_ar"] == 1600
    assert [b["bucket"] for b in payload["buckets"]][:2] == ["current", "1-30"]
    assert [c["customer_id"] for c in payload["customers"]] == ["C2", "C1"]


def _refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


@pytest.mark.parametrize("customer", [[], ["--customer", "C1"]])
def test_aging_json_is_strict_json(env, customer: list[str]) -> None:
    """No NaN or Infinity tokens: the output goes through models.jsonable, like the API's."""
    code, stdout, _ = _run(env, "aging", "--as-of", T, *customer, "--format", "json")
    assert code == 0
    payload = json.loads(stdout, parse_constant=_refuse)
    assert payload["as_of"] == T


def test_aging_portfolio_csv_is_the_aged_debtors_list(env) -> None:
    code, stdout, _ = _run(env, "aging", "--as-of", T, "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(stdout), index_col="customer_id")
    assert list(table.index) == ["C2", "C1"]
    assert table.loc["C1", "current"] == 800
    assert table.loc["C2", "risk_grade"] == "critical"


def test_aging_one_customer(env) -> None:
    code, stdout, _ = _run(env, "aging", "--as-of", T, "--customer", "C1")
    assert code == 0, stdout
    assert "Alpha GmbH" in stdout
    assert "I4" in stdout
    assert "I5" in stdout
    assert "Early warnings" in stdout
    code, stdout, _ = _run(env, "aging", "--as-of", T, "--customer", "C1", "--format", "json")
    payload = json.loads(stdout)
    assert payload["customer"]["risk_grade"] == "high"
    assert {i["invoice_id"] for i in payload["invoices"]} == {"I4", "I5"}
    assert {w["code"] for w in payload["warnings"]} >= {"dso_rising", "payment_silence"}
    code, stdout, _ = _run(env, "aging", "--as-of", T, "--customer", "C1", "--format", "csv")
    assert pd.read_csv(io.StringIO(stdout))["invoice_id"].tolist() == ["I4", "I5"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["aging", "--as-of", "30/06/2024"], "--as-of must be a date like"),
        (["aging", "--as-of", T, "--format", "xml"], "--format must be table, json or csv"),
        (["aging", "--as-of", T, "--customer", "C404"], "no customer with customer_id 'C404'"),
    ],
)
def test_bad_arguments_are_explained(env, args, message) -> None:
    code, _stdout, stderr = _run(env, *args)
    assert code == 2
    assert message in stderr


def test_invalid_policy_file_stops_the_command(env, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("aging:\n  bucket_edges: [0, 30, 20]\n", encoding="utf-8")
    out = tmp_path / "f.parquet"
    code, _, stderr = _run(
        {**env, "ARSCORE_POLICY_FILE": str(policy)}, "features", "--as-of", T, "--out", str(out)
    )
    assert code == 2
    assert "aging.bucket_edges: must increase strictly" in stderr
    assert not out.exists()


def test_policy_file_buckets_reach_the_report(env, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("aging:\n  bucket_edges: [0, 60]\n", encoding="utf-8")
    code, stdout, _ = _run(
        {**env, "ARSCORE_POLICY_FILE": str(policy)}, "aging", "--as-of", T, "--format", "json"
    )
    assert code == 0
    assert [b["bucket"] for b in json.loads(stdout)["buckets"]] == ["current", "1-60", "over 60"]


def test_features_as_of_lists_only_customers_onboarded_by_then(env, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    code, stdout, _ = _run(env, "features", "--as-of", "2024-05-31", "--out", str(out))
    assert code == 0, stdout
    assert "Wrote 2 customers" in stdout  # C3 is onboarded on 2024-06-01
    assert sorted(pd.read_parquet(out)["customer_id"]) == ["C1", "C2"]


def test_aging_defaults_to_the_ledgers_own_date(env) -> None:
    from ledger.as_of import ledger_as_of

    data_as_of = ledger_as_of(make_engine(env["ARSCORE_DATABASE_URL"]))
    code, stdout, stderr = _run(env, "aging")
    assert code == 0, stderr
    assert f"Receivables as of {data_as_of}" in stdout
    assert f"As of {data_as_of}, the date the ledger's data runs to" in stderr
    assert "warning:" in stderr  # the hand ledger's data ended in 2024: stale
    assert "days ago" in stderr
