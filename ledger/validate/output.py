"""Conformed frames out: what validation hands to storage once no issue is left.

Includes the values validation decides rather than reads (a dispute's date, the customers a
bare invoice export introduces) together with the notes that say so.
"""

from __future__ import annotations

import numpy as np
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
    invoices: pd.DataFrame,
    stored: pd.Index,
    currency_of: pd.Series,
    notes: list[str],
    profile: Table | None = None,
) -> pd.DataFrame:
    """Customers for invoice customer ids the database does not know yet (no customers file).

    ``profile`` holds the export's customer columns per invoice row (name, country, terms …):
    each customer takes the value on its latest invoice that has one.
    """
    fresh_rows = ~isin(invoices["customer_id"], stored)
    fresh = invoices[fresh_rows]
    created = customers_from_invoices(fresh, "")
    if created.empty:
        return created
    created["currency"] = currency_of.reindex(created["customer_id"].to_numpy()).to_numpy()
    taken: list[str] = []
    if profile is not None:
        taken = _take_profile(created, fresh, profile, fresh_rows, notes)
    if taken:
        said = (
            f"{', '.join(taken)} from the export's columns (each customer's latest invoice); "
            "other columns empty or derived as below"
        )
    else:
        said = "name, country, industry and profile left empty"
    notes.append(
        f"customers created from invoices: {len(created):,} (no customers file; {said}, "
        "onboarding_date = first invoice date, payment_terms_days = most common invoice terms)"
    )
    return conform(ENTITIES["customers"], created)


def _take_profile(
    created: pd.DataFrame,
    fresh: pd.DataFrame,
    profile: Table,
    fresh_rows: np.ndarray,
    notes: list[str],
) -> list[str]:
    """Fill ``created`` from each new customer's latest invoice that has a value; note the
    customers whose invoices disagree. Returns the columns filled."""
    taken = []
    order = fresh.assign(_position=range(len(fresh))).sort_values(
        ["invoice_date", "_position"], kind="stable"
    )
    for column in profile.values:
        values = profile.values[column].reset_index(drop=True)[fresh_rows]
        frame = pd.DataFrame(
            {"customer_id": fresh["customer_id"].to_numpy(), "value": values.to_numpy()}
        ).iloc[order["_position"].to_numpy()]
        frame = frame[frame["value"].notna()]
        if frame.empty:
            continue
        latest = frame.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        found = latest["value"].reindex(created["customer_id"].to_numpy())
        if column in ("onboarding_date", "payment_terms_days"):
            found = found.where(found.notna(), created[column].to_numpy())
        created[column] = found.to_numpy()
        taken.append(column)
        differing = int((frame.groupby("customer_id")["value"].nunique() > 1).sum())
        if differing:
            notes.append(
                f"{profile.file}: {differing:,} customers have more than one {column} on their "
                "invoices; each takes the one on its latest invoice"
            )
    return taken
