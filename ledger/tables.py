"""SQL tables of the ledger (SQLAlchemy 2 Core metadata; Alembic migrations create them).

Money is stored as double precision: pandas is the interchange format and float64 round-trips
exactly; amounts are never rounded on the way in.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)


def _updated_at() -> Column:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


customers = Table(
    "customers",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("name", String(200)),
    Column("country", String(2)),
    Column("industry", String(100)),
    Column("onboarding_date", Date),
    Column("payment_terms_days", Integer),
    Column("credit_limit", Double),
    Column("currency", String(3), nullable=False),
    Column("years_in_business", Double),
    Column("annual_revenue", Double),
    Column("employees", Integer),
    Column("total_assets", Double),
    Column("total_liabilities", Double),
    Column("current_assets", Double),
    Column("current_liabilities", Double),
    Column("net_income", Double),
    Column("bureau_score", Double),
    _updated_at(),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Double, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("disputed", Boolean, nullable=False, server_default="0"),
    Column("dispute_date", Date),
    Column("written_off_date", Date),
    Column("paid_date", Date),
    _updated_at(),
    # A credit note's (amount < 0) invoice, if the export names one (migration 0007).
    Column("reference_invoice_id", ID),
    Index("ix_invoices_customer_id", "customer_id"),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", ID, primary_key=True),
    Column("invoice_id", ID, ForeignKey("invoices.invoice_id"), nullable=False),
    Column("payment_date", Date, nullable=False),
    Column("amount", Double, nullable=False),
    _updated_at(),
    Index("ix_payments_invoice_id", "invoice_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("amount", Double, nullable=False),
    Column("status", String(16), nullable=False),
    _updated_at(),
    Index("ix_orders_customer_id", "customer_id"),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("source", Text, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("invoices", Integer, nullable=False),
    Column("payments", Integer, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("notes", Text),
    # The data's first date and as-of date after this load (migration 0004; ledger/as_of.py).
    Column("data_from", Date),
    Column("data_as_of", Date),
)

ENTITY_TABLES: dict[str, Table] = {
    "customers": customers,
    "invoices": invoices,
    "payments": payments,
    "orders": orders,
}


# ---------------------------------------------------------------------------------------------
# Service state: API tokens, the append-only decision audit trail, approved-limit changes and
# portfolio rescoring runs (migration 0002).

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

# People who sign in to the web pages (serving/web): the same three roles as API tokens, the
# password only as an argon2 hash; a disabled user's sessions stop at their next request.
users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("disabled_at", DateTime(timezone=True)),
)

# Who signed in to the web pages, who failed and who signed out, from which address: the
# security side of the audit trail (decisions are in ``decisions``). Attempts refused by the
# throttle are not written, so a flood of them cannot fill the database.
sign_in_events = Table(
    "sign_in_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("user_name", String(200), nullable=False),  # as typed, for a failed attempt
    Column("address", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
)

# The key that signs the pages' session cookies: made once per database, so every worker (and
# host) sharing the database accepts the sessions the others signed, with nothing to configure.
web_secrets = Table(
    "web_secrets",
    metadata,
    Column("secret_id", Integer, primary_key=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("caller_name", String(100), nullable=False),
    Column("caller_role", String(32), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("customer_id", ID),
    Column("model_versions", Text, nullable=False),
    Column("policy_version", String(100), nullable=False),
    Column("input_fingerprint", String(64), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("outputs", Text, nullable=False),
    Column("idempotency_key", String(200)),
    Index("ix_decisions_customer_id", "customer_id"),
    Index("ux_decisions_idempotency", "caller_name", "idempotency_key", unique=True),
)

credit_limit_changes = Table(
    "credit_limit_changes",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("old_amount", Double),
    Column("new_amount", Double, nullable=False),
    Column("recommended_amount", Double),
    Column("reason", Text, nullable=False),
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decision_id", String(36), ForeignKey("decisions.decision_id")),
    Index("ix_credit_limit_changes_customer_id", "customer_id"),
)

rescore_runs = Table(
    "rescore_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("model_versions", Text),
    Column("policy_version", String(100)),
    Column("error", Text),
    Column("data_as_of", Date),  # the ledger's as-of date when the run scored (migration 0004)
    # Who runs the job ("host:pid") and when it last said so (migration 0006): a queued or
    # running job whose worker is gone or silent is failed (serving/rescore.py).
    Column("worker", String(200)),
    Column("heartbeat_at", DateTime(timezone=True)),
)

customer_scores = Table(
    "customer_scores",
    metadata,
    Column("run_id", String(36), ForeignKey("rescore_runs.run_id"), primary_key=True),
    Column("customer_id", ID, primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("default_probability", Double),
    Column("late_payment_probability", Double),
    Column("expected_days_late", Double),
    Column("risk_grade", Integer),
    Column("score", Integer),
    Column("recommended_credit_limit", Double),
    Column("current_credit_limit", Double),
    Column("overdue_risk", String(16)),
    Column("reasons", Text),
    Column("early_warnings", Text),
    # Which tier gave the PD (models.tasks.PdBasis); NULL on rows stored before 0005_pd_basis.
    Column("pd_basis", String(32)),
    # The rule that set the recommended limit and why (migration 0007); NULL on earlier rows.
    Column("limit_rule", String(40)),
    Column("limit_basis", Text),
    Index("ix_customer_scores_customer_id", "customer_id"),
)

# A row per request to reload the served models (the API's reload endpoint, `arscore promote`):
# every service worker, on any host sharing the database, watches the newest id and reloads
# when it changes, so a reload or a promotion reaches all of them within seconds.
model_reload_requests = Table(
    "model_reload_requests",
    metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=True),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("reason", String(200), nullable=False),
)
