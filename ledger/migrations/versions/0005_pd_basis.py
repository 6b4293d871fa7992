"""Stored rescoring rows name the tier that gave each PD (pd_basis: model, expert_scorecard).

Revision ID: 0005_pd_basis
Revises: 0004_ledger_as_of
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_pd_basis"
down_revision = "0004_ledger_as_of"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on earlier rows says "stored before pd_basis was recorded", rather than a guess.
    with op.batch_alter_table("customer_scores") as batch:
        batch.add_column(sa.Column("pd_basis", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("customer_scores") as batch:
        batch.drop_column("pd_basis")
