"""Users of the web pages (name, role, argon2 password hash, disabled date) and the key that
signs their session cookies.

Revision ID: 0009_users
Revises: 0008_limit_basis
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_users"
down_revision = "0008_limit_basis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "web_secrets",
        sa.Column("secret_id", sa.Integer, primary_key=True),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("web_secrets")
    op.drop_table("users")
