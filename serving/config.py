"""The scoring service's own configuration section (composed by arscore's settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.tasks import CHAMPION_ALIAS, REGISTERED_MODELS, Task


class ServingConfig(BaseModel):
    """Limits and model names the service needs; defaults suit a single-node deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(1_000_000, ge=1_000, description="Largest request body (413)")
    max_batch_rows: int = Field(10_000, ge=1, description="Most rows in one bulk upsert (413)")
    default_pd_model: str = REGISTERED_MODELS[Task.DEFAULT_PD]
    late_payment_model: str = REGISTERED_MODELS[Task.LATE_PAYMENT]
    days_late_model: str = REGISTERED_MODELS[Task.DAYS_LATE]
    onboarding_model: str = REGISTERED_MODELS[Task.ONBOARDING_PD]
    model_alias: str = CHAMPION_ALIAS
    refer_days_overdue: int = Field(
        60, ge=1, description="A limit check is referred when an invoice is this many days overdue"
    )
    reason_count: int = Field(3, ge=1, le=10, description="Reasons each way in a score")
    model_poll_seconds: float = Field(
        60.0,
        ge=0,
        description="How often each worker re-reads the champion aliases from the registry "
        "(0: never; reloads then come only from reload requests)",
    )
    reload_check_seconds: float = Field(
        2.0,
        ge=0,
        description="How often each worker looks for a reload request (POST /v1/models/reload, "
        "arscore promote) in the database (0: never; only the answering worker reloads)",
    )
