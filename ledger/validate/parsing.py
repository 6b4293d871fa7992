"""Parsing raw cells into typed values: cleaning text, dates, numbers, yes/no and ids.

Pure Series-in, Series-out functions: a value that cannot be parsed becomes missing, and the
caller (:mod:`ledger.validate.columns`) compares with the raw cell to report it. Typed input
(Parquet) passes through with the same result as its text form.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ledger.validate.table import show

# raw frame.attrs key set by the readers: the encoding a file was read with when some of its
# bytes did not decode (those cells hold U+FFFD and are reported where a column is used).
UNDECODABLE = "undecodable_encoding"
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})


def clean(series: pd.Series) -> pd.Series:
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


def is_text(s: pd.Series) -> bool:
    """Text (str or object strings), not a bool column."""
    return pd.api.types.is_string_dtype(s) and not pd.api.types.is_bool_dtype(s)


def as_text(s: pd.Series) -> pd.Series:
    """Ids and labels as text; whole floats from typed files lose their '.0'."""
    if is_text(s):
        return s.astype("str")
    if pd.api.types.is_float_dtype(s):
        whole = s.isna() | (s == np.floor(s))
        if whole.all():
            return s.astype("Int64").astype("str")
    return s.astype("object").map(show, na_action="ignore").astype("str")


def parse_dates(s: pd.Series, date_format: str | None) -> pd.Series:
    """Calendar dates (NaT where unparsable); ISO with an optional time unless ``date_format``."""
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


# Numbers as ERPs write them: a thousands separator ('.', ',', space, no-break space or
# apostrophe, always in groups of three) and the other of '.'/',' as the decimal mark.
_GROUPS = r"\d{{1,3}}(?:[{sep}\s'\u2019]\d{{3}})+"
_LOCALE_NUMBER = {
    mark: re.compile(
        r"[+-]?(?:"
        + _GROUPS.format(sep=re.escape(other))
        + r"|\d+)(?:"
        + re.escape(mark)
        + r"\d+)?|[+-]?"
        + re.escape(mark)
        + r"\d+"
    )
    for mark, other in ((",", "."), (".", ","))
}
_SEPARATORS = {",": r"[.\s'\u2019]", ".": r"[,\s'\u2019]"}
# A value that can only be read one way: the mark followed by other than three digits at the
# end ('12,50', '0.5'), or both marks with the decimal one last ('1.234,50', '1,234.50').
_EVIDENCE = {
    ",": r"[+-]?[\d.\s'\u2019]*,(?:\d{1,2}|\d{4,})|[+-]?\d{1,3}(?:\.\d{3})+,\d*",
    ".": r"[+-]?[\d,\s'\u2019]*\.(?:\d{1,2}|\d{4,})|[+-]?\d{1,3}(?:,\d{3})+\.\d*",
}


def decimal_mark(text: pd.Series) -> tuple[str, int | None]:
    """The decimal mark a text column of numbers uses, and the position of a value showing it.

    Decided by the values that can be read only one way; '.' when none can or both marks are
    used as often (then the other style's values are reported, not silently misread).
    """
    found = {
        mark: text.str.fullmatch(pattern).fillna(False).to_numpy()
        for mark, pattern in _EVIDENCE.items()
    }
    comma, dot = int(found[","].sum()), int(found["."].sum())
    mark = "," if comma > dot else "."
    hits = np.flatnonzero(found[mark])
    return mark, (int(hits[0]) if hits.size else None)


def parse_numbers(s: pd.Series, decimal: str | None = None) -> tuple[pd.Series, str]:
    """Finite floats (NaN where unparsable or infinite) and the decimal mark they were read with.

    Text is read as plain numbers first (the fast path for clean files); only a column with
    values that do not parse is read with thousands separators and the decimal mark
    ``decimal`` — or the one its values show (:func:`decimal_mark`).
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
        return out.where(np.isfinite(out)), decimal or "."
    text = s.astype("str")
    if decimal == ",":
        out = _locale_numbers(text, ",")
    else:
        out = pd.to_numeric(text, errors="coerce").astype("float64")
        failed = (text.notna() & out.isna()).to_numpy()
        if failed.any():
            mark = decimal or decimal_mark(text)[0]
            if mark == ",":
                out = _locale_numbers(text, ",")
            else:
                out = out.where(~failed, _locale_numbers(text[failed], "."))
            decimal = mark
    return out.where(np.isfinite(out)), decimal or "."


def _locale_numbers(text: pd.Series, mark: str) -> pd.Series:
    """Numbers with thousands separators and decimal mark ``mark``; NaN where malformed."""
    ok = text.str.fullmatch(_LOCALE_NUMBER[mark]).fillna(False)
    plain = text.where(ok).str.replace(_SEPARATORS[mark], "", regex=True)
    if mark == ",":
        plain = plain.str.replace(",", ".", regex=False)
    return pd.to_numeric(plain, errors="coerce").astype("float64").reindex(text.index)


# Formats the dates of ERP exports come in, tried on unreadable dates to say which one to pass.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
)


def guess_date_formats(text: pd.Series, sample: int = 1000) -> list[str]:
    """The formats of :data:`DATE_FORMATS` that read every value (of a sample) as a date
    between 1900 and 2100 — two when day and month cannot be told apart."""
    values = text.dropna().astype("str")
    if values.empty:
        return []
    values = values.iloc[:sample]
    fits = []
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        if parsed.notna().all() and parsed.dt.year.between(1900, 2100).all():
            fits.append(fmt)
    return fits


def parse_bools(s: pd.Series) -> pd.Series:
    """True/False from yes/no words (or typed bools); None where unparsable."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("object")
    if s.dtype == object and not s.dropna().map(type).isin([str]).any():
        return s.map(bool, na_action="ignore").astype("object")
    if pd.api.types.is_numeric_dtype(s):
        text = s.astype("object").map(show, na_action="ignore").astype("str")
    else:
        text = s.astype("str")
    lower = text.str.lower()
    out = pd.Series(np.full(len(s), None, dtype=object))
    out[lower.isin(list(TRUE_WORDS)).to_numpy()] = True
    out[lower.isin(list(FALSE_WORDS)).to_numpy()] = False
    return out
