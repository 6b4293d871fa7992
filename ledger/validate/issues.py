"""The error report of validation: :class:`Issue`, :class:`IngestError` and the log collecting them.

Every rule hands :class:`IssueLog` a boolean mask over a table's rows; the log keeps the masks'
positions and turns only the first ``max_issues`` (file, then row order) into :class:`Issue`
objects, so a million-row file with a bad column costs one pass, not a million messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.validate.table import Table

# How many problems an IngestError lists (all are counted).
DEFAULT_MAX_ISSUES = 50


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
class _Chunk:
    """All violations of one rule in one file: their row numbers, and how to describe one."""

    rank: int
    file: str
    column: str | None
    rows: np.ndarray  # row numbers as shown to the user; -1 marks a file-level issue
    describe: Callable[[int], tuple[str | None, str]]  # i-th violation -> (value, reason)


class IssueLog:
    """Every violation found so far, as masks per rule; messages are built only when listed."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []

    @property
    def total(self) -> int:
        return sum(len(c.rows) for c in self._chunks)

    def file_level(self, table: Table, column: str | None, reason: str) -> None:
        self._chunks.append(
            _Chunk(table.rank, table.file, column, np.array([-1]), lambda _i: (None, reason))
        )

    def add(
        self,
        table: Table,
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
