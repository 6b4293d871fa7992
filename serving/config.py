"""The scoring service's own configuration section (composed by arscore's settings)."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.tasks import CHAMPION_ALIAS, REGISTERED_MODELS, Task

# The largest JSON an upload row takes, measured: an invoice with every column (a credit note's
# reference_invoice_id included), 64-character ids, a negative 17-digit amount and all four
# dates is 452 bytes compact and 625 bytes as a record of an indented batch (payments and
# orders are smaller). The default body limit is a full batch of such rows, so the documented
# batch of ``max_batch_rows`` can always be sent.
UPLOAD_ROW_BYTES = 700


class ServingConfig(BaseModel):
    """Limits and model names the service needs; defaults suit a single-node deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(
        10_000 * UPLOAD_ROW_BYTES,
        ge=1_000,
        description="Largest request body (413); by default max_batch_rows x UPLOAD_ROW_BYTES",
    )
    max_batch_rows: int = Field(10_000, ge=1, description="Most rows in one bulk upsert (413)")
    default_pd_model: str = REGISTERED_MODELS[Task.DEFAULT_PD]
    proxy_pd_model: str = REGISTERED_MODELS[Task.PROXY_PD]
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

    portfolio_cache_entries: int = Field(
        8,
        ge=0,
        le=1_000,
        description="Portfolio answers (GET /v1/portfolio/aging, one per as-of date) each worker "
        "keeps for the current ledger version; any write to the ledger makes them stale "
        "(0: no cache, every call reads the whole ledger)",
    )
    heavy_calls_per_minute: float = Field(
        60.0,
        ge=0,
        description="Calls per minute each caller (token) may make to the endpoints that read "
        "the whole ledger (portfolio aging, starting a rescoring job), per worker; more answer "
        "429 with Retry-After (0: no limit)",
    )
    heavy_call_burst: int = Field(
        10, ge=1, description="Heavy calls a caller may make at once before the rate applies"
    )
    public_health_detail: bool = Field(
        False,
        description="Whether /readyz and /metrics show everything (problems, model versions, "
        "data dates, worker pid; per-route counts) without an API token. Off: /readyz says "
        "only ready or not to anonymous callers and /metrics needs a token",
    )
    session_minutes: float = Field(
        480.0,
        gt=0,
        le=10_080,
        description="How long a web-page sign-in lasts (a working day by default); then the "
        "user signs in again",
    )

    @model_validator(mode="before")
    @classmethod
    def _body_fits_a_full_batch(cls, data: Any) -> Any:
        # Unless set, the body limit follows the batch limit: one full batch always fits.
        if isinstance(data, dict) and data.get("max_body_bytes") is None:
            rows = data.get("max_batch_rows", cls.model_fields["max_batch_rows"].default)
            # A bad max_batch_rows is left for the field's own validation to name.
            with contextlib.suppress(TypeError, ValueError):
                data = {**data, "max_body_bytes": int(rows) * UPLOAD_ROW_BYTES}
        return data
