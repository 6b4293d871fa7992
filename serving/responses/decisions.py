"""Answer of ``/v1/decisions/{id}``: a decision as the audit trail holds it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from serving.responses.common import Response


class StoredDecision(Response):
    decision_id: str
    created_at: str
    caller_name: str
    caller_role: str
    endpoint: str
    customer_id: str | None
    model_versions: dict[str, str]
    policy_version: str
    input_fingerprint: str
    inputs: dict[str, Any] = Field(description="The request as recorded")
    outputs: dict[str, Any] = Field(description="The answer as recorded, as it was returned")
