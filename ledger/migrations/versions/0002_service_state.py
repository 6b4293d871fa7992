"""Service state: API tokens, append-only decision audit trail, limit changes, rescoring runs.

Revision ID: 0002_service_state
Revises: 0001_ledger
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_service_state"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None

_NO_CHANGE = "decisions are append-only: audit records cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller_name", sa.String(100), nullable=False),
        sa.Column("caller_role", sa.String(32), nullable=False),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("model_versions", sa.Text, nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        sa.Column("input_fingerprint", sa.String(64), nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
    )
    op.create_index("ix_decisions_customer_id", "decisions", ["customer_id"])
    op.create_index(
        "ux_decisions_idempotency", "decisions", ["caller_name", "idempotency_key"], unique=True
    )
    op.create_table(
        "credit_limit_changes",
        sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "customer_id",
            sa.String(64),
            sa.ForeignKey(
                "customers.customer_id", name="fk_credit_limit_changes_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("old_amount", sa.Double),
        sa.Column("new_amount", sa.Double, nullable=False),
        sa.Column("recommended_amount", sa.Double),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "decision_id",
            sa.String(36),
            sa.ForeignKey(
                "decisions.decision_id", name="fk_credit_limit_changes_decision_id_decisions"
            ),
        ),
    )
    op.create_index("ix_credit_limit_changes_customer_id", "credit_limit_changes", ["customer_id"])
    op.create_table(
        "rescore_runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("model_versions", sa.Text),
        sa.Column("policy_version", sa.String(100)),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "customer_scores",
        sa.Column(
            "run_id",
            sa.String(36),
            sa.ForeignKey("rescore_runs.run_id", name="fk_customer_scores_run_id_rescore_runs"),
            primary_key=True,
        ),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("default_probability", sa.Double),
        sa.Column("late_payment_probability", sa.Double),
        sa.Column("expected_days_late", sa.Double),
        sa.Column("risk_grade", sa.Integer),
        sa.Column("score", sa.Integer),
        sa.Column("recommended_credit_limit", sa.Double),
        sa.Column("current_credit_limit", sa.Double),
        sa.Column("overdue_risk", sa.String(16)),
        sa.Column("reasons", sa.Text),
        sa.Column("early_warnings", sa.Text),
    )
    op.create_index("ix_customer_scores_customer_id", "customer_scores", ["customer_id"])
    _forbid_changes_to_decisions()


def _forbid_changes_to_decisions() -> None:
    """The audit trail is append-only in the database itself, not just by convention."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decisions_no_{action.lower()} BEFORE {action} ON decisions "
                f"BEGIN SELECT RAISE(ABORT, '{_NO_CHANGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION arscore_decisions_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_NO_CHANGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION arscore_decisions_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decisions_append_only ON decisions")
        op.execute("DROP FUNCTION IF EXISTS arscore_decisions_append_only()")
    for name in ("customer_scores", "rescore_runs", "credit_limit_changes", "decisions"):
        op.drop_table(name)
    op.drop_table("api_tokens")
