"""Where a local MLflow store keeps its artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.tracking import artifact_root_for


def test_local_sqlite_store_keeps_artifacts_beside_the_database(tmp_path: Path) -> None:
    uri = f"sqlite:///{(tmp_path / 'home' / 'mlflow.db').as_posix()}"
    assert artifact_root_for(uri) == (tmp_path / "home" / "mlartifacts").as_uri()


def test_relative_sqlite_path_is_resolved_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert artifact_root_for("sqlite:///.arscore/mlflow.db") == (
        (tmp_path / ".arscore" / "mlartifacts").as_uri()
    )


def test_remote_store_decides_its_own_artifact_location() -> None:
    assert artifact_root_for("http://mlflow.internal:5000") is None
