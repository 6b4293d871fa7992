"""Validation of raw ledger rows: text (or typed) frames in, conformed valid frames out.

Pure and file-independent (file names only label messages), so the CLI ingest and the API's
bulk upsert check rows by exactly the same rules. Every rule is a vectorised boolean mask: all
violations are counted, only the first few are turned into :class:`Issue` objects, so a
million-row file with a bad column costs one pass, not a million messages.

The row numbers reported are the raw frames' index values: readers set them to what the user
sees (CSV line number, Parquet record number), so validation never has to know about files.

One job per module, each importing only those below it:

- :mod:`~ledger.validate.pipeline`: :func:`validate_frames`, the order the checks run in
- :mod:`~ledger.validate.output`: conformed frames out, customers created from invoices
- :mod:`~ledger.validate.references`: rules across files and the database
- :mod:`~ledger.validate.entities`: rules within one entity file
- :mod:`~ledger.validate.columns`: required columns, and each value's type and range
- :mod:`~ledger.validate.mapping`: which source column feeds each of ours
- :mod:`~ledger.validate.parsing`: dates, numbers, yes/no and text from raw cells
- :mod:`~ledger.validate.issues`: the error report (:class:`Issue`, :class:`IngestError`)
- :mod:`~ledger.validate.table`: one entity's rows while they are checked
- :mod:`~ledger.validate.lookups`: id membership and keyed lookups
- :mod:`~ledger.validate.codes`: country and currency code tables
"""

from __future__ import annotations

from ledger.validate.codes import COUNTRY_CODES, CURRENCY_CODES
from ledger.validate.issues import DEFAULT_MAX_ISSUES, IngestError, Issue
from ledger.validate.mapping import ColumnMapping, provided_columns
from ledger.validate.pipeline import validate_frames

__all__ = [
    "COUNTRY_CODES",
    "CURRENCY_CODES",
    "DEFAULT_MAX_ISSUES",
    "ColumnMapping",
    "IngestError",
    "Issue",
    "provided_columns",
    "validate_frames",
]
