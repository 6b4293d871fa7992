"""Parsing raw cells into typed values: cleaning text, dates, numbers, yes/no and ids.

Pure Series-in, Series-out functions: a value that cannot be parsed becomes missing, and the
caller (:mod:`ledger.validate.columns`) compares with the raw cell to report it. Typed input
(Parquet) passes through with the same result as its text form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledger.validate.table import show

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


def parse_numbers(s: pd.Series) -> pd.Series:
    """Finite floats; NaN where unparsable or infinite."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
    else:
        out = pd.to_numeric(s.astype("str"), errors="coerce").astype("float64")
    return out.where(np.isfinite(out))


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
