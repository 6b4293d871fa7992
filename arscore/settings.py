"""The one settings object. Read from the environment (prefix ``ARSCORE_``) or a ``.env`` file;
lower packages receive the values they need as arguments, never this object."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from serving.config import ServingConfig


class Settings(BaseSettings):
    """arscore's runtime configuration.

    ``database_url`` and ``mlflow_tracking_uri`` default to SQLite files under ``home``, so a
    fresh clone needs no configuration at all. The defaults are computed while validating, so
    both are always plain strings afterwards: callers never check them for ``None``.
    """

    model_config = SettingsConfigDict(
        env_prefix="ARSCORE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    home: Path = Field(Path(".arscore"), description="Working directory for local state")
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
