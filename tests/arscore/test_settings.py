"""Settings: defaults under ARSCORE_HOME, environment overrides, clear refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from arscore.settings import Settings, default_home


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "ARSCORE_HOME",
        "ARSCORE_DATABASE_URL",
        "ARSCORE_MLFLOW_TRACKING_URI",
        "ARSCORE_POLICY_FILE",
        "ARSCORE_CURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_defaults_put_both_databases_under_the_platforms_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The default home used to be ./.arscore: run from another folder, a command silently
    # opened a new, empty ledger. It now follows the platform's convention for app data.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = Settings()
    assert settings.home == default_home()
    if sys.platform.startswith("linux"):
        assert settings.home == tmp_path / "data" / "arscore"
    assert settings.database_url == f"sqlite:///{settings.home.as_posix()}/arscore.db"
    assert settings.mlflow_tracking_uri == f"sqlite:///{settings.home.as_posix()}/mlflow.db"
    assert settings.policy_file is None
    assert settings.currency == "EUR"


def test_the_default_home_does_not_depend_on_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = Settings().home
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert Settings().home == first


def test_a_relative_home_is_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARSCORE_HOME", ".arscore")
    settings = Settings()
    assert settings.home == tmp_path / ".arscore"
    assert settings.database_url == f"sqlite:///{(tmp_path / '.arscore').as_posix()}/arscore.db"


def test_home_moves_the_default_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSCORE_HOME", "/srv/arscore")
    settings = Settings()
    assert settings.database_url == "sqlite:////srv/arscore/arscore.db"
    assert settings.mlflow_tracking_uri == "sqlite:////srv/arscore/mlflow.db"


def test_explicit_urls_win_over_the_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSCORE_DATABASE_URL", "postgresql://app@db/ar")
    monkeypatch.setenv("ARSCORE_MLFLOW_TRACKING_URI", "http://mlflow:5000")
    settings = Settings()
    assert settings.database_url == "postgresql://app@db/ar"
    assert settings.mlflow_tracking_uri == "http://mlflow:5000"


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ARSCORE_CURRENCY=USD\n")
    assert Settings().currency == "USD"


@pytest.mark.parametrize("bad", ["eur", "EURO", "€"])
def test_currency_must_be_an_iso_code(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("ARSCORE_CURRENCY", bad)
    with pytest.raises(ValidationError, match="3-letter ISO 4217"):
        Settings()


def test_missing_policy_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSCORE_POLICY_FILE", "/no/such/policy.yaml")
    with pytest.raises(ValidationError, match="does not exist"):
        Settings()


def test_ensure_home_creates_the_folder(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "state")
    assert settings.ensure_home().is_dir()


def test_the_service_section_reads_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSCORE_SERVING__MAX_BODY_BYTES", "50000")
    monkeypatch.setenv("ARSCORE_SERVING__RELOAD_CHECK_SECONDS", "0")
    settings = Settings()
    assert settings.serving.max_body_bytes == 50_000
    assert settings.serving.reload_check_seconds == 0
    assert settings.serving.model_alias == "champion"


def test_a_bad_service_setting_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSCORE_SERVING__MAX_BODY_BYTES", "10")
    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings()
