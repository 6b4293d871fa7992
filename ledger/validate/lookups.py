"""Vectorised id lookups shared by the rules: membership, and values keyed by id.

Ids are text; pandas' own ``isin`` on Arrow strings is slow for large pools, so membership
goes through Arrow. Keyed lookups combine this file's rows with what the database stores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow_strings(values: pd.Series | pd.Index) -> pa.Array:
    array = pd.Series(values, copy=False).astype("str").array
    arrow = array.__arrow_array__() if hasattr(array, "__arrow_array__") else pa.array(array)
    return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow


def isin(values: pd.Series | pd.Index, pool: pd.Series | pd.Index) -> np.ndarray:
    """``values.isin(pool)`` for ids, as a bool array (missing -> False).

    pandas' ``isin`` on Arrow strings loops over ``pool`` in Python — seconds per million ids —
    so membership goes through Arrow's hash-based ``is_in``.
    """
    found = pc.is_in(_arrow_strings(values), value_set=_arrow_strings(pool), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def first_by_key(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` indexed by ``keys`` (first occurrence wins; missing keys dropped)."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy()})
    frame = frame[frame["k"].notna()].drop_duplicates("k", keep="first")
    return pd.Series(frame["v"].to_numpy(), index=pd.Index(frame["k"], dtype="str"))


def by_id(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``frame[column]`` indexed by ``frame[key]`` as text."""
    return pd.Series(frame[column].to_numpy(), index=pd.Index(frame[key], dtype="str"))


def combine(*sources: pd.Series) -> pd.Series:
    """One lookup from several keyed sources; the first source that has a key wins."""
    combined = sources[0]
    for more in sources[1:]:
        if not more.empty:
            combined = pd.concat([combined, more[~isin(more.index, combined.index)]])
    return combined


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for every key, aligned with ``keys`` (NaN where unknown)."""
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index)
