"""Covering indexes for the limit check: a customer's invoices and their payments are read from
the indexes alone (measured: the reads took 0.69 ms instead of 1.16 ms after another worker's
write, 0.50 ms instead of 0.80 ms otherwise). They replace the single-column indexes they start
with, so every other read keeps its index.

Revision ID: 0004_covering_indexes
Revises: 0003_model_reload_requests
Create Date: 2026-11-24
"""

from alembic import op

revision = "0004_covering_indexes"
down_revision = "0003_model_reload_requests"
branch_labels = None
depends_on = None

_INVOICE_COLUMNS = [
    "customer_id",
    "invoice_date",
    "invoice_id",
    "amount",
    "due_date",
    "written_off_date",
    "paid_date",
]


def upgrade() -> None:
    op.create_index("ix_invoices_customer_position", "invoices", _INVOICE_COLUMNS)
    op.drop_index("ix_invoices_customer_id", table_name="invoices")
    op.create_index(
        "ix_payments_invoice_amounts", "payments", ["invoice_id", "payment_date", "amount"]
    )
    op.drop_index("ix_payments_invoice_id", table_name="payments")


def downgrade() -> None:
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])
    op.drop_index("ix_payments_invoice_amounts", table_name="payments")
    op.create_index("ix_invoices_customer_id", "invoices", ["customer_id"])
    op.drop_index("ix_invoices_customer_position", table_name="invoices")
