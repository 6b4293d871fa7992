"""The ledger's own date: first and as-of date of the data per load, and per rescoring run.

A ledger already loaded gets its dates from the stored rows: the latest evidence date (capped
at today) on its newest ingest run, so scores keep to the data's date from the first request.

Revision ID: 0004_ledger_as_of
Revises: 0003_model_reload_requests
Create Date: 2026-12-07
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004_ledger_as_of"
down_revision = "0003_model_reload_requests"
branch_labels = None
depends_on = None

_EVIDENCE = {
    "invoices": ("invoice_date", "dispute_date", "written_off_date", "paid_date"),
    "payments": ("payment_date",),
    "orders": ("order_date",),
}


def upgrade() -> None:
    op.add_column("ingest_runs", sa.Column("data_from", sa.Date))
    op.add_column("ingest_runs", sa.Column("data_as_of", sa.Date))
    op.add_column("rescore_runs", sa.Column("data_as_of", sa.Date))
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    runs = sa.table("ingest_runs", sa.column("run_id", sa.Integer))
    newest = bind.execute(sa.select(sa.func.max(runs.c.run_id))).scalar()
    if newest is None:
        return
    lows: list[dt.date] = []
    highs: list[dt.date] = []
    for name, columns in _EVIDENCE.items():
        table = sa.table(name, *(sa.column(c, sa.Date) for c in columns))
        for column in columns:
            low, high = bind.execute(
                sa.select(sa.func.min(table.c[column]), sa.func.max(table.c[column]))
            ).one()
            lows += [_day(low)] if low is not None else []
            highs += [_day(high)] if high is not None else []
    if not highs:
        return
    today = dt.datetime.now(dt.UTC).date()
    dated = sa.table(
        "ingest_runs",
        sa.column("run_id", sa.Integer),
        sa.column("data_from", sa.Date),
        sa.column("data_as_of", sa.Date),
    )
    bind.execute(
        sa.update(dated)
        .where(dated.c.run_id == newest)
        .values(data_from=min(lows), data_as_of=min(max(highs), today))
    )


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def downgrade() -> None:
    with op.batch_alter_table("rescore_runs") as batch:
        batch.drop_column("data_as_of")
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("data_as_of")
        batch.drop_column("data_from")
