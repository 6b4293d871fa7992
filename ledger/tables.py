"""SQL tables of the ledger (SQLAlchemy 2 Core metadata; Alembic migrations create them).

Money is stored as double precision: pandas is the interchange format and float64 round-trips
exactly; amounts are never rounded on the way in.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)


def _updated_at() -> Column:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


customers = Table(
    "customers",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("name", String(200)),
    Column("country", String(2)),
    Column("industry", String(100)),
    Column("onboarding_date", Date),
    Column("payment_terms_days", Integer),
    Column("credit_limit", Double),
    Column("currency", String(3), nullable=False),
    Column("years_in_business", Double),
    Column("annual_revenue", Double),
    Column("employees", Integer),
    Column("total_assets", Double),
    Column("total_liabilities", Double),
    Column("current_assets", Double),
    Column("current_liabilities", Double),
    Column("net_income", Double),
    Column("bureau_score", Double),
    _updated_at(),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Double, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("disputed", Boolean, nullable=False, server_default="0"),
    Column("dispute_date", Date),
    Column("written_off_date", Date),
    Column("paid_date", Date),
    _updated_at(),
    Index("ix_invoices_customer_id", "customer_id"),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", ID, primary_key=True),
    Column("invoice_id", ID, ForeignKey("invoices.invoice_id"), nullable=False),
    Column("payment_date", Date, nullable=False),
    Column("amount", Double, nullable=False),
    _updated_at(),
    Index("ix_payments_invoice_id", "invoice_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("amount", Double, nullable=False),
    Column("status", String(16), nullable=False),
    _updated_at(),
    Index("ix_orders_customer_id", "customer_id"),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("source", Text, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("invoices", Integer, nullable=False),
    Column("payments", Integer, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("notes", Text),
)

ENTITY_TABLES: dict[str, Table] = {
    "customers": customers,
    "invoices": invoices,
    "payments": payments,
    "orders": orders,
}
