"""Answers of the aging views: one customer, the portfolio, and the collector's invoices."""

from __future__ import annotations

from pydantic import Field

from serving.responses.common import DataWarning, Response
from serving.responses.scoring import OverdueRisk


class AgedInvoice(Response):
    invoice_id: str
    customer_id: str
    invoice_date: str
    due_date: str
    amount: float
    open_amount: float
    status: str = Field(description="open (the views list open invoices only)")
    days_overdue: int = Field(description="Negative: not yet due")
    bucket: str
    disputed: bool
    collection_step: str
    collection_action: str


class CustomerAging(Response):
    customer_id: str
    as_of: str
    data_as_of: str | None
    warnings: list[DataWarning]
    buckets: dict[str, float] = Field(description="Open amount per aging bucket")
    total_open: float
    unapplied_credit: float = Field(
        description="Credit notes not yet netted against an open invoice; lowers the exposure"
    )
    total_overdue: float
    max_days_overdue: float | None
    dso: float | None
    overdue_ratio: float | None
    credit_limit: float | None
    exposure: float
    overdue_risk: OverdueRisk
    invoices: list[AgedInvoice]


class BucketTotal(Response):
    bucket: str
    amount: float
    count: int
    share: float | None


class PortfolioAging(Response):
    as_of: str
    data_as_of: str | None
    warnings: list[DataWarning]
    buckets: list[BucketTotal]
    summary: dict[str, float | None] = Field(
        description="Portfolio totals: customers, open_ar, overdue_ratio, dso, cei, customers "
        "per overdue risk grade …"
    )


class CollectionInvoice(Response):
    invoice_id: str
    customer_id: str
    invoice_date: str
    due_date: str
    amount: float
    open_amount: float
    days_overdue: int
    bucket: str
    disputed: bool
    collection_step: str
    collection_action: str
    late_payment_probability: float | None
    expected_days_late: float | None
    expected_payment_date: str | None


class CollectionView(Response):
    customer_id: str
    as_of: str
    data_as_of: str | None
    warnings: list[DataWarning]
    invoices: list[CollectionInvoice]
    model_versions: dict[str, str]
    unavailable: dict[str, str] = Field(description="Per empty field: why no model gave it")
