"""Reading ledger files as the user wrote them: CSV as text, Parquet as typed columns.

Nothing is interpreted here (that is :mod:`ledger.validate`'s job); readers only get the cells
into a frame whose index is the row number a spreadsheet shows, and turn unreadable files into
clear :class:`~ledger.validate.IngestError`s.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ledger.schema import ENTITIES
from ledger.validate import ColumnMapping, IngestError, Issue

SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")
_DELIMITERS = (",", ";", "\t", "|")


class MappingError(ValueError):
    """A column mapping that cannot be used (unknown column, malformed item or file)."""


def read_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read one entity file; returns the raw frame (index = row numbers) and notes.

    CSV: every cell as text (nothing guessed: leading zeros stay), row = line number with the
    header on line 1. Parquet: typed columns as stored, row = 1-based record number.
    """
    path = Path(path)
    if not path.is_file():
        raise _file_error(path, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path), []
    raise _file_error(
        path,
        f"unsupported file type {path.suffix or '(none)'!r}: use .csv or .parquet "
        "(from Excel: Save As → CSV UTF-8)",
    )


def _file_error(path: Path, reason: str, row: int | None = None) -> IngestError:
    return IngestError([Issue(path.name, row, None, None, reason)])


def _sniff_delimiter(header_line: str) -> str:
    """The header's separator: comma, or the semicolon/tab/pipe many European ERPs write."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header_line = handle.readline()
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    if not header_line.strip():
        raise _file_error(path, "the file is empty: expected a header row with column names")
    delimiter = _sniff_delimiter(header_line)
    header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise _file_error(path, f"column {name!r} appears more than once in the header", 1)
        seen.add(name)
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise _file_error(
            path,
            f"the file cannot be read as CSV: {exc}".replace(
                "Error tokenizing data. C error: ", ""
            ),
            int(line.group(1)) if line else None,
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    notes: list[str] = []
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame[~blank]
        notes.append(f"{path.name}: skipped {int(blank.sum()):,} empty rows")
    return frame, notes


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with nothing in any cell (blank lines, ',,,' lines from spreadsheets)."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        if not blank.any():
            break
        candidates = np.flatnonzero(blank)
        values = frame[column].iloc[candidates].str.strip()
        blank[candidates] = (values == "").to_numpy()
    return blank


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> IngestError:
    return _file_error(
        path,
        f"the file is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at "
        f"position {exc.start}); save it as 'CSV UTF-8'",
    )


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for damaged files
        raise _file_error(path, f"not a readable Parquet file: {exc}") from exc
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def find_entity_file(folder: Path, entity: str) -> Path | None:
    """``<entity>.csv`` or ``<entity>.parquet`` in ``folder`` (any letter case)."""
    matches = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.stem.lower() == entity and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if len(matches) > 1:
        names = " and ".join(p.name for p in matches)
        raise IngestError(
            [Issue(str(folder), None, None, None, f"both {names} found; keep only one")]
        )
    return matches[0] if matches else None


# ---------------------------------------------------------------------------------------------
# Column mappings


def read_mapping(items: Iterable[str], mapping_file: Path | None = None) -> ColumnMapping:
    """A column mapping from ``canonical=source`` items and/or a YAML/JSON file.

    Items may name an entity, ``payments.invoice_id=InvoiceRef``; without one they apply to
    every file. The file is either flat ``{canonical: source}`` or per entity
    ``{invoices: {canonical: source}}`` (both may be mixed). Items override the file.
    """
    common: dict[str, str] = {}
    per_entity: dict[str, dict[str, str]] = {}
    if mapping_file is not None:
        _merge(_mapping_file(Path(mapping_file)), common, per_entity, str(mapping_file))
    for item in items:
        canonical, sep, source = item.partition("=")
        canonical, source = canonical.strip(), source.strip()
        if not sep or not canonical or not source:
            raise MappingError(
                f"column mapping {item!r} is not of the form ours=theirs, "
                "e.g. invoice_id=InvoiceNo (or payments.invoice_id=InvoiceRef)"
            )
        entity, dot, column = canonical.partition(".")
        if dot:
            _merge({entity: {column: source}}, common, per_entity, repr(item))
        else:
            _merge({canonical: source}, common, per_entity, repr(item))
    return ColumnMapping(common=common, per_entity=per_entity)


def _mapping_file(path: Path) -> dict:
    if not path.is_file():
        raise MappingError(f"mapping file {str(path)!r} does not exist")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {str(path)!r} is not valid YAML or JSON: {exc}") from exc
    if not isinstance(content, dict):
        raise MappingError(
            f"mapping file {str(path)!r} must hold a mapping such as "
            "{invoice_id: InvoiceNo} or {invoices: {invoice_id: InvoiceNo}}"
        )
    return content


def _merge(
    content: dict,
    common: dict[str, str],
    per_entity: dict[str, dict[str, str]],
    origin: str,
) -> None:
    all_columns = {c for e in ENTITIES.values() for c in e.columns}
    for key, value in content.items():
        key = str(key).strip()
        if isinstance(value, dict):
            if key not in ENTITIES:
                raise MappingError(
                    f"{origin}: {key!r} is not one of {', '.join(ENTITIES)}; "
                    "a nested mapping must be under an entity name"
                )
            target = per_entity.setdefault(key, {})
            for column, source in value.items():
                column = str(column).strip()
                if column not in ENTITIES[key].columns:
                    raise MappingError(
                        f"{origin}: {key} has no column {column!r}; its columns are "
                        f"{', '.join(ENTITIES[key].columns)}"
                    )
                target[column] = _source(source, f"{key}.{column}", origin)
        else:
            if key not in all_columns:
                raise MappingError(
                    f"{origin}: {key!r} is not an arscore column; the columns are "
                    f"{', '.join(sorted(all_columns))}"
                )
            common[key] = _source(value, key, origin)


def _source(value: object, canonical: str, origin: str) -> str:
    if value is None or isinstance(value, (list, dict)) or not str(value).strip():
        raise MappingError(f"{origin}: {canonical} must map to a column name; got {value!r}")
    return str(value).strip()


__all__ = ["SUPPORTED_SUFFIXES", "MappingError", "find_entity_file", "read_mapping", "read_table"]
