"""Answers of ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.responses.common import DataWarning, Response


class Alive(Response):
    status: Literal["ok"]


class Readiness(Response):
    """Ready (200) or not (503, same body): what is wrong, and how old the ledger's data is.

    Only ``status`` is shown to callers without a token unless ``serving.public_health_detail``
    is set; the other fields are then absent."""

    status: Literal["ready", "not_ready"]
    problems: list[str] | None = Field(
        None, description="Why the worker is not ready; empty when ready"
    )
    notes: list[str] | None = None
    data_as_of: str | None = Field(None, description="The ledger's as-of date (YYYY-MM-DD)")
    data_age_days: int | None = None
    warnings: list[DataWarning] | None = None
    models: dict[str, str] | None = Field(
        None, description="Served version of each registered model"
    )
    worker: int | None = Field(None, description="Process id of the uvicorn worker that answered")
