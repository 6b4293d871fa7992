"""Stored rescoring rows keep the rule that set each recommended limit and why, so the
customers worklist of any stored run can say it (issue #11 item 6).

Revision ID: 0008_limit_basis
Revises: 0007_credit_notes
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_limit_basis"
down_revision = "0007_credit_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on earlier rows: the rule was not recorded then.
    with op.batch_alter_table("customer_scores") as batch:
        batch.add_column(sa.Column("limit_rule", sa.String(40)))
        batch.add_column(sa.Column("limit_basis", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("customer_scores") as batch:
        batch.drop_column("limit_basis")
        batch.drop_column("limit_rule")
