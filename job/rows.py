"""A row on its way to the target, and the checks every row gets before it is written."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from job.convert import KEEP
from job.db import ColumnInfo
from job.state import Problem
from job.values import OutOfRange

# C0 and C1 control characters and DEL, except tab, line feed and carriage return (a bio may hold those).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
REJECTED = "rejected"
DEFERRED = "deferred"


@dataclass
class PendingRow:
    """One source row: its key, its source values, and the target values worked out so far."""

    key: str
    source: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    """The target's current values, for a row that is updated (None: the row is inserted)."""
    kind: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind is None

    def reject(self, reason: str) -> None:
        if self.ok:
            self.kind, self.reason = REJECTED, reason

    def defer(self, reason: str) -> None:
        if self.ok:
            self.kind, self.reason = DEFERRED, reason


def value_problem(column: str, value: Any, info: ColumnInfo | None, table: str) -> str | None:
    """Why the target would refuse this value (missing column, null in NOT NULL, too long), or None."""
    if value is KEEP:
        return None
    if info is None:
        return f"{column}: the target table {table} has no such column"
    if isinstance(value, OutOfRange):
        return f"{column}: the source value is {value}, which the job does not copy"
    if value is None and not info.nullable:
        return f"{column}: {table} requires a value and the source has none"
    if isinstance(value, str) and info.max_length is not None and len(value) > info.max_length:
        return f"{column}: {len(value)} characters, {table}.{column} allows at most {info.max_length}"
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        return f"{column}: contains control characters (tab and line breaks aside), which the job does not copy"
    return None


def check_values(row: PendingRow, columns: dict[str, ColumnInfo], table: str, names: list[str]) -> None:
    """Reject the row on the first of these values the target would refuse."""
    for name in names:
        problem = value_problem(name, row.values.get(name), columns.get(name), table)
        if problem:
            row.reject(problem)
            return


def problems_of(flow: str, step: str, rows: Iterable[PendingRow]) -> list[Problem]:
    """The rejected and deferred rows among these, as records for the state and the report."""
    return [Problem(flow, step, row.key, row.kind, row.reason or "") for row in rows if row.kind is not None]
