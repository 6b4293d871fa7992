"""Writing a generated ledger to disk: CSV or Parquet per entity, plus ``truth.csv``.

Files are converted column by column to Arrow with types from the schema (dates as calendar
dates, ids as text) and written with Arrow's writers, which are several times faster than
pandas' CSV writer on millions of rows. Everything is written to temporary names first and
renamed at the end, so a failure leaves no half-written ledger behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ledger.frames import Ledger
from ledger.schema import ENTITIES, Kind

FORMATS = ("csv", "parquet")


def write_result(
    ledger: Ledger, truth: pd.DataFrame, out_dir: Path, fmt: Literal["csv", "parquet"]
) -> dict[str, Path]:
    """Write the four entity files and ``truth.csv``; returns name → final path."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output folder {str(out_dir)!r} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "customers": ledger.customers,
        "invoices": ledger.invoice_rows,  # credit notes are invoice lines with negative amounts
        "payments": ledger.payments,
        "orders": ledger.orders,
    }
    # Without credit notes the invoices file keeps the columns it always had.
    skip = {"reference_invoice_id"} if ledger.credit_notes.empty else set()
    tables = {
        name: (_arrow_table(frame, _kinds(name, skip)), fmt) for name, frame in frames.items()
    }
    truth_kinds = {
        "customer_id": Kind.ID,
        "month": Kind.DATE,
        "true_pd_12m": Kind.NUMBER,
        "defaulted_on": Kind.DATE,
    }
    tables["truth"] = (_arrow_table(truth, truth_kinds), "csv")

    final = {name: out_dir / f"{name}.{ext}" for name, (_, ext) in tables.items()}
    partial = {name: path.with_name(f".{path.name}.partial") for name, path in final.items()}
    try:
        for name, (table, ext) in tables.items():
            if ext == "csv":
                pa_csv.write_csv(table, partial[name])
            else:
                pq.write_table(table, partial[name])
    except BaseException:
        for path in partial.values():
            path.unlink(missing_ok=True)
        raise
    for name, path in partial.items():
        os.replace(path, final[name])
    return final


def _kinds(entity: str, skip: set[str]) -> dict[str, Kind]:
    # paid_date is for exports without payments; ours has explicit payments.
    left_out = {"paid_date", *skip}
    return {f.name: f.kind for f in ENTITIES[entity].fields if f.name not in left_out}


def _arrow_table(frame: pd.DataFrame, kinds: dict[str, Kind]) -> pa.Table:
    columns = {}
    for column, kind in kinds.items():
        series = frame[column]
        if kind is Kind.DATE:
            values = series.to_numpy(dtype="datetime64[ns]")
            columns[column] = pa.array(
                values.astype("datetime64[D]"), type=pa.date32(), mask=np.isnat(values)
            )
        else:
            columns[column] = pa.Array.from_pandas(series)
    return pa.table(columns)
