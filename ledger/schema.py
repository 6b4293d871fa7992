"""The AR ledger's column contract: one place that ingest, storage, the synthetic generator and
the feature builder all read, so a column means the same thing everywhere.

Four entities, one file each: customers, invoices, payments and (optional) open orders.
Only invoices are strictly required; customers can be derived from the invoices' customer ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a raw text value is parsed and checked."""

    ID = "id"  # kept as text: leading zeros matter
    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"  # money, must be > 0
    SIGNED_AMOUNT = "signed_amount"  # money, not 0: a negative invoice line is a credit note
    NUMBER = "number"  # any real number (may be negative: net income)
    COUNT = "count"  # whole number >= 0
    BOOL = "bool"  # yes/no, true/false, 1/0, y/n, t/f
    COUNTRY = "country"  # ISO 3166-1 alpha-2
    CURRENCY = "currency"  # ISO 4217 alphabetic code
    CHOICE = "choice"  # one of Field.choices


@dataclass(frozen=True)
class Field:
    """One column of an entity file."""

    name: str
    kind: Kind
    required: bool = False
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    """One ledger entity: its file's columns and its unique key."""

    name: str
    key: str
    fields: tuple[Field, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no column {name!r}")


PROFILE_COLUMNS: tuple[str, ...] = (
    "years_in_business",
    "annual_revenue",
    "employees",
    "total_assets",
    "total_liabilities",
    "current_assets",
    "current_liabilities",
    "net_income",
    "bureau_score",
)

CUSTOMERS = Entity(
    name="customers",
    key="customer_id",
    fields=(
        Field("customer_id", Kind.ID, True, "Unique customer number, kept as text"),
        Field("name", Kind.TEXT, True, "Legal or trading name"),
        Field("country", Kind.COUNTRY, True, "ISO 3166-1 alpha-2 country code, e.g. DE"),
        Field("industry", Kind.TEXT, True, "Industry or sector label"),
        Field("onboarding_date", Kind.DATE, True, "Date the customer account was opened"),
        Field("payment_terms_days", Kind.COUNT, True, "Standard payment terms, days (net 30 = 30)"),
        Field("credit_limit", Kind.NUMBER, False, "Approved credit limit (>= 0), empty if none"),
        Field("currency", Kind.CURRENCY, False, "Account currency; defaults to ARSCORE_CURRENCY"),
        Field("years_in_business", Kind.NUMBER, False, "Years since incorporation"),
        Field("annual_revenue", Kind.NUMBER, False, "Annual revenue, account currency"),
        Field("employees", Kind.COUNT, False, "Number of employees"),
        Field("total_assets", Kind.NUMBER, False, "Balance sheet total assets"),
        Field("total_liabilities", Kind.NUMBER, False, "Balance sheet total liabilities"),
        Field("current_assets", Kind.NUMBER, False, "Current assets"),
        Field("current_liabilities", Kind.NUMBER, False, "Current liabilities"),
        Field("net_income", Kind.NUMBER, False, "Net income (may be negative)"),
        Field("bureau_score", Kind.NUMBER, False, "External credit bureau score"),
    ),
)

INVOICES = Entity(
    name="invoices",
    key="invoice_id",
    fields=(
        Field("invoice_id", Kind.ID, True, "Unique invoice number, kept as text"),
        Field("customer_id", Kind.ID, True, "Customer the invoice was issued to"),
        Field("invoice_date", Kind.DATE, True, "Issue date"),
        Field("due_date", Kind.DATE, True, "Due date (on or after the issue date)"),
        Field(
            "amount",
            Kind.SIGNED_AMOUNT,
            True,
            "Invoice amount including tax; negative for a credit note (credit memo)",
        ),
        Field("currency", Kind.CURRENCY, False, "Invoice currency; defaults to ARSCORE_CURRENCY"),
        Field("disputed", Kind.BOOL, False, "Whether the customer disputed the invoice"),
        Field("dispute_date", Kind.DATE, False, "Date the dispute was raised"),
        Field("written_off_date", Kind.DATE, False, "Date the unpaid balance was written off"),
        Field(
            "paid_date",
            Kind.DATE,
            False,
            "Clearing date for exports without payments: implies one full payment that day",
        ),
        Field(
            "reference_invoice_id",
            Kind.ID,
            False,
            "The invoice a credit note credits (netted against it first); optional",
        ),
    ),
)

PAYMENTS = Entity(
    name="payments",
    key="payment_id",
    fields=(
        Field("payment_id", Kind.ID, True, "Unique payment (receipt) number"),
        Field("invoice_id", Kind.ID, True, "Invoice the payment was applied to"),
        Field("payment_date", Kind.DATE, True, "Date the cash was received"),
        Field("amount", Kind.AMOUNT, True, "Amount applied, > 0; partial payments allowed"),
    ),
)

ORDER_STATUSES: tuple[str, ...] = ("open", "invoiced", "cancelled")

ORDERS = Entity(
    name="orders",
    key="order_id",
    fields=(
        Field("order_id", Kind.ID, True, "Unique sales order number"),
        Field("customer_id", Kind.ID, True, "Customer who placed the order"),
        Field("order_date", Kind.DATE, True, "Order date"),
        Field("amount", Kind.AMOUNT, True, "Order value, > 0"),
        Field("status", Kind.CHOICE, True, "open, invoiced or cancelled", ORDER_STATUSES),
    ),
)

ENTITIES: dict[str, Entity] = {e.name: e for e in (CUSTOMERS, INVOICES, PAYMENTS, ORDERS)}

# Suffix of the payment rows derived from an invoice's paid_date (see frames.add_implied_payments).
IMPLIED_PAYMENT_SUFFIX = "#paid_date"
