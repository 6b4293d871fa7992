"""Conformed frames out: what validation hands to storage once no issue is left.

Includes the values validation decides rather than reads (a dispute's date, the customers a
bare invoice export introduces) together with the notes that say so.
"""

from __future__ import annotations

import pandas as pd

from ledger.frames import conform, customers_from_invoices
from ledger.schema import ENTITIES
from ledger.validate.lookups import by_id, isin
from ledger.validate.table import Table


def currency_of_new_customers(inv: Table) -> pd.Series:
    """Account currency of customers created from invoices: their most used invoice currency."""
    frame = pd.DataFrame(
        {"customer_id": inv.value("customer_id"), "currency": inv.value("currency")}
    ).dropna()
    if frame.empty:
        return pd.Series([], dtype="str")
    counts = frame.value_counts(["customer_id", "currency"], sort=False).reset_index(name="n")
    counts = counts.sort_values(["customer_id", "n", "currency"], ascending=[True, False, True])
    first = counts.drop_duplicates("customer_id")
    return by_id(first, "customer_id", "currency")


def as_frame(table: Table) -> pd.DataFrame:
    """The parsed values of the entity's columns the input had (or validation filled)."""
    return pd.DataFrame({c: table.values[c] for c in table.entity.columns if c in table.values})


def conformed_invoices(inv: Table, notes: list[str]) -> pd.DataFrame:
    """Invoices as stored; a dispute always has a date so features stay point-in-time."""
    frame = as_frame(inv)
    disputed = inv.value("disputed")
    dispute_date = inv.value("dispute_date")
    inferred = (disputed.isna() & dispute_date.notna()).to_numpy()
    if inferred.any():
        notes.append(
            f"{inv.file}: {int(inferred.sum()):,} invoices have a dispute_date but no disputed "
            "value; they are recorded as disputed"
        )
    flag = disputed.where(~inferred, True).fillna(False).astype(bool).to_numpy()
    undated = flag & dispute_date.isna().to_numpy()
    if undated.any():
        notes.append(
            f"{inv.file}: {int(undated.sum()):,} disputed invoices have no dispute_date; the "
            "dispute is treated as raised on the due date (dispute_date set to due_date)"
        )
    frame["disputed"] = flag
    frame["dispute_date"] = dispute_date.where(~undated, inv.value("due_date")).to_numpy()
    return conform(ENTITIES["invoices"], frame)


def created_customers(
    invoices: pd.DataFrame, stored: pd.Index, currency_of: pd.Series, notes: list[str]
) -> pd.DataFrame:
    """Customers for invoice customer ids the database does not know yet (no customers file)."""
    fresh = invoices[~isin(invoices["customer_id"], stored)]
    created = customers_from_invoices(fresh, "")
    if created.empty:
        return created
    created["currency"] = currency_of.reindex(created["customer_id"].to_numpy()).to_numpy()
    notes.append(
        f"customers created from invoices: {len(created):,} (no customers file; name, country, "
        "industry and profile left empty, onboarding_date = first invoice date, "
        "payment_terms_days = most common invoice terms)"
    )
    return conform(ENTITIES["customers"], created)
