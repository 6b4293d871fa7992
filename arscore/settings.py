"""The one settings object. Read from the environment (prefix ``ARSCORE_``) or a ``.env`` file;
lower packages receive the values they need as arguments, never this object."""

from __future__ import annotations

import re
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from serving.config import ServingConfig


def default_home() -> Path:
    """The platform's folder for arscore's data: ``~/.local/share/arscore`` on Linux (or under
    ``$XDG_DATA_HOME``), ``~/Library/Application Support/arscore`` on macOS,
    ``%LOCALAPPDATA%\\arscore`` on Windows."""
    return Path(user_data_dir("arscore", appauthor=False))


class Settings(BaseSettings):
    """arscore's runtime configuration.

    ``database_url`` and ``mlflow_tracking_uri`` default to SQLite files under ``home``, so a
    fresh clone needs no configuration at all. ``home`` defaults to the platform's folder for
    application data (:func:`default_home`), never the working directory: every command finds
    the same ledger wherever it is run from. The defaults are computed while validating, so
    both are always plain strings afterwards: callers never check them for ``None``.
    """

    model_config = SettingsConfigDict(
        env_prefix="ARSCORE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    home: Path = Field(
        default_factory=default_home,
        description="Folder for local state: the default SQLite databases, the demo ledger",
    )
    # Declared after ``home``: their default factories read the validated home.
    database_url: str = Field(
        default_factory=lambda data: _sqlite_under(data["home"], "arscore.db"),
        description="SQLAlchemy URL of the ledger database (default: SQLite under home)",
    )
    mlflow_tracking_uri: str = Field(
        default_factory=lambda data: _sqlite_under(data["home"], "mlflow.db"),
        description="MLflow tracking and registry URI (default: SQLite under home)",
    )
    policy_file: Path | None = Field(
        None, description="YAML credit policy file; the built-in defaults apply when unset"
    )
    currency: str = Field("EUR", description="Ledger currency (ISO 4217) when a file has none")
    serving: ServingConfig = Field(
        default_factory=ServingConfig,
        description="The API's limits and model names, e.g. ARSCORE_SERVING__MAX_BODY_BYTES",
    )

    @field_validator("currency")
    @classmethod
    def _currency_is_iso(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(
                f"currency must be a 3-letter ISO 4217 code such as EUR; got {value!r}"
            )
        return value

    @field_validator("home")
    @classmethod
    def _home_is_absolute(cls, value: Path) -> Path:
        # Shown in full by every command, and the same wherever a command is run from.
        return value.expanduser().absolute()

    @field_validator("policy_file")
    @classmethod
    def _policy_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"policy file {str(value)!r} does not exist")
        return value

    def ensure_home(self) -> Path:
        """Create the home directory (for the default SQLite files) and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


def _sqlite_under(home: Path, filename: str) -> str:
    """The SQLAlchemy URL of the SQLite file ``filename`` in ``home``."""
    return f"sqlite:///{(home / filename).as_posix()}"
