"""Ledger tables: customers, invoices, payments, orders and the ingest log.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None


def _updated_at() -> sa.Column:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("country", sa.String(2)),
        sa.Column("industry", sa.String(100)),
        sa.Column("onboarding_date", sa.Date),
        sa.Column("payment_terms_days", sa.Integer),
        sa.Column("credit_limit", sa.Double),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("years_in_business", sa.Double),
        sa.Column("annual_revenue", sa.Double),
        sa.Column("employees", sa.Integer),
        sa.Column("total_assets", sa.Double),
        sa.Column("total_liabilities", sa.Double),
        sa.Column("current_assets", sa.Double),
        sa.Column("current_liabilities", sa.Double),
        sa.Column("net_income", sa.Double),
        sa.Column("bureau_score", sa.Double),
        _updated_at(),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column(
            "customer_id",
            sa.String(64),
            sa.ForeignKey("customers.customer_id", name="fk_invoices_customer_id_customers"),
            nullable=False,
        ),
        sa.Column("invoice_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Double, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("disputed", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("dispute_date", sa.Date),
        sa.Column("written_off_date", sa.Date),
        sa.Column("paid_date", sa.Date),
        _updated_at(),
    )
    op.create_index("ix_invoices_customer_id", "invoices", ["customer_id"])
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(64), primary_key=True),
        sa.Column(
            "invoice_id",
            sa.String(64),
            sa.ForeignKey("invoices.invoice_id", name="fk_payments_invoice_id_invoices"),
            nullable=False,
        ),
        sa.Column("payment_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Double, nullable=False),
        _updated_at(),
    )
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column(
            "customer_id",
            sa.String(64),
            sa.ForeignKey("customers.customer_id", name="fk_orders_customer_id_customers"),
            nullable=False,
        ),
        sa.Column("order_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Double, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _updated_at(),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    op.create_table(
        "ingest_runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("invoices", sa.Integer, nullable=False),
        sa.Column("payments", sa.Integer, nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("notes", sa.Text),
    )


def downgrade() -> None:
    for name in ("ingest_runs", "orders", "payments", "invoices", "customers"):
        op.drop_table(name)
