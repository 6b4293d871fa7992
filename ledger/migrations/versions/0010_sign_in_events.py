"""Sign-in events of the web pages: who signed in, failed or signed out, from where.

Revision ID: 0010_sign_in_events
Revises: 0009_users
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_sign_in_events"
down_revision = "0009_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sign_in_events")
