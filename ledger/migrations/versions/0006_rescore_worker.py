"""Rescoring runs name the worker running them and its last heartbeat, so a run whose worker
died is found and failed instead of staying "running" (or "queued") forever.

Revision ID: 0006_rescore_worker
Revises: 0005_pd_basis
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_rescore_worker"
down_revision = "0005_pd_basis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on earlier rows: no worker was recorded (they are judged by started_at).
    with op.batch_alter_table("rescore_runs") as batch:
        batch.add_column(sa.Column("worker", sa.String(200)))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("rescore_runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("worker")
