"""Approved credit limits on ingest: the database is the system of record for limits.

A limit is approved by a person (``PUT /v1/customers/{id}/credit-limit``) and every change is
recorded in ``credit_limit_changes``. An ERP customer file also carries a ``credit_limit``, often
an old one; re-ingesting it must not silently put approved limits back. So a file's limit only
sets the limit of a customer that has none yet, unless the user asks for the file's limits
(``arscore ingest --update-limits``); then every limit the file changes is recorded like any
other change (old, new, who and why). A blank limit in a file never clears an approved one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from ledger import tables

# ``changed_by`` of the limit changes an ingest records (the API records the caller's name).
INGEST_SOURCE = "arscore ingest"


@dataclass(frozen=True)
class LimitChange:
    """One approved limit an ingest changes: ``old_amount`` is None when there was none."""

    customer_id: str
    old_amount: float | None
    new_amount: float


@dataclass(frozen=True)
class LimitPlan:
    """The customers frame to store (limits decided) and what the decision means.

    ``changes`` are the limits of stored customers that the ingest sets or changes; ``kept`` are
    the customers whose approved limit differs from the file's and was kept."""

    customers: pd.DataFrame
    changes: list[LimitChange]
    kept: list[str]


def plan_limits(incoming: pd.DataFrame, stored: pd.DataFrame, update_limits: bool) -> LimitPlan:
    """Decide each incoming customer's ``credit_limit`` against the ``stored`` customers.

    New customers take the file's limit. A stored customer without a limit takes the file's; one
    with a limit keeps it unless ``update_limits``. A blank in the file keeps what is stored.
    """
    current = stored.set_index("customer_id")["credit_limit"].astype("float64")
    old = incoming["customer_id"].map(current).to_numpy(dtype="float64", na_value=np.nan)
    known = incoming["customer_id"].isin(current.index).to_numpy()
    given = incoming["credit_limit"].to_numpy(dtype="float64", na_value=np.nan)
    has_old, has_given = ~np.isnan(old), ~np.isnan(given)
    differs = known & has_given & (~has_old | (given != old))
    applied = differs & (~has_old | update_limits)
    kept = differs & has_old & (not update_limits)
    # Where the file is blank, or an approved limit is kept, the stored value is written back.
    limit = np.where(known & (~has_given | kept), old, given)
    customers = incoming.copy()
    customers["credit_limit"] = limit
    ids = incoming["customer_id"].to_numpy(dtype=object)
    changes = [
        LimitChange(str(ids[i]), None if np.isnan(old[i]) else float(old[i]), float(given[i]))
        for i in np.flatnonzero(applied)
    ]
    return LimitPlan(customers, changes, [str(i) for i in ids[kept]])


def record_limit_changes(
    connection: Connection, changes: Sequence[LimitChange], reason: str
) -> None:
    """Append ``changes`` to ``credit_limit_changes``, made by an ingest for ``reason``."""
    if not changes:
        return
    connection.execute(
        tables.credit_limit_changes.insert(),
        [
            {
                "customer_id": c.customer_id,
                "old_amount": c.old_amount,
                "new_amount": c.new_amount,
                "reason": reason,
                "changed_by": INGEST_SOURCE,
            }
            for c in changes
        ],
    )
