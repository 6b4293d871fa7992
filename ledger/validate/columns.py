"""Column checks of one entity file: required columns present, every value parsable and in range.

:func:`read_columns` maps, cleans and parses a raw frame into a :class:`Table`, reporting
missing columns and values of the wrong type, outside the allowed range or not in a code
table. Row-level rules that combine columns are in :mod:`ledger.validate.entities`.

Size: over the house's ~400 lines because every column kind's parse and its messages (dates
with format hints, numbers with decimal marks, codes) sit together; the number and date parsers
are the next to move into :mod:`ledger.validate.parsing`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ledger import tables
from ledger.schema import ENTITIES, Field, Kind
from ledger.validate.codes import COUNTRY_CODES, COUNTRY_HINTS, CURRENCY_CODES
from ledger.validate.issues import IssueLog
from ledger.validate.mapping import ColumnMapping, chosen_columns, lookalike, nearest
from ledger.validate.parsing import (
    UNDECODABLE,
    as_text,
    clean,
    guess_date_formats,
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
# No money (or count) is this large: above it float64 stops holding whole units exactly, and
# one such value overflows the sums that scores and limits are made of.
LARGEST_NUMBER = 1e15
# Columns of a customer that an invoices-only export may carry (the id and account currency
# come from the invoice columns themselves).
CUSTOMER_COLUMNS_OF_INVOICES: tuple[str, ...] = tuple(
    c for c in ENTITIES["customers"].columns if c not in ("customer_id", "currency")
)


def _max_length(entity: str, column: str) -> int | None:
    """The longest text the database column holds (ids 64 characters, names 200 …)."""
    sql = tables.metadata.tables[entity].c.get(column)
    return getattr(sql.type, "length", None) if sql is not None else None


def _date_hint(text: pd.Series, date_format: str | None) -> str:
    """What to pass when dates do not read: the format the values look like, if one fits."""
    fits = [f for f in guess_date_formats(text) if f != date_format]
    if not fits:
        return ""
    if fits == ["%Y-%m-%d"]:
        return "; they are ISO dates (YYYY-MM-DD): leave out --date-format"
    if len(fits) > 1:
        both = " or ".join(f"--date-format '{f}'" for f in fits[:2])
        return (
            f"; they look like {both} (these rows do not tell day from month: use the one "
            "your ERP writes)"
        )
    return f"; they look like '{fits[0]}': pass --date-format '{fits[0]}'"


def _parse_column(
    table: Table, f: Field, date_format: str | None, decimal: str | None, issues: IssueLog
) -> str | None:
    """Parse one present column into ``table.values`` and report unparsable values; returns
    the decimal mark a column of numbers was read with."""
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
            return None
        expected = ISO_DATE_HINT if date_format is None else f"'{date_format}'"
        unparsable = present & parsed.isna().to_numpy()
        hint = _date_hint(raw[unparsable], date_format) if unparsable.any() else ""
        issues.add(
            table,
            unparsable,
            name,
            lambda p: (
                f"{name} {table.shown(name, p)!r} is not a date in the expected format "
                f"{expected}{hint}"
            ),
            summary=f"{name} is not a date in the expected format {expected}{hint}",
        )
        out_of_range = (
            parsed.notna() & ((parsed < EARLIEST_DATE) | (parsed > LATEST_DATE))
        ).to_numpy()
        issues.add(
            table,
            out_of_range,
            name,
            lambda p: f"{name} {table.shown(name, p)} is outside 1900–2100; probably a typo",
            summary=f"{name} is outside 1900–2100; probably a typo",
        )
        bad = unparsable | out_of_range
        table.values[name] = parsed.where(~bad).astype("datetime64[ns]")
        table.bad[name] = bad
        return None

    if f.kind in (Kind.AMOUNT, Kind.SIGNED_AMOUNT, Kind.NUMBER, Kind.COUNT):
        parsed, mark = parse_numbers(raw, decimal)
        unparsable = present & parsed.isna().to_numpy()
        if mark == ",":
            style = "this column is read with a decimal comma, e.g. 1234,50 or 1.234,50"
        else:
            style = (
                "this column is read with a decimal point, e.g. 1234.50 or 1,234.50; if ',' "
                "is the decimal mark in this export, pass --decimal ','"
            )
        number_reason = f"no currency symbols or units; {style}"
        issues.add(
            table,
            unparsable,
            name,
            lambda p: f"{name} {table.shown(name, p)!r} is not a number: {number_reason}",
            summary=f"{name} is not a number: {number_reason}",
        )
        values = parsed.to_numpy()
        with np.errstate(invalid="ignore"):
            huge = ~unparsable & present & (np.abs(values) > LARGEST_NUMBER)
            if f.kind is Kind.AMOUNT:
                wrong = ~huge & ~unparsable & present & (values <= 0)
                why = "must be more than 0"
            elif f.kind is Kind.SIGNED_AMOUNT:
                wrong = ~huge & ~unparsable & present & (values == 0)
                why = "must be more than 0 (or less than 0 for a credit note)"
            elif f.kind is Kind.COUNT:
                wrong = (
                    ~huge & ~unparsable & present & ((values < 0) | (values != np.floor(values)))
                )
                why = "must be a whole number, 0 or more"
            else:
                wrong = np.zeros(len(values), dtype=bool)
                why = ""
        too_large = (
            "is larger than 10^15 (1,000,000,000,000,000); probably a typo or a misread "
            "decimal mark"
        )
        issues.add(
            table,
            huge,
            name,
            lambda p: f"{name} {table.shown(name, p)} {too_large}",
            summary=f"{name} {too_large}",
        )
        issues.add(
            table,
            wrong,
            name,
            lambda p: f"{name} {table.shown(name, p)} {why}",
            summary=f"{name} {why}",
        )
        bad = unparsable | wrong | huge
        table.values[name] = parsed.where(~bad)
        table.bad[name] = bad
        return mark

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
            summary=f"{name} is not yes/no; use yes/no, true/false, y/n or 1/0",
        )
        table.values[name] = parsed
        table.bad[name] = bad
        return None

    text = as_text(raw)
    if f.kind is Kind.COUNTRY:
        text = text.str.upper()
        bad = present & ~text.isin(list(COUNTRY_CODES)).to_numpy()

        def country_reason(p: int) -> str:
            typed = table.shown(name, p)
            hint = COUNTRY_HINTS.get(str(typed).upper())
            suggestion = f" (did you mean {hint}?)" if hint else " such as DE, FR, GB or US"
            return f"{name} {typed!r} is not an ISO 3166-1 two-letter country code{suggestion}"

        issues.add(
            table,
            bad,
            name,
            country_reason,
            summary=(
                f"{name} is not an ISO 3166-1 two-letter country code such as DE, FR, GB or US"
            ),
        )
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
            summary=(
                f"{name} is not a known ISO 4217 currency code (three letters such as EUR, USD "
                "or GBP)"
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
            summary=f"{name} is not one of: {allowed}",
        )
    else:
        bad = np.zeros(table.n, dtype=bool)
    longest = _max_length(table.entity.name, name)
    if longest is not None and f.kind in (Kind.ID, Kind.TEXT):
        too_long = present & (text.str.len() > longest).fillna(False).to_numpy()
        what = "ids" if f.kind is Kind.ID else "values"
        issues.add(
            table,
            too_long,
            name,
            lambda p: (
                f"{name} is {len(str(table.shown(name, p))):,} characters long; {what} of "
                f"{name} may have at most {longest}"
            ),
            summary=f"{name} is longer than the {longest} characters {what} of {name} may have",
        )
        bad = bad | too_long
    table.values[name] = text.where(~bad)
    table.bad[name] = bad
    return None


def read_columns(
    name: str,
    raw: pd.DataFrame,
    file: str,
    mapping: ColumnMapping | None,
    date_format: str | None,
    issues: IssueLog,
    notes: list[str],
    decimal: str | None = None,
    also_used: frozenset[str] = frozenset(),
) -> Table:
    """Map, clean and parse one entity's raw frame; report column- and value-level issues.

    ``also_used`` are source columns another reading of the same frame uses (an invoices-only
    export's customer columns): they are not noted as ignored.
    """
    entity = ENTITIES[name]
    wanted = mapping.for_entity(name) if mapping else {}
    columns = [str(c) for c in raw.columns]
    chosen = chosen_columns(name, columns, mapping)
    used = set(chosen.values()) | also_used
    extras = [c for c in columns if c not in used]
    table = _table(name, raw, file, chosen, ENTITY_ORDER.index(name))
    for canonical in entity.required:
        if canonical in chosen:
            continue
        issues.file_level(table, canonical, _missing_column(canonical, wanted, columns, extras))
    if extras:
        more = f" and {len(extras) - 12:,} more" if len(extras) > 12 else ""
        notes.append(f"{file}: ignored extra columns: {', '.join(extras[:12])}{more}")

    _check_decoding(table, raw, issues)
    for f in entity.fields:
        if f.name not in table.text:
            continue
        mark = _parse_column(table, f, date_format, decimal, issues)
        _note_thousands_separators(table, f.name, mark, decimal, notes)
        if f.required:
            empty = table.text[f.name].isna().to_numpy()
            issues.add(
                table,
                empty,
                f.name,
                _required_message(f.name),
                summary=f"{f.name} is empty; it is required",
            )
    return table


def read_customer_columns(
    raw: pd.DataFrame,
    file: str,
    mapping: ColumnMapping | None,
    date_format: str | None,
    decimal: str | None,
    issues: IssueLog,
) -> Table | None:
    """The customer columns of an invoices-only export (name, country, terms …), checked by the
    customers' rules on the invoice rows; None when the export has none."""
    chosen = {
        c: s
        for c, s in chosen_columns("customers", [str(c) for c in raw.columns], mapping).items()
        if c in CUSTOMER_COLUMNS_OF_INVOICES
    }
    if not chosen:
        return None
    table = _table("customers", raw, file, chosen, ENTITY_ORDER.index("invoices"))
    _check_decoding(table, raw, issues)
    for canonical in chosen:
        f = table.entity.field(canonical)
        _parse_column(table, f, date_format, decimal, issues)
    return table


def customer_sources_of_invoices(
    raw: pd.DataFrame, mapping: ColumnMapping | None
) -> frozenset[str]:
    """The invoice export's columns that :func:`read_customer_columns` reads."""
    chosen = chosen_columns("customers", [str(c) for c in raw.columns], mapping)
    return frozenset(s for c, s in chosen.items() if c in CUSTOMER_COLUMNS_OF_INVOICES)


def _table(name: str, raw: pd.DataFrame, file: str, chosen: dict[str, str], rank: int) -> Table:
    return Table(
        entity=ENTITIES[name],
        file=file,
        rank=rank,
        rows=raw.index.to_numpy(dtype="int64"),
        text={c: clean(raw[s]) for c, s in chosen.items()},
        header=tuple(str(c) for c in raw.columns),
    )


def _missing_column(
    canonical: str, wanted: dict[str, str], columns: list[str], extras: list[str]
) -> str:
    """Why a required column is missing, the file's columns, and the --map to write."""
    listed = ", ".join(repr(c) for c in columns[:30]) + (" …" if len(columns) > 30 else "")
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
        return f"{reason}; the file has a column {alike!r} — map it with --map {canonical}={alike}"
    close = nearest(canonical, extras)
    suggestion = (
        f"; the nearest is {close!r}: if it holds {canonical}, add --map {canonical}={close}"
        if close is not None
        else f"; name the one that holds {canonical} with --map {canonical}=COLUMN"
    )
    return f"{reason}{suggestion} (the file's columns: {listed})"


def _check_decoding(table: Table, raw: pd.DataFrame, issues: IssueLog) -> None:
    """Cells of the used columns holding bytes the file's encoding could not decode, reported
    by row and column (ignored columns may hold any bytes)."""
    encoding = raw.attrs.get(UNDECODABLE)
    if encoding is None:
        return
    for column, text in table.text.items():
        if not is_text(text):
            continue
        mask = text.str.contains("\ufffd", regex=False).fillna(False).to_numpy()
        issues.add(
            table,
            mask,
            column,
            _undecodable_message(table, column, encoding),
            summary=(
                f"{column} has bytes that are not {encoding} text (shown as �); give the file's "
                "encoding with --encoding, e.g. --encoding cp1252, or save it as CSV UTF-8"
            ),
        )


def _undecodable_message(table: Table, column: str, encoding: str) -> Callable[[int], str]:
    return lambda p: (
        f"{column} {table.shown(column, p)!r} has bytes that are not {encoding} text (shown as �); "
        "give the file's encoding with --encoding, e.g. --encoding cp1252, or save it as CSV UTF-8"
    )


def _required_message(name: str) -> Callable[[int], str]:
    """The message for an empty required cell (a closure per column, not per row)."""
    return lambda _position: f"{name} is empty; it is required"


def _note_thousands_separators(
    table: Table, column: str, mark: str | None, decimal: str | None, notes: list[str]
) -> None:
    """'1.000' is one with a decimal point but a thousand in many European exports, and
    '1,000' the other way round: when the column did not say, tell how such values were read."""
    text = table.text[column]
    if mark is None or decimal is not None or not is_text(text):
        return
    parsed = table.values[column]
    other = "','" if mark == "." else "'.'"
    for pattern in (r"-?\d{1,3}(\.\d{3})+", r"-?\d{1,3}(,\d{3})+"):
        looks = (text.str.fullmatch(pattern).fillna(False) & parsed.notna()).to_numpy()
        if not looks.any():
            continue
        first, count = int(np.flatnonzero(looks)[0]), int(looks.sum())
        notes.append(
            f"{table.file}: {count:,} {column} value{'s' if count > 1 else ''} such as "
            f"{text.iloc[first]!r} "
            f"(row {table.rows[first]}) were read as {parsed.iloc[first]:,.2f} (decimal mark "
            f"'{mark}'); if that is wrong, pass --decimal {other} and ingest again"
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
