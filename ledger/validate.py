"""Validation of raw ledger rows: text (or typed) frames in, conformed valid frames out.

Pure and file-independent (file names only label messages), so the CLI ingest and the API's
bulk upsert check rows by exactly the same rules. Every rule is a vectorised boolean mask: all
violations are counted, only the first few are turned into :class:`Issue` objects, so a
million-row file with a bad column costs one pass, not a million messages.

The row numbers reported are the raw frames' index values: readers set them to what the user
sees (CSV line number, Parquet record number), so validation never has to know about files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledger.frames import Ledger, conform, customers_from_invoices
from ledger.schema import ENTITIES, IMPLIED_PAYMENT_SUFFIX, Entity, Field, Kind

ENTITY_ORDER: tuple[str, ...] = ("customers", "invoices", "payments", "orders")
DEFAULT_MAX_ISSUES = 50
# Payments may exceed the invoice by rounding noise, not by a cent.
MONEY_TOLERANCE = 0.005
# A date outside this window is a typo (0225-01-03, 2205-01-03), not a trade-credit event.
EARLIEST_DATE = pd.Timestamp("1900-01-01")
LATEST_DATE = pd.Timestamp("2100-12-31")
ISO_DATE_HINT = "YYYY-MM-DD (ISO 8601)"

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 alpha-2 (all 249 officially assigned codes) plus XK, the user-assigned code for
# Kosovo that banks and ERPs use in practice.
COUNTRY_CODES: frozenset[str] = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
    """
)
# Codes people type that are not ISO 3166-1 (UK is GB; the EU writes Greece as EL).
COUNTRY_HINTS: dict[str, str] = {"UK": "GB", "EL": "GR"}

# ISO 4217 currencies in circulation, plus codes withdrawn since 2014 that multi-year ledgers
# still contain (HRK, LTL, ANG…). Funds, precious metals and test codes are left out on purpose:
# nobody invoices trade credit in XAU.
CURRENCY_CODES: frozenset[str] = _codes(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VED VND VUV WST XAF XCD XCG XOF XPF YER
    ZAR ZMW ZWG
    BYR CUC HRK LTL LVL MRO SLL STD VEF ZWL
    """
)


# ---------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class Issue:
    """One violated rule, located the way a spreadsheet user finds it.

    ``row`` is the CSV line number (header = 1, first data row = 2) or the 1-based Parquet
    record number; None for file-level problems (a missing column or file).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class IngestError(ValueError):
    """Input that cannot be loaded. ``issues`` holds the first problems (file then row order),
    ``total`` how many there are in all; nothing has been written when this is raised."""

    def __init__(self, issues: Sequence[Issue], total: int | None = None) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.total: int = len(self.issues) if total is None else total
        super().__init__(self.summary())

    def summary(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"{self.total:,} {noun} found; nothing was written."]
        lines += [f"  {issue}" for issue in self.issues]
        if self.total > len(self.issues):
            lines.append(
                f"  … and {self.total - len(self.issues):,} more "
                f"(the first {len(self.issues)} are listed)."
            )
        return "\n".join(lines)


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


# ---------------------------------------------------------------------------------------------
# Issue collection: masks in, the first N issues out


@dataclass(frozen=True)
class _Chunk:
    """All violations of one rule in one file: their row numbers, and how to describe one."""

    rank: int
    file: str
    column: str | None
    rows: np.ndarray  # row numbers as shown to the user; -1 marks a file-level issue
    describe: Callable[[int], tuple[str | None, str]]  # i-th violation -> (value, reason)


class _Issues:
    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []

    @property
    def total(self) -> int:
        return sum(len(c.rows) for c in self._chunks)

    def file_level(self, table: _Table, column: str | None, reason: str) -> None:
        self._chunks.append(
            _Chunk(table.rank, table.file, column, np.array([-1]), lambda _i: (None, reason))
        )

    def add(
        self,
        table: _Table,
        mask: np.ndarray | pd.Series,
        column: str | None,
        reason: Callable[[int], str],
    ) -> None:
        """Record one issue per True in ``mask`` (positions in ``table``). ``reason`` gets the
        table position; the value shown is the cell of ``column`` as the input had it."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size == 0:
            return

        def describe(i: int) -> tuple[str | None, str]:
            p = int(positions[i])
            return (table.shown(column, p) if column else None), reason(p)

        self._chunks.append(_Chunk(table.rank, table.file, column, table.rows[positions], describe))

    def first(self, n: int) -> list[Issue]:
        """The first ``n`` issues ordered by file, then row (file-level issues first)."""
        candidates: list[tuple[int, int, int, int]] = []
        for c, chunk in enumerate(self._chunks):
            order = np.argsort(chunk.rows, kind="stable")[:n]
            candidates += [(chunk.rank, int(chunk.rows[j]), c, int(j)) for j in order]
        candidates.sort()
        issues = []
        for _rank, row, c, j in candidates[:n]:
            chunk = self._chunks[c]
            value, reason = chunk.describe(j)
            issues.append(Issue(chunk.file, None if row < 0 else row, chunk.column, value, reason))
        return issues

    def raise_if_any(self, max_issues: int) -> None:
        total = self.total
        if total:
            raise IngestError(self.first(max_issues), total)


# ---------------------------------------------------------------------------------------------
# One entity's rows while they are being checked


@dataclass
class _Table:
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
        if kind in (Kind.AMOUNT, Kind.NUMBER, Kind.COUNT):
            return pd.Series(np.nan, index=range(self.n), dtype="float64")
        if kind is Kind.BOOL:
            return pd.Series([None] * self.n, dtype="object")
        return pd.Series([None] * self.n, dtype="str")

    def shown(self, column: str, position: int) -> str | None:
        if column not in self.text:
            return None
        return _show(self.text[column].iloc[position])


def _show(value: object) -> str | None:
    """A value as the user would recognise it in their file."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _day(x: pd.Timestamp) -> str:
    return x.date().isoformat()  # strftime drops leading zeros of years before 1000


def _arrow_strings(values: pd.Series | pd.Index) -> pa.Array:
    array = pd.Series(values, copy=False).astype("str").array
    arrow = array.__arrow_array__() if hasattr(array, "__arrow_array__") else pa.array(array)
    return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow


def _isin(values: pd.Series | pd.Index, pool: pd.Series | pd.Index) -> np.ndarray:
    """``values.isin(pool)`` for ids, as a bool array (missing -> False).

    pandas' ``isin`` on Arrow strings loops over ``pool`` in Python — seconds per million ids —
    so membership goes through Arrow's hash-based ``is_in``.
    """
    found = pc.is_in(_arrow_strings(values), value_set=_arrow_strings(pool), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


# ---------------------------------------------------------------------------------------------
# Reading raw columns: mapping, cleaning, parsing


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _lookalike(canonical: str, candidates: list[str]) -> str | None:
    """A source column that is probably ``canonical`` under another spelling (DueDate)."""
    by_norm = {_normalised(c): c for c in candidates}
    if _normalised(canonical) in by_norm:
        return by_norm[_normalised(canonical)]
    close = difflib.get_close_matches(_normalised(canonical), list(by_norm), n=1, cutoff=0.8)
    return by_norm[close[0]] if close else None


def _clean(series: pd.Series) -> pd.Series:
    """Typed columns pass through; text is stripped and empty text becomes missing."""
    s = series.reset_index(drop=True)
    if (
        pd.api.types.is_bool_dtype(s)
        or pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_datetime64_any_dtype(s)
    ):
        return s
    if s.dtype == object:
        inferred = pd.api.types.infer_dtype(s, skipna=True)
        if inferred in ("date", "datetime", "datetime64"):
            return pd.to_datetime(s)  # Parquet date32 columns arrive as datetime.date objects
        if inferred == "boolean":
            return s  # a Parquet bool column with nulls
        s = s.astype("str")
    elif not pd.api.types.is_string_dtype(s):
        s = s.astype("str")
    s = s.str.strip()
    return s.where(s != "")


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _as_text(s: pd.Series) -> pd.Series:
    """Ids and labels as text; whole floats from typed files lose their '.0'."""
    if _is_text(s):
        return s.astype("str")
    if pd.api.types.is_float_dtype(s):
        whole = s.isna() | (s == np.floor(s))
        if whole.all():
            return s.astype("Int64").astype("str")
    return s.astype("object").map(_show, na_action="ignore").astype("str")


def _parse_dates(s: pd.Series, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)  # keep the local calendar date as written
        return s.dt.normalize()
    text = s.astype("str")
    if date_format is None:
        # ISO dates, optionally with a time of day (dropped: the date as written counts).
        head = text.str.slice(0, 10)
        rest = text.str.slice(10)
        time_ok = rest.isna() | (rest == "") | rest.str.match(r"^[T ]\d{2}:\d{2}").fillna(False)
        parsed = pd.to_datetime(head.where(time_ok), format="%Y-%m-%d", errors="coerce")
    else:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
    # Still in pandas' parse unit: a typo like year 0224 must survive to be reported.
    return parsed.dt.normalize()


def _parse_numbers(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
    else:
        out = pd.to_numeric(s.astype("str"), errors="coerce").astype("float64")
    return out.where(np.isfinite(out))


def _parse_bools(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("object")
    if s.dtype == object and not s.dropna().map(type).isin([str]).any():
        return s.map(bool, na_action="ignore").astype("object")
    if pd.api.types.is_numeric_dtype(s):
        text = s.astype("object").map(_show, na_action="ignore").astype("str")
    else:
        text = s.astype("str")
    lower = text.str.lower()
    out = pd.Series(np.full(len(s), None, dtype=object))
    out[lower.isin(list(TRUE_WORDS)).to_numpy()] = True
    out[lower.isin(list(FALSE_WORDS)).to_numpy()] = False
    return out


def _parse_column(table: _Table, f: Field, date_format: str | None, issues: _Issues) -> None:
    """Parse one present column into ``table.values`` and report unparsable values."""
    raw = table.text[f.name]
    present = raw.notna().to_numpy()
    name = f.name

    if f.kind is Kind.DATE:
        try:
            parsed = _parse_dates(raw, date_format)
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
        out_of_range = parsed.notna() & ((parsed < EARLIEST_DATE) | (parsed > LATEST_DATE))
        out_of_range = out_of_range.to_numpy()
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
        parsed = _parse_numbers(raw)
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
        parsed = _parse_bools(raw)
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

    text = _as_text(raw)
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


def _read_table(
    name: str,
    raw: pd.DataFrame,
    file: str,
    mapping: ColumnMapping | None,
    date_format: str | None,
    issues: _Issues,
    notes: list[str],
) -> _Table:
    """Map, clean and parse one entity's raw frame; report column- and value-level issues."""
    entity = ENTITIES[name]
    wanted = mapping.for_entity(name) if mapping else {}
    columns = [str(c) for c in raw.columns]
    chosen = chosen_columns(name, columns, mapping)
    used = set(chosen.values())
    extras = [c for c in columns if c not in used]
    table = _Table(
        entity=entity,
        file=file,
        rank=ENTITY_ORDER.index(name),
        rows=raw.index.to_numpy(dtype="int64"),
        text={c: _clean(raw[s]) for c, s in chosen.items()},
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
            alike = _lookalike(canonical, extras)
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
            issues.add(table, empty, f.name, lambda _p, n=f.name: f"{n} is empty; it is required")
    return table


def _note_thousands_separators(table: _Table, column: str, notes: list[str]) -> None:
    """'1.000' reads as one, but in many European exports it means a thousand: say so."""
    text = table.text[column]
    if not _is_text(text):
        return
    looks = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+").fillna(False).to_numpy()
    if looks.any():
        first = int(np.flatnonzero(looks)[0])
        notes.append(
            f"{table.file}: {int(looks.sum()):,} {column} values have exactly three decimals "
            f"(e.g. {text.iloc[first]!r} on row {table.rows[first]}), read as decimals; if '.' "
            "separates thousands in this export, remove the separators and ingest again"
        )


def _note_unused_mappings(
    mapping: ColumnMapping, tables: dict[str, _Table], notes: list[str]
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


# ---------------------------------------------------------------------------------------------
# Rules within one file


def _check_duplicates(table: _Table, issues: _Issues) -> None:
    key = table.entity.key
    if not table.has(key):
        return
    ids = table.value(key)
    dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    if not dup.any():
        return
    repeated = ids[_isin(ids, ids[dup])]
    first_position = pd.Series(
        repeated.drop_duplicates(keep="first").index, index=repeated.drop_duplicates().to_numpy()
    )
    rows = table.rows
    issues.add(
        table,
        dup,
        key,
        lambda p: (
            f"{key} {ids.iloc[p]} appears more than once "
            f"(first on row {rows[first_position[ids.iloc[p]]]})"
        ),
    )


def _check_customers(table: _Table, issues: _Issues) -> None:
    limit = table.value("credit_limit")
    if table.has("credit_limit"):
        negative = (limit < 0).fillna(False).to_numpy()
        issues.add(
            table,
            negative,
            "credit_limit",
            lambda p: (
                f"credit_limit {table.shown('credit_limit', p)} is negative; use 0 for "
                "no credit or leave it empty when there is no limit"
            ),
        )


def _check_invoices(table: _Table, issues: _Issues) -> None:
    issued = table.value("invoice_date")
    if not table.has("invoice_date"):
        return
    for column, label in (
        ("due_date", "due_date"),
        ("dispute_date", "dispute_date"),
        ("written_off_date", "written_off_date"),
        ("paid_date", "paid_date"),
    ):
        if not table.has(column):
            continue
        before = (table.value(column) < issued).fillna(False).to_numpy()
        issues.add(
            table,
            before,
            column,
            lambda p, c=column, lab=label: (
                f"{lab} {table.shown(c, p)} is before invoice_date {table.shown('invoice_date', p)}"
            ),
        )
    if table.has("dispute_date") and table.has("disputed"):
        said_no = (table.value("disputed") == False).fillna(False).to_numpy()  # noqa: E712
        contradiction = said_no & table.value("dispute_date").notna().to_numpy()
        issues.add(
            table,
            contradiction,
            "dispute_date",
            lambda p: (
                f"dispute_date {table.shown('dispute_date', p)} is given but disputed is "
                f"{table.shown('disputed', p)!r}; set disputed to yes or clear the date"
            ),
        )


def _check_payments(table: _Table, issues: _Issues) -> None:
    if not table.has("payment_id"):
        return
    reserved = table.value("payment_id").str.endswith(IMPLIED_PAYMENT_SUFFIX).fillna(False)
    issues.add(
        table,
        reserved.to_numpy(),
        "payment_id",
        lambda p: (
            f"payment_id must not end with {IMPLIED_PAYMENT_SUFFIX!r}: that suffix is "
            "reserved for the payments implied by an invoice's paid_date"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Rules across files and the database


def _first_by_key(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` indexed by ``keys`` (first occurrence wins; missing keys dropped)."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy()})
    frame = frame[frame["k"].notna()].drop_duplicates("k", keep="first")
    return pd.Series(frame["v"].to_numpy(), index=pd.Index(frame["k"], dtype="str"))


def _by_id(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    return pd.Series(frame[column].to_numpy(), index=pd.Index(frame[key], dtype="str"))


def _combine(*sources: pd.Series) -> pd.Series:
    """One lookup from several keyed sources; the first source that has a key wins."""
    combined = sources[0]
    for more in sources[1:]:
        if not more.empty:
            combined = pd.concat([combined, more[~_isin(more.index, combined.index)]])
    return combined


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for every key, aligned with ``keys`` (NaN where unknown)."""
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def _check_customer_refs(table: _Table, known: pd.Index, issues: _Issues, where: str) -> None:
    if not table.has("customer_id"):
        return
    ids = table.value("customer_id")
    unknown = ids.notna().to_numpy() & ~_isin(ids, known)
    issues.add(table, unknown, "customer_id", lambda p: f"customer {ids.iloc[p]} is not in {where}")


def _check_payment_refs(pay: _Table, inv: _Table | None, existing: Ledger, issues: _Issues) -> None:
    """Every payment names a known invoice and is not dated before it."""
    if not pay.has("invoice_id"):
        return
    invoice_ids = pay.value("invoice_id")
    file_ids = inv.value("invoice_id") if inv is not None else pd.Series([], dtype="str")
    known = pd.Index(existing.invoices["invoice_id"]).append(pd.Index(file_ids.dropna()))
    unknown = invoice_ids.notna().to_numpy() & ~_isin(invoice_ids, known)
    where = f"{inv.file} or the database" if inv is not None else "the database"
    issues.add(
        pay, unknown, "invoice_id", lambda p: f"invoice {invoice_ids.iloc[p]} is not in {where}"
    )
    if not pay.has("payment_date"):
        return
    dates = _by_id(existing.invoices, "invoice_id", "invoice_date")
    if inv is not None:
        dates = _combine(_first_by_key(file_ids, inv.value("invoice_date")), dates)
    invoice_date = _lookup(invoice_ids, dates)
    early = (pay.value("payment_date") < invoice_date).fillna(False).to_numpy()
    issues.add(
        pay,
        early,
        "payment_date",
        lambda p: (
            f"payment_date {pay.shown('payment_date', p)} is before the date of "
            f"invoice {invoice_ids.iloc[p]} ({_day(invoice_date.iloc[p])})"
        ),
    )


def _check_paid_totals(
    pay: _Table | None,
    inv: _Table | None,
    existing: Ledger,
    stored_payments: pd.DataFrame,
    issues: _Issues,
) -> None:
    """What is paid on an invoice never exceeds its amount.

    Paid = this file's payments + stored payments the file does not replace; amount = this
    file's invoice amount, else the stored one. Reported on the first payment row of the
    invoice, or — when only stored payments are involved — on the re-ingested invoice's row.
    """
    paid_file = pd.Series([], dtype="float64")
    if pay is not None and pay.has("invoice_id") and pay.has("amount"):
        rows = pd.DataFrame(
            {"invoice_id": pay.value("invoice_id"), "amount": pay.value("amount")}
        ).dropna()
        paid_file = rows.groupby("invoice_id", sort=False)["amount"].sum()
    file_ids = inv.value("invoice_id") if inv is not None else pd.Series([], dtype="str")
    if paid_file.empty and file_ids.isna().all():
        return
    relevant = stored_payments
    if not stored_payments.empty:
        touched = pd.Index(paid_file.index).append(pd.Index(file_ids.dropna()))
        relevant = stored_payments[_isin(stored_payments["invoice_id"], touched)]
    paid_stored = relevant.groupby("invoice_id", sort=False)["amount"].sum()
    paid = paid_file.add(paid_stored, fill_value=0.0)
    amounts = _by_id(existing.invoices, "invoice_id", "amount")
    if inv is not None:
        amounts = _combine(_first_by_key(file_ids, inv.value("amount")), amounts)
    amount = amounts.reindex(paid.index)
    over = paid[(paid > amount + MONEY_TOLERANCE).fillna(False)]
    if over.empty:
        return

    if pay is not None and not paid_file.empty:
        invoice_ids = pay.value("invoice_id")
        first_row = _first_by_key(invoice_ids, pd.Series(np.arange(pay.n)))
        flagged = np.zeros(pay.n, dtype=bool)
        flagged[first_row.reindex(over.index.intersection(paid_file.index)).to_numpy("int64")] = (
            True
        )

        def payment_reason(p: int) -> str:
            invoice = invoice_ids.iloc[p]
            in_file = float(paid_file.get(invoice, 0.0))
            stored = float(paid_stored.get(invoice, 0.0))
            detail = f"{_money(in_file)} in {pay.file}"
            if stored:
                detail += f" and {_money(stored)} already stored"
            return (
                f"payments for invoice {invoice} add up to {_money(in_file + stored)} "
                f"({detail}), more than the invoice amount of {_money(amount[invoice])}"
            )

        issues.add(pay, flagged, "amount", payment_reason)

    if inv is not None:
        lowered = over.index.difference(paid_file.index)
        first_row = _first_by_key(file_ids, pd.Series(np.arange(inv.n)))
        positions = first_row.reindex(lowered).dropna().to_numpy("int64")
        mask = np.zeros(inv.n, dtype=bool)
        mask[positions] = True
        issues.add(
            inv,
            mask,
            "amount",
            lambda p: (
                f"amount {inv.shown('amount', p)} is less than the "
                f"{_money(paid_stored[file_ids.iloc[p]])} already paid on this invoice"
            ),
        )


def _check_stored_payments_before_invoice(
    inv: _Table, stored_payments: pd.DataFrame, issues: _Issues
) -> None:
    """A re-ingested invoice must not move after payments already stored for it."""
    if stored_payments.empty or not inv.has("invoice_date"):
        return
    ids = inv.value("invoice_id")
    relevant = stored_payments[_isin(stored_payments["invoice_id"], ids.dropna())]
    earliest = relevant.groupby("invoice_id", sort=False)["payment_date"].min()
    first_paid = _lookup(ids, earliest)
    late = (inv.value("invoice_date") > first_paid).fillna(False).to_numpy()
    issues.add(
        inv,
        late,
        "invoice_date",
        lambda p: (
            f"invoice_date {inv.shown('invoice_date', p)} is after a payment of "
            f"{_day(first_paid.iloc[p])} already stored for this invoice"
        ),
    )


def _check_invoice_currency(inv: _Table, customer_currency: pd.Series, issues: _Issues) -> None:
    """An invoice is in its customer's account currency: amounts are added up per customer."""
    if not inv.has("customer_id"):
        return
    ids = inv.value("customer_id")
    ours = inv.value("currency")
    theirs = _lookup(ids, customer_currency)
    differs = (ours.notna() & theirs.notna() & (ours != theirs)).fillna(False).to_numpy()
    issues.add(
        inv,
        differs,
        "currency",
        lambda p: (
            f"currency {ours.iloc[p]} differs from customer {ids.iloc[p]}'s account "
            f"currency {theirs.iloc[p]}"
        ),
    )


def _check_stored_invoice_currency(
    cust: _Table, inv: _Table | None, existing: Ledger, issues: _Issues
) -> None:
    """A customer's currency may not change under invoices already stored in the old one."""
    if existing.invoices.empty or not cust.has("customer_id"):
        return
    ids = cust.value("customer_id")
    new_currency = _first_by_key(ids, cust.value("currency")).dropna()
    stored = existing.invoices[_isin(existing.invoices["customer_id"], new_currency.index)]
    if inv is not None:
        stored = stored[~_isin(stored["invoice_id"], inv.value("invoice_id").dropna())]
    if stored.empty:
        return
    wanted = new_currency.reindex(stored["customer_id"].to_numpy()).to_numpy()
    clash = stored[stored["currency"].to_numpy() != wanted].drop_duplicates("customer_id")
    example = clash.set_index("customer_id")
    mask = _isin(ids, example.index) & cust.value("currency").notna().to_numpy()
    issues.add(
        cust,
        mask,
        "currency",
        lambda p: (
            f"currency {cust.value('currency').iloc[p]} differs from the currency of "
            f"invoices already stored for customer {ids.iloc[p]} (e.g. invoice "
            f"{example.at[ids.iloc[p], 'invoice_id']} in {example.at[ids.iloc[p], 'currency']})"
        ),
    )


def _fill_currency(table: _Table, currency: str, notes: list[str]) -> None:
    """Rows without a currency get the ledger currency — said out loud in a note."""
    if not table.has("currency"):
        table.values["currency"] = pd.Series([currency] * table.n, dtype="str")
        notes.append(
            f"{table.file}: no currency column; used {currency} (the ARSCORE_CURRENCY setting) "
            "for every row"
        )
        return
    values = table.values["currency"]
    empty = values.isna().to_numpy() & ~table.bad["currency"]
    if empty.any():
        table.values["currency"] = values.where(~empty, currency)
        notes.append(
            f"{table.file}: currency empty on {int(empty.sum()):,} rows; used {currency} "
            "(the ARSCORE_CURRENCY setting)"
        )


def _currency_of_new_customers(inv: _Table) -> pd.Series:
    """Account currency of customers created from invoices: their most used invoice currency."""
    frame = pd.DataFrame(
        {"customer_id": inv.value("customer_id"), "currency": inv.value("currency")}
    ).dropna()
    if frame.empty:
        return pd.Series([], dtype="str")
    counts = frame.value_counts(["customer_id", "currency"], sort=False).reset_index(name="n")
    counts = counts.sort_values(["customer_id", "n", "currency"], ascending=[True, False, True])
    first = counts.drop_duplicates("customer_id")
    return _by_id(first, "customer_id", "currency")


# ---------------------------------------------------------------------------------------------
# Output


def _frame(table: _Table) -> pd.DataFrame:
    return pd.DataFrame({c: table.values[c] for c in table.entity.columns if c in table.values})


def _conformed_invoices(inv: _Table, notes: list[str]) -> pd.DataFrame:
    """Invoices as stored; a dispute always has a date so features stay point-in-time."""
    frame = _frame(inv)
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


def _created_customers(
    invoices: pd.DataFrame, stored: pd.Index, currency_of: pd.Series, notes: list[str]
) -> pd.DataFrame:
    """Customers for invoice customer ids the database does not know yet (no customers file)."""
    fresh = invoices[~_isin(invoices["customer_id"], stored)]
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


def validate_frames(
    raw: Mapping[str, pd.DataFrame],
    existing: Ledger,
    *,
    mapping: ColumnMapping | None = None,
    date_format: str | None = None,
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
    """
    if max_issues < 1:
        raise ValueError("max_issues must be at least 1")
    if currency not in CURRENCY_CODES:
        raise ValueError(f"currency must be an ISO 4217 code such as EUR; got {currency!r}")
    unknown = sorted(set(raw) - set(ENTITY_ORDER))
    if unknown:
        raise ValueError(f"unknown entities {unknown}; expected some of {list(ENTITY_ORDER)}")
    notes = [] if notes is None else notes
    names = {name: name for name in ENTITY_ORDER} | dict(file_names or {})
    issues = _Issues()
    tables = {
        name: _read_table(name, raw[name], names[name], mapping, date_format, issues, notes)
        for name in ENTITY_ORDER
        if name in raw
    }
    if mapping:
        _note_unused_mappings(mapping, tables, notes)
    cust, inv = tables.get("customers"), tables.get("invoices")
    pay, orders = tables.get("payments"), tables.get("orders")

    for table in tables.values():
        _check_duplicates(table, issues)
    if cust is not None:
        _check_customers(cust, issues)
        _fill_currency(cust, currency, notes)
    if inv is not None:
        _check_invoices(inv, issues)
        _fill_currency(inv, currency, notes)
    if pay is not None:
        _check_payments(pay, issues)

    # Who may be referenced: customers in the customers file or the database or — without a
    # customers file — the customers the invoices themselves introduce (created below).
    stored_customers = pd.Index(existing.customers["customer_id"])
    customer_currency = _by_id(existing.customers, "customer_id", "currency")
    new_currency = pd.Series([], dtype="str")
    if cust is not None:
        known = stored_customers.append(pd.Index(cust.value("customer_id").dropna()))
        where = f"{cust.file} or the database"
        customer_currency = _combine(
            _first_by_key(cust.value("customer_id"), cust.value("currency")), customer_currency
        )
        if inv is not None:
            _check_customer_refs(inv, known, issues, where)
        _check_stored_invoice_currency(cust, inv, existing, issues)
    elif inv is not None:
        known = stored_customers.append(pd.Index(inv.value("customer_id").dropna()))
        where = f"the database or {inv.file} (no customers file given)"
        new_currency = _currency_of_new_customers(inv)
        customer_currency = _combine(customer_currency, new_currency)
    else:
        known, where = stored_customers, "the database"
    if orders is not None:
        _check_customer_refs(orders, known, issues, where)

    stored_payments = existing.payments[
        ~existing.payments["payment_id"].str.endswith(IMPLIED_PAYMENT_SUFFIX)
    ]
    if pay is not None:
        _check_payment_refs(pay, inv, existing, issues)
        # Stored payments this file re-ingests are replaced, not added to.
        stored_payments = stored_payments[
            ~_isin(stored_payments["payment_id"], pay.value("payment_id").dropna())
        ]
    _check_paid_totals(pay, inv, existing, stored_payments, issues)
    if inv is not None:
        _check_stored_payments_before_invoice(inv, stored_payments, issues)
        _check_invoice_currency(inv, customer_currency, issues)

    issues.raise_if_any(max_issues)

    out: dict[str, pd.DataFrame] = {}
    if cust is not None:
        out["customers"] = conform(ENTITIES["customers"], _frame(cust))
    if inv is not None:
        out["invoices"] = _conformed_invoices(inv, notes)
        if cust is None:
            out["customers"] = _created_customers(
                out["invoices"], stored_customers, new_currency, notes
            )
    if pay is not None:
        out["payments"] = conform(ENTITIES["payments"], _frame(pay))
    if orders is not None:
        out["orders"] = conform(ENTITIES["orders"], _frame(orders))
    return out


__all__ = [
    "COUNTRY_CODES",
    "CURRENCY_CODES",
    "ColumnMapping",
    "IngestError",
    "Issue",
    "validate_frames",
]
