"""Model reload requests: how a reload or a promotion reaches every service worker.

Revision ID: 0003_model_reload_requests
Revises: 0002_service_state
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_model_reload_requests"
down_revision = "0002_service_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_reload_requests",
        sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_reload_requests")
