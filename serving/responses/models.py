"""Answers of ``/v1/models`` and ``/v1/models/reload``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.responses.common import Response


class ServedModel(Response):
    task: str
    name: str = Field(description="Registered model name, e.g. arscore-default-pd")
    version: str
    loaded_at: str = Field(description="When this worker loaded it (ISO 8601)")
    metrics: dict[str, float | None] = Field(description="Key test metrics from its training run")


class ModelList(Response):
    alias: str = Field(description="The registry alias served, e.g. champion")
    models: list[ServedModel]
    missing: dict[str, str] = Field(description="Per task: why no model is registered")
    errors: dict[str, str] = Field(description="Per task: why the registered model failed to load")
    policy_version: str


class ReloadOutcome(Response):
    """What a reload did for one task; ``version`` and ``reason`` only where they apply."""

    status: Literal["loaded", "unchanged", "kept", "failed", "missing"]
    version: str | None = None
    reason: str | None = None


class ReloadReport(Response):
    models: dict[str, ReloadOutcome] = Field(description="Per task: what the reload did")
    served: dict[str, str] = Field(description="Served version of each model after the reload")
    note: str = Field(description="When the other workers follow")
