"""The one JSON encoding of arscore's results: the API, the CLI and saved model bundles all
turn numpy and pandas values into plain JSON through :func:`jsonable`.

JSON has no NaN or infinity, so a missing or undefined number becomes ``null``; numpy scalars
become Python numbers; dates become ISO text (a timestamp at midnight, as every ledger date is,
becomes a plain date); mappings and sequences are converted all the way down.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready Python (dict, list, str, int, float, bool or None)."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dt.datetime):  # pd.Timestamp is a datetime
        midnight = value.time() == dt.time(0) and value.tzinfo is None
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    return str(value)


def records(frame: pd.DataFrame, index_name: str | None = None) -> list[dict[str, Any]]:
    """A table as JSON-ready rows, its index first as a column (named ``index_name``)."""
    if index_name is not None:
        frame = frame.rename_axis(index_name)
    return jsonable(frame.reset_index().to_dict(orient="records"))
