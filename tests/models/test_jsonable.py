"""The one JSON encoding: numpy, pandas and dates in, plain JSON out."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from models.jsonable import jsonable, records


def test_missing_and_infinite_numbers_become_null() -> None:
    values = [float("nan"), float("inf"), np.float64("-inf"), pd.NA, pd.NaT, None]
    assert jsonable(values) == [None] * 6


def test_numpy_scalars_become_python_numbers() -> None:
    out = jsonable({"a": np.int64(3), "b": np.float32(0.5), "c": np.bool_(True)})
    assert out == {"a": 3, "b": 0.5, "c": True}
    assert [type(v) for v in out.values()] == [int, float, bool]


def test_ledger_dates_are_plain_dates_and_times_are_kept() -> None:
    assert jsonable(pd.Timestamp("2026-10-31")) == "2026-10-31"
    assert jsonable(dt.date(2026, 1, 2)) == "2026-01-02"
    assert jsonable(dt.datetime(2026, 1, 2, 13, 5)) == "2026-01-02T13:05:00"


def test_nested_structures_are_converted_all_the_way_down() -> None:
    value = {1: (np.int8(1), [np.float64("nan")]), "x": np.array([1.5, 2.0])}
    out = jsonable(value)
    assert out == {"1": [1, [None]], "x": [1.5, 2.0]}
    json.dumps(out, allow_nan=False)


def test_records_put_the_named_index_first() -> None:
    frame = pd.DataFrame({"amount": [1.0, np.nan]}, index=pd.Index(["a", "b"]))
    assert records(frame, "bucket") == [
        {"bucket": "a", "amount": 1.0},
        {"bucket": "b", "amount": None},
    ]
