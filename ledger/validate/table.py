"""One entity's rows while they are being checked: raw text, parsed values, bad-cell masks.

Every rule reads and writes through :class:`Table`, and every message shows a cell the way the
user typed it (:func:`show`), so both live here, below the rules and the issue log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from ledger.schema import Entity, Kind

# Files are checked and reported in this order (parents before the rows that reference them).
ENTITY_ORDER: tuple[str, ...] = ("customers", "invoices", "payments", "orders")


@dataclass
class Table:
    """One entity file under check; positions (0..n-1) index every column and mask."""

    entity: Entity
    file: str
    rank: int
    rows: np.ndarray  # row number of each position, as shown to the user
    text: dict[str, pd.Series]  # present columns after cleaning (stripped, '' -> missing)
    header: tuple[str, ...] = ()  # the input's own column names
    values: dict[str, pd.Series] = field(default_factory=dict)  # parsed; NaN/NaT where bad
    bad: dict[str, np.ndarray] = field(default_factory=dict)  # value present but invalid

    @property
    def n(self) -> int:
        return len(self.rows)

    def has(self, column: str) -> bool:
        return column in self.text

    def value(self, column: str) -> pd.Series:
        """Parsed values; an all-missing column of the right type when the input lacks it."""
        if column in self.values:
            return self.values[column]
        kind = self.entity.field(column).kind
        if kind is Kind.DATE:
            return pd.Series(pd.NaT, index=range(self.n), dtype="datetime64[ns]")
        if kind in (Kind.AMOUNT, Kind.SIGNED_AMOUNT, Kind.NUMBER, Kind.COUNT):
            return pd.Series(np.nan, index=range(self.n), dtype="float64")
        if kind is Kind.BOOL:
            return pd.Series([None] * self.n, dtype="object")
        return pd.Series([None] * self.n, dtype="str")

    def shown(self, column: str, position: int) -> str | None:
        if column not in self.text:
            return None
        return show(self.text[column].iloc[position])

    def as_read(self, column: str, position: int) -> str | None:
        """A date cell as typed and, when written otherwise, as read: '03/02/2024 (read as
        2024-03-02)', so a day/month mix-up shows in the message."""
        typed = self.shown(column, position)
        parsed = self.values.get(column)
        if typed is None or parsed is None or pd.isna(parsed.iloc[position]):
            return typed
        iso = pd.Timestamp(parsed.iloc[position]).date().isoformat()
        return typed if typed == iso else f"{typed} (read as {iso})"


def show(value: object) -> str | None:
    """A value as the user would recognise it in their file."""
    # pandas-stubs types isna() for known scalars only; a cell can hold any of them.
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    if isinstance(value, datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
