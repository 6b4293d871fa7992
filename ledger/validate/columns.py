"""Column checks of one entity file: required columns present, every value parsable and in range.

:func:`read_columns` maps, cleans and parses a raw frame into a :class:`Table`, reporting
missing columns and values of the wrong type, outside the allowed range or not in a code
table. Row-level rules that combine columns are in :mod:`ledger.validate.entities`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ledger.schema import ENTITIES, Field, Kind
from ledger.validate.codes import COUNTRY_CODES, COUNTRY_HINTS, CURRENCY_CODES
from ledger.validate.issues import IssueLog
from ledger.validate.mapping import ColumnMapping, chosen_columns, lookalike
from ledger.validate.parsing import (
    as_text,
    clean,
    is_text,
    parse_bools,
    parse_dates,
    parse_numbers,
)
from ledger.validate.table import ENTITY_ORDER, Table

# A date outside this window is a typo (0225-01-03, 2205-01-03), not a trade-credit event.
EARLIEST_DATE = pd.Timestamp("1900-01-01")
LATEST_DATE = pd.Timestamp("2100-12-31")
ISO_DATE_HINT = "YYYY-MM-DD (ISO 8601)"


def _parse_column(table: Table, f: Field, date_format: str | None, issues: IssueLog) -> None:
    """Parse one present column into ``table.values`` and report unparsable values."""
    raw = table.text[f.name]
    present = raw.notna().to_numpy()
    name = f.name

    if f.kind is Kind.DATE:
        try:
            parsed = parse_dates(raw, date_format)
        except (ValueError, TypeError) as exc:
            issues.file_level(table, name, f"dates in {name} cannot be read: {exc}")
            table.values[name] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
            table.bad[name] = present
            return
        expected = ISO_DATE_HINT if date_format is None else f"'{date_format}'"
        unparsable = present & parsed.isna().to_numpy()
        issues.add(
            table,
            unparsable,
            name,
            lambda p: (
                f"{name} {table.shown(name, p)!r} is not a date in the expected format {expected}"
            ),
        )
        out_of_range = (
            parsed.notna() & ((parsed < EARLIEST_DATE) | (parsed > LATEST_DATE))
        ).to_numpy()
        issues.add(
            table,
            out_of_range,
            name,
            lambda p: f"{name} {table.shown(name, p)} is outside 1900–2100; probably a typo",
        )
        bad = unparsable | out_of_range
        table.values[name] = parsed.where(~bad).astype("datetime64[ns]")
        table.bad[name] = bad
        return

    if f.kind in (Kind.AMOUNT, Kind.NUMBER, Kind.COUNT):
        parsed = parse_numbers(raw)
        unparsable = present & parsed.isna().to_numpy()
        issues.add(
            table,
            unparsable,
            name,
            lambda p: (
                f"{name} {table.shown(name, p)!r} is not a number; write digits with a "
                "'.' decimal point and no currency symbol or thousands separator, e.g. 1234.50"
            ),
        )
        values = parsed.to_numpy()
        with np.errstate(invalid="ignore"):
            if f.kind is Kind.AMOUNT:
                wrong = ~unparsable & present & (values <= 0)
                why = "must be more than 0"
            elif f.kind is Kind.COUNT:
                wrong = ~unparsable & present & ((values < 0) | (values != np.floor(values)))
                why = "must be a whole number, 0 or more"
            else:
                wrong = np.zeros(len(values), dtype=bool)
                why = ""
        issues.add(table, wrong, name, lambda p: f"{name} {table.shown(name, p)} {why}")
        bad = unparsable | wrong
        table.values[name] = parsed.where(~bad)
        table.bad[name] = bad
        return

    if f.kind is Kind.BOOL:
        parsed = parse_bools(raw)
        bad = present & parsed.isna().to_numpy()
        issues.add(
            table,
            bad,
            name,
            lambda p: (
                f"{name} {table.shown(name, p)!r} is not yes/no; use yes/no, true/false, y/n or 1/0"
            ),
        )
        table.values[name] = parsed
        table.bad[name] = bad
        return

    text = as_text(raw)
    if f.kind is Kind.COUNTRY:
        text = text.str.upper()
        bad = present & ~text.isin(list(COUNTRY_CODES)).to_numpy()

        def country_reason(p: int) -> str:
            typed = table.shown(name, p)
            hint = COUNTRY_HINTS.get(str(typed).upper())
            suggestion = f" (did you mean {hint}?)" if hint else " such as DE, FR, GB or US"
            return f"{name} {typed!r} is not an ISO 3166-1 two-letter country code{suggestion}"

        issues.add(table, bad, name, country_reason)
    elif f.kind is Kind.CURRENCY:
        text = text.str.upper()
        bad = present & ~text.isin(list(CURRENCY_CODES)).to_numpy()
        issues.add(
            table,
            bad,
            name,
            lambda p: (
                f"{name} {table.shown(name, p)!r} is not a known ISO 4217 currency code "
                "(three letters such as EUR, USD or GBP; checked against the list of currencies "
                "in use)"
            ),
        )
    elif f.kind is Kind.CHOICE:
        text = text.str.lower()
        bad = present & ~text.isin(list(f.choices)).to_numpy()
        allowed = ", ".join(f.choices)
        issues.add(
            table,
            bad,
            name,
            lambda p: f"{name} {table.shown(name, p)!r} is not one of: {allowed}",
        )
    else:
        bad = np.zeros(table.n, dtype=bool)
    table.values[name] = text.where(~bad)
    table.bad[name] = bad


def read_columns(
    name: str,
    raw: pd.DataFrame,
    file: str,
    mapping: ColumnMapping | None,
    date_format: str | None,
    issues: IssueLog,
    notes: list[str],
) -> Table:
    """Map, clean and parse one entity's raw frame; report column- and value-level issues."""
    entity = ENTITIES[name]
    wanted = mapping.for_entity(name) if mapping else {}
    columns = [str(c) for c in raw.columns]
    chosen = chosen_columns(name, columns, mapping)
    used = set(chosen.values())
    extras = [c for c in columns if c not in used]
    table = Table(
        entity=entity,
        file=file,
        rank=ENTITY_ORDER.index(name),
        rows=raw.index.to_numpy(dtype="int64"),
        text={c: clean(raw[s]) for c, s in chosen.items()},
        header=tuple(columns),
    )
    for canonical in entity.required:
        if canonical in chosen:
            continue
        source = wanted.get(canonical)
        if source is not None:
            reason = (
                f"missing required column {canonical}: it is mapped to {source!r}, "
                "which is not a column of this file"
            )
        else:
            reason = f"missing required column {canonical}"
            alike = lookalike(canonical, extras)
            if alike is not None:
                reason += f"; the file has a column {alike!r} — map it with {canonical}={alike}"
        issues.file_level(table, canonical, reason)
    if extras:
        more = f" and {len(extras) - 12:,} more" if len(extras) > 12 else ""
        notes.append(f"{file}: ignored extra columns: {', '.join(extras[:12])}{more}")

    for f in entity.fields:
        if f.name not in table.text:
            continue
        _parse_column(table, f, date_format, issues)
        if f.kind is Kind.AMOUNT:
            _note_thousands_separators(table, f.name, notes)
        if f.required:
            empty = table.text[f.name].isna().to_numpy()
            issues.add(table, empty, f.name, _required_message(f.name))
    return table


def _required_message(name: str) -> Callable[[int], str]:
    """The message for an empty required cell (a closure per column, not per row)."""
    return lambda _position: f"{name} is empty; it is required"


def _note_thousands_separators(table: Table, column: str, notes: list[str]) -> None:
    """'1.000' reads as one, but in many European exports it means a thousand: say so."""
    text = table.text[column]
    if not is_text(text):
        return
    looks = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+").fillna(False).to_numpy()
    if looks.any():
        first = int(np.flatnonzero(looks)[0])
        notes.append(
            f"{table.file}: {int(looks.sum()):,} {column} values have exactly three decimals "
            f"(e.g. {text.iloc[first]!r} on row {table.rows[first]}), read as decimals; if '.' "
            "separates thousands in this export, remove the separators and ingest again"
        )


def note_unused_mappings(
    mapping: ColumnMapping, tables: dict[str, Table], notes: list[str]
) -> None:
    """A mapping naming a column no file has is probably a typo, even when the file's own
    column of that name was used instead."""
    headers = {c for t in tables.values() for c in t.header}
    for canonical, source in mapping.common.items():
        if source not in headers:
            notes.append(
                f"column mapping {canonical}={source} was not used: no file has a column {source!r}"
            )
    for entity, entries in mapping.per_entity.items():
        if entity not in tables:
            continue
        for canonical, source in entries.items():
            if source not in tables[entity].header:
                notes.append(
                    f"column mapping {entity}.{canonical}={source} was not used: "
                    f"{tables[entity].file} has no column {source!r}"
                )
