"""Credit notes: an invoice line with a negative amount, optionally naming the invoice it
credits (``reference_invoice_id``), so one table and one upsert path hold both.

No foreign key: a credit note and its invoice may arrive in one batch in either order, and
ingest checks the reference (known, same customer, an invoice rather than a credit note).

Revision ID: 0007_credit_notes
Revises: 0006_rescore_worker
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_credit_notes"
down_revision = "0006_rescore_worker"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("reference_invoice_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("reference_invoice_id")
