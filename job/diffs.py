"""What a step writes, row by row and column by column: `plan --diff` (and `retry --diff`) show it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from job.rows import PendingRow

HIDDEN = "(hidden: set from the helper API)"


@dataclass(frozen=True)
class RowChange:
    """One row a step writes, or in a plan would write: each column's value before and after."""

    step: str
    database: str
    table: str
    key: str
    action: str
    """insert or update."""
    columns: dict[str, tuple[Any, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "database": self.database,
            "table": self.table,
            "row_key": self.key,
            "action": self.action,
            "columns": {name: {"before": before, "after": after} for name, (before, after) in self.columns.items()},
        }


def changes_of(
    step: str, database: str, table: str, rows: Iterable[PendingRow], hidden: Iterable[str] = ()
) -> list[RowChange]:
    """The changes of the rows that went through: an insert when the row had no `before`, else an update."""
    secret = set(hidden)
    changes = []
    for row in rows:
        if not row.ok:
            continue
        action = "update" if row.before is not None else "insert"
        before = row.before or {}
        columns = {
            name: (before.get(name), HIDDEN if name in secret and value is not None else value)
            for name, value in row.values.items()
        }
        changes.append(RowChange(step, database, table, row.key, action, columns))
    return changes
