"""Answers of ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.responses.common import DataWarning, Response


class Alive(Response):
    status: Literal["ok"]


class Readiness(Response):
    """Ready (200) or not (503, same body): what is wrong, and how old the ledger's data is."""

    status: Literal["ready", "not_ready"]
    problems: list[str] = Field(description="Why the worker is not ready; empty when ready")
    notes: list[str]
    data_as_of: str | None = Field(description="The ledger's as-of date (YYYY-MM-DD)")
    data_age_days: int | None
    warnings: list[DataWarning]
    models: dict[str, str] = Field(description="Served version of each registered model")
    worker: int = Field(description="Process id of the uvicorn worker that answered")
