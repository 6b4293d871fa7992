"""The error report of validation: :class:`Issue`, :class:`IngestError` and the log collecting them.

Every rule hands :class:`IssueLog` a boolean mask over a table's rows; the log keeps the masks'
positions and turns each rule's violations in one column into one :class:`Issue` — with how
many rows break it and the first few as examples — so a column of dates in another format is
one message, not one per cell, and a million-row file costs one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.validate.table import Table

# How many problems an IngestError lists (all are counted).
DEFAULT_MAX_ISSUES = 50
# How many rows a problem found on many rows shows as examples.
EXAMPLES = 3


@dataclass(frozen=True)
class Issue:
    """One violated rule, located the way a spreadsheet user finds it.

    ``row`` is the CSV line number (header = 1, first data row = 2) or the 1-based Parquet
    record number; None for file-level problems (a missing column or file). A rule broken on
    several rows of a column is one issue: ``count`` rows, ``row`` and ``value`` the first,
    and ``reason`` says how many and shows the first few.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    count: int = 1

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}" if self.count == 1 else f", {self.count:,} rows"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class IngestError(ValueError):
    """Input that cannot be loaded. ``issues`` holds the first problems (file then row order),
    ``total`` how many there are in all (a rule broken on many rows of a column is one
    problem); nothing has been written when this is raised."""

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
    summary: str | None = None  # the reason without a value, for when many rows break the rule

    def issue(self) -> Issue:
        """One issue for the whole chunk: the rule, the count, the first rows as examples."""
        order = np.argsort(self.rows, kind="stable")[:EXAMPLES]
        first = int(self.rows[order[0]])
        value, reason = self.describe(int(order[0]))
        count = len(self.rows)
        if count > 1:
            if self.summary is not None:
                shown = "; ".join(
                    f"row {int(self.rows[j])}: {self.describe(int(j))[0]!r}" for j in order
                )
                reason = f"{self.summary} — {count:,} rows, first {shown}"
            else:
                shown = "; ".join(
                    f"row {int(self.rows[j])}: {self.describe(int(j))[1]}" for j in order
                )
                reason = f"{count:,} rows break this rule — first {shown}"
            if count > len(order):
                reason += " …"
        return Issue(self.file, None if first < 0 else first, self.column, value, reason, count)


class IssueLog:
    """Every violation found so far, as masks per rule; messages are built only when listed."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []

    @property
    def total(self) -> int:
        """Problems found: each rule broken in a column counts once, however many rows."""
        return len(self._chunks)

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
        summary: str | None = None,
    ) -> None:
        """Record the rows where ``mask`` is True (positions in ``table``) as one issue.
        ``reason`` gets a table position (the message when one row breaks the rule);
        ``summary`` is that message without the value, for many rows ("due_date is not a date
        in …", followed by the count and the first rows' values); the value shown
        is the cell of ``column`` as the input had it."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size == 0:
            return

        def describe(i: int) -> tuple[str | None, str]:
            p = int(positions[i])
            return (table.shown(column, p) if column else None), reason(p)

        self._chunks.append(
            _Chunk(table.rank, table.file, column, table.rows[positions], describe, summary)
        )

    def first(self, n: int) -> list[Issue]:
        """The first ``n`` issues ordered by file, then first row (file-level issues first)."""
        order = sorted(
            range(len(self._chunks)),
            key=lambda c: (self._chunks[c].rank, int(self._chunks[c].rows.min()), c),
        )
        return [self._chunks[c].issue() for c in order[:n]]

    def raise_if_any(self, max_issues: int) -> None:
        total = self.total
        if total:
            raise IngestError(self.first(max_issues), total)
