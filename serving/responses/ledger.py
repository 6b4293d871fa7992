"""Answers of the bulk upserts ``/v1/ledger/{invoices,payments,orders}``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.responses.common import Response


class UpsertResult(Response):
    entity: Literal["invoices", "payments", "orders"]
    rows_written: dict[str, int] = Field(description="Rows written per table")
    data_as_of: str | None = Field(description="The ledger's as-of date after the batch")
