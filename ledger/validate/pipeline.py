"""The entry point :func:`validate_frames`: the order in which every check runs.

Column checks per file first, then each entity's own rules, then references across files and
the database; the first ``max_issues`` problems are raised together, else the conformed
frames are returned.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ledger.frames import Ledger, conform
from ledger.schema import ENTITIES, IMPLIED_PAYMENT_SUFFIX
from ledger.validate.codes import CURRENCY_CODES
from ledger.validate.columns import (
    customer_sources_of_invoices,
    note_unused_mappings,
    read_columns,
    read_customer_columns,
)
from ledger.validate.entities import (
    check_customers,
    check_duplicates,
    check_invoices,
    check_payments,
    fill_currency,
)
from ledger.validate.issues import DEFAULT_MAX_ISSUES, IssueLog
from ledger.validate.lookups import by_id, combine, first_by_key, isin
from ledger.validate.mapping import ColumnMapping
from ledger.validate.output import (
    as_frame,
    conformed_invoices,
    created_customers,
    currency_of_new_customers,
)
from ledger.validate.references import (
    check_credit_note_refs,
    check_customer_refs,
    check_invoice_currency,
    check_no_payments_on_new_credit_notes,
    check_paid_totals,
    check_payment_refs,
    check_payments_not_on_credit_notes,
    check_stored_invoice_currency,
    check_stored_payments_before_invoice,
)
from ledger.validate.table import ENTITY_ORDER


def validate_frames(
    raw: Mapping[str, pd.DataFrame],
    existing: Ledger,
    *,
    mapping: ColumnMapping | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    currency: str = "EUR",
    max_issues: int = DEFAULT_MAX_ISSUES,
    file_names: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Check raw entity frames against every ingest rule and the stored ledger ``existing``.

    ``raw`` maps entity names ("customers", "invoices", "payments", "orders") to frames of
    text (or typed Parquet) columns whose index holds the row numbers to report. Returns
    conformed frames ready for ``ledger.storage.upsert_frames`` — with customers created from
    the invoices when no customers frame is given — or raises :class:`IngestError` with the
    first ``max_issues`` problems and the total. Remarks for the user are appended to ``notes``.
    ``decimal`` is the decimal mark of numbers written as text ("," or "."; default: detected
    per column). Without a customers frame, the invoices' customer columns (name, country …)
    fill the customers created from them.
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be ',' or '.'; got {decimal!r}")
    if max_issues < 1:
        raise ValueError("max_issues must be at least 1")
    if currency not in CURRENCY_CODES:
        raise ValueError(f"currency must be an ISO 4217 code such as EUR; got {currency!r}")
    unknown = sorted(set(raw) - set(ENTITY_ORDER))
    if unknown:
        raise ValueError(f"unknown entities {unknown}; expected some of {list(ENTITY_ORDER)}")
    notes = [] if notes is None else notes
    names = {name: name for name in ENTITY_ORDER} | dict(file_names or {})
    issues = IssueLog()
    invoices_only = "invoices" in raw and "customers" not in raw
    customer_sources = (
        customer_sources_of_invoices(raw["invoices"], mapping) if invoices_only else frozenset()
    )
    tables = {
        name: read_columns(
            name,
            raw[name],
            names[name],
            mapping,
            date_format,
            issues,
            notes,
            decimal,
            also_used=customer_sources if name == "invoices" else frozenset(),
        )
        for name in ENTITY_ORDER
        if name in raw
    }
    profile = (
        read_customer_columns(
            raw["invoices"], names["invoices"], mapping, date_format, decimal, issues
        )
        if customer_sources
        else None
    )
    if mapping:
        note_unused_mappings(mapping, tables, notes)
    cust, inv = tables.get("customers"), tables.get("invoices")
    pay, orders = tables.get("payments"), tables.get("orders")

    for table in tables.values():
        check_duplicates(table, issues)
    if cust is not None:
        check_customers(cust, issues)
        fill_currency(cust, currency, notes)
    if profile is not None:
        check_customers(profile, issues)
    if inv is not None:
        check_invoices(inv, issues)
        fill_currency(inv, currency, notes)
    if pay is not None:
        check_payments(pay, issues)

    # Who may be referenced: customers in the customers file or the database or — without a
    # customers file — the customers the invoices themselves introduce (created below).
    stored_customers = pd.Index(existing.customers["customer_id"])
    customer_currency = by_id(existing.customers, "customer_id", "currency")
    new_currency = pd.Series([], dtype="str")
    if cust is not None:
        known = stored_customers.append(pd.Index(cust.value("customer_id").dropna()))
        where = f"{cust.file} or the database"
        customer_currency = combine(
            first_by_key(cust.value("customer_id"), cust.value("currency")), customer_currency
        )
        if inv is not None:
            check_customer_refs(inv, known, issues, where)
        check_stored_invoice_currency(cust, inv, existing, issues)
    elif inv is not None:
        known = stored_customers.append(pd.Index(inv.value("customer_id").dropna()))
        where = f"the database or {inv.file} (no customers file given)"
        new_currency = currency_of_new_customers(inv)
        customer_currency = combine(customer_currency, new_currency)
    else:
        known, where = stored_customers, "the database"
    if orders is not None:
        check_customer_refs(orders, known, issues, where)

    stored_payments = existing.payments[
        ~existing.payments["payment_id"].str.endswith(IMPLIED_PAYMENT_SUFFIX)
    ]
    if pay is not None:
        check_payment_refs(pay, inv, existing, issues)
        check_payments_not_on_credit_notes(pay, inv, existing, issues)
        # Stored payments this file re-ingests are replaced, not added to.
        stored_payments = stored_payments[
            ~isin(stored_payments["payment_id"], pay.value("payment_id").dropna())
        ]
    check_paid_totals(pay, inv, existing, stored_payments, issues)
    if inv is not None:
        check_stored_payments_before_invoice(inv, stored_payments, issues)
        check_invoice_currency(inv, customer_currency, issues)
        check_credit_note_refs(inv, existing, issues)
        check_no_payments_on_new_credit_notes(inv, stored_payments, issues)

    issues.raise_if_any(max_issues)

    out: dict[str, pd.DataFrame] = {}
    if cust is not None:
        out["customers"] = conform(ENTITIES["customers"], as_frame(cust))
    if inv is not None:
        out["invoices"] = conformed_invoices(inv, notes)
        if cust is None:
            out["customers"] = created_customers(
                out["invoices"], stored_customers, new_currency, notes, profile
            )
    if pay is not None:
        out["payments"] = conform(ENTITIES["payments"], as_frame(pay))
    if orders is not None:
        out["orders"] = conform(ENTITIES["orders"], as_frame(orders))
    return out
