"""Which source column feeds each of our columns: the user's mapping, and look-alike hints.

ERP exports name columns their own way (``DueDate``, ``InvoiceRef``); a :class:`ColumnMapping`
lets them in unedited, and :func:`provided_columns` tells storage which columns an upsert may
overwrite.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ledger.schema import ENTITIES


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column holds each of our columns: ``{canonical: source}``.

    ``common`` applies to every entity file (a flat mapping); ``per_entity`` overrides it for
    one entity (``{"payments": {"invoice_id": "InvoiceRef"}}``).
    """

    common: Mapping[str, str] = field(default_factory=dict)
    per_entity: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def for_entity(self, entity: str) -> dict[str, str]:
        return {**self.common, **self.per_entity.get(entity, {})}

    def __bool__(self) -> bool:
        return bool(self.common) or any(self.per_entity.values())


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def lookalike(canonical: str, candidates: list[str]) -> str | None:
    """A source column that is probably ``canonical`` under another spelling (DueDate)."""
    by_norm = {_normalised(c): c for c in candidates}
    if _normalised(canonical) in by_norm:
        return by_norm[_normalised(canonical)]
    close = difflib.get_close_matches(_normalised(canonical), list(by_norm), n=1, cutoff=0.8)
    return by_norm[close[0]] if close else None


def nearest(canonical: str, candidates: list[str]) -> str | None:
    """The candidate spelled most like ``canonical``, however loosely (a hint, not a guess)."""
    by_norm = {_normalised(c): c for c in candidates if _normalised(c)}
    close = difflib.get_close_matches(_normalised(canonical), list(by_norm), n=1, cutoff=0.4)
    return by_norm[close[0]] if close else None


def chosen_columns(name: str, columns: list[str], mapping: ColumnMapping | None) -> dict[str, str]:
    """Which source column feeds each of the entity's columns (canonical → source): the mapped
    column where the mapping names one the file has, else the column of the canonical name."""
    wanted = mapping.for_entity(name) if mapping else {}
    chosen: dict[str, str] = {}
    for canonical in ENTITIES[name].columns:
        source = wanted.get(canonical)
        if source is not None and source in columns:
            chosen[canonical] = source
        elif canonical in columns:
            chosen[canonical] = canonical
    return chosen


def provided_columns(
    raw: dict[str, pd.DataFrame], mapping: ColumnMapping | None
) -> dict[str, list[str]]:
    """Per entity, the columns the files actually carry: an upsert updates only these, so a
    file without, say, ``credit_limit`` does not wipe the limits already stored.
    ``dispute_date`` goes with ``disputed`` (validation may fill it from the due date)."""
    out: dict[str, list[str]] = {}
    for name, frame in raw.items():
        chosen = chosen_columns(name, [str(c) for c in frame.columns], mapping)
        cols = [c for c in ENTITIES[name].columns if c in chosen]
        if "disputed" in cols and "dispute_date" not in cols:
            cols.append("dispute_date")
        out[name] = cols
    return out
