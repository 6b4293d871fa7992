"""Reading ledger files as the user wrote them: CSV as text, Parquet and Excel as typed columns.

Nothing is interpreted here (that is :mod:`ledger.validate`'s job); readers only get the cells
into a frame whose index is the row number a spreadsheet shows, and turn unreadable files into
clear :class:`~ledger.validate.IngestError`s.

CSV files are decoded as UTF-8 (with or without a byte-order mark) when they are valid UTF-8,
else as Windows-1252, what Excel's plain "CSV" and most Western European ERPs write (Latin-1
files read the same: the two differ only in control characters no export contains); other code
pages need ``encoding``. Bytes that do not decode become U+FFFD and the frame says so in
``attrs[UNDECODABLE]``, so validation reports them by row and column like any other bad cell —
and only in the columns it uses.
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
from ledger.validate.parsing import UNDECODABLE
from ledger.validate.table import show

SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".xlsx")
_DELIMITERS = (",", ";", "\t", "|")
_FALLBACK_ENCODING = "cp1252"


class MappingError(ValueError):
    """A column mapping that cannot be used (unknown column, malformed item or file)."""


def read_table(
    path: Path, encoding: str | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read one entity file; returns the raw frame (index = row numbers) and notes.

    CSV: every cell as text (nothing guessed: leading zeros stay), row = line number with the
    header on line 1; ``encoding`` overrides the detection (UTF-8, else Windows-1252).
    Parquet: typed columns as stored, row = 1-based record number. Excel (.xlsx): the sheet
    named (or numbered from 1) by ``sheet``, else the first; cells as Excel typed them, row =
    the sheet's row number with the header on row 1.
    """
    path = Path(path)
    if not path.is_file():
        raise _file_error(path, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, encoding)
    if suffix == ".parquet":
        return _read_parquet(path), []
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    hint = " (older Excel .xls: open it in Excel and save as .xlsx)" if suffix == ".xls" else ""
    raise _file_error(
        path,
        f"unsupported file type {path.suffix or '(none)'!r}: use .csv, .xlsx or .parquet{hint}",
    )


def _file_error(path: Path, reason: str, row: int | None = None) -> IngestError:
    return IngestError([Issue(path.name, row, None, None, reason)])


def _sniff_delimiter(header_line: str) -> str:
    """The header's separator: comma, or the semicolon/tab/pipe many European ERPs write."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, list[str]]:
    if encoding is not None:
        try:
            "".encode(encoding)
        except LookupError as exc:
            raise _file_error(
                path, f"unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or latin-1"
            ) from exc
    chosen = encoding or "utf-8-sig"
    notes: list[str] = []
    try:
        frame = _parse_csv(path, chosen, "strict")
        damaged = False
    except UnicodeDecodeError:
        chosen, damaged = _fallback_encoding(path, encoding)
        frame = _parse_csv(path, chosen, "replace" if damaged else "strict")
        if not damaged:
            notes.append(
                f"{path.name}: not UTF-8; read as Windows-1252 (cp1252), as Excel's plain CSV "
                "writes it — if names look wrong, give the file's encoding with --encoding"
            )
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame[~blank]
        notes.append(f"{path.name}: skipped {int(blank.sum()):,} empty rows")
    if damaged:
        frame.attrs[UNDECODABLE] = chosen.removesuffix("-sig")
    return frame, notes


def _fallback_encoding(path: Path, given: str | None) -> tuple[str, bool]:
    """The encoding to read a file with that failed to decode, and whether bytes stay bad.

    A given encoding stays (its bad bytes are reported per cell). A file that is mostly valid
    UTF-8 with a few stray bytes is UTF-8 with damage; otherwise it is Windows-1252 — or
    Latin-1, which decodes every byte, when it uses one of cp1252's five unassigned bytes.
    """
    if given is not None:
        return given, True
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if sum(1 for ch in text if ord(ch) > 127) - bad > bad:
        return "utf-8-sig", True
    try:
        data.decode(_FALLBACK_ENCODING)
    except UnicodeDecodeError:
        return "latin-1", False
    return _FALLBACK_ENCODING, False


def _parse_csv(path: Path, encoding: str, errors: str) -> pd.DataFrame:
    """Every cell as text, in the delimiter the header uses; malformed files as IngestErrors."""
    with path.open(encoding=encoding, errors=errors, newline="") as handle:
        header_line = handle.readline()
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
            encoding=encoding,
            encoding_errors=errors,
        )
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
    return frame


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


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    """One sheet of a workbook, header on row 1; typed cells stay typed (dates, numbers)."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            chosen = _sheet_name(path, names, sheet)
            cells = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl raises zipfile, XML and value errors for damaged files
        raise _file_error(path, f"not a readable Excel .xlsx file: {exc}") from exc
    notes = []
    if sheet is None and len(names) > 1:
        notes.append(
            f"{path.name}: read sheet {chosen!r}, the first of {', '.join(map(repr, names))}; "
            "choose another with --sheet"
        )
    if cells.empty:
        raise _file_error(
            path, f"sheet {chosen!r} is empty: expected a header row with column names"
        )
    header = ["" if _missing(v) else str(show(v)).strip() for v in cells.iloc[0]]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise _file_error(path, f"column {name!r} appears more than once in the header", 1)
        seen.add(name)
    body = cells.iloc[1:]
    frame = pd.DataFrame(
        {name: _typed_column(body[position]) for position, name in enumerate(header)}
    )
    frame.index = pd.RangeIndex(2, len(body) + 2)
    blank = body.map(_missing).all(axis=1).to_numpy()
    if blank.any():
        frame = frame[~blank]
        notes.append(f"{path.name}: skipped {int(blank.sum()):,} empty rows")
    return frame, notes


def _sheet_name(path: Path, names: list[str], sheet: str | None) -> str:
    """The sheet asked for by name or by number (1 = first), else the first sheet."""
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    raise _file_error(
        path, f"no sheet {sheet!r}; the workbook's sheets are {', '.join(map(repr, names))}"
    )


def _missing(value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _typed_column(cells: pd.Series) -> pd.Series:
    """A sheet column as the cells were typed: all numbers → floats, all dates → datetimes,
    anything mixed → text as the cells show it (a whole number without '.0')."""
    values = cells.reset_index(drop=True).map(lambda v: None if _missing(v) else v)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return pd.to_numeric(values).astype("float64")
    if kind in ("datetime", "datetime64", "date"):
        return pd.to_datetime(values)
    if kind == "boolean":
        return values.astype("object")
    return values.map(show, na_action="ignore").astype("str")


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
    """``<entity>.csv``, ``.xlsx`` or ``.parquet`` in ``folder`` (any letter case)."""
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


__all__ = [
    "SUPPORTED_SUFFIXES",
    "UNDECODABLE",
    "MappingError",
    "find_entity_file",
    "read_mapping",
    "read_table",
]
