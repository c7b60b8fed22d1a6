"""What every step kind gets from the run: one contract, whatever the kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from job.changes import Identity
from job.db import Database
from job.diffs import RowChange
from job.flow_model import Side
from job.helper_client import HelperClient
from job.report import StepResult
from job.state import Problem, StateStore

TableRef = tuple[str, str]
"""(side, table): a table of DB1 or DB2."""


@dataclass
class StepContext:
    """The open databases, the state and the run's choices, as one step sees them."""

    flow: str
    dbs: dict[Side, Database]
    helper: HelperClient | None
    batch_size: int
    reader: StateStore | None
    """The state as the last runs left it (None before the first run has created it)."""
    step_state: StateStore | None
    """Staged with the step, in the same transaction as the state database's writes (None in plan mode)."""
    run_id: int | None
    full: bool = False
    """Compare every row, whatever the change detection says (`run --full`)."""
    full_every: timedelta | None = None
    """A step whose last full comparison is older than this compares every row."""
    identities: dict[Side, Identity] = field(default_factory=dict)
    inserted: dict[TableRef, set[int]] = field(default_factory=dict)
    """The ids that inserted this step's rows, per table, staged once it succeeds."""
    on_problems: Callable[[list[Problem]], None] = lambda _problems: None
    progress: Callable[[int], None] = lambda _rows: None
    """Called with the number of rows of each batch the step has handled."""
    diff_limit: int = 0
    """Keep this many of the step's written rows, column by column, in its result (`--diff`; 0: none)."""

    def keep_changes(self, result: StepResult, changes: list[RowChange]) -> None:
        """Keep the rows a batch wrote, column by column, up to `diff_limit` per step."""
        result.changes.extend(changes[: max(0, self.diff_limit - len(result.changes))])

    def note_inserted(self, side: Side, table: str, xids: set[int]) -> None:
        """The ids that inserted rows into a table. The next run of this step leaves them out of the window
        of a table it watches; every other step compares those rows once.

        Only inserts: an UPDATE that waited for another transaction's update of the same row writes a
        version that carries that change under the job's id, so rows the job updated are compared once
        more by the next run (they compare equal, nothing is written)."""
        self.inserted.setdefault((side.value, table), set()).update(xids)
