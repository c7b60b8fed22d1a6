"""Two-way status steps: one column kept equal on both sides, judged against the last sync.

Per row, with L and R the raw values now and (L0, R0) the raw values seen at the last sync:
equal meanings → nothing to write; only one side changed → the other follows; both changed to
different meanings → the left side (DB1) wins and the conflict is recorded. A row never synced
before whose sides disagree is resolved the same way as a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql

from job.catalog import CheckLine, columns_present
from job.convert import CONVERTERS
from job.copy_step import target_table_columns
from job.db import Database
from job.diffs import changes_of
from job.flow_model import Side, StatusStep
from job.pages import fetch_by_keys, stream_rows
from job.privileges import Need, Privilege
from job.report import StepResult
from job.rows import PendingRow, problems_of
from job.scope import Scope
from job.state import Conflict
from job.step_context import StepContext
from job.writes import update_pending

Baseline = tuple[str | None, str | None]


def canonical(value: object) -> str | None:
    """Raw values as stored in the baseline: booleans as 'true'/'false', others as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


@dataclass(frozen=True)
class Decision:
    """What to write for one row: a new left or right value (None: leave it), and whether it conflicted."""

    new_left: Any = None
    new_right: Any = None
    conflict: bool = False


def decide(
    left: object,
    right: object,
    base: Baseline | None,
    left_meaning: Callable[[Any], Any],
    right_meaning: Callable[[Any], Any],
    to_left: Callable[[Any], Any],
    to_right: Callable[[Any], Any],
) -> Decision:
    """The pure three-way decision for one row (see the module docstring)."""
    left_value, right_value = left_meaning(left), right_meaning(right)
    if left_value == right_value:
        return Decision()
    if base is None:
        return Decision(new_right=to_right(left_value), conflict=True)
    left_changed = canonical(left) != base[0]
    right_changed = canonical(right) != base[1]
    if right_changed and not left_changed:
        return Decision(new_left=to_left(right_value))
    return Decision(new_right=to_right(left_value), conflict=left_changed and right_changed)


def run_status_step(ctx: StepContext, step: StatusStep, scope: Scope) -> StepResult:
    """Run the step inside both databases' open transactions; the caller commits or rolls back."""
    result = StepResult(step.name)
    left_db, right_db = ctx.dbs[step.left], ctx.dbs[step.right]
    with left_db.cursor() as lcur, right_db.cursor() as rcur:
        left_cols = target_table_columns(lcur, left_db, step.left_table, [step.left_key, step.left_column])
        right_cols = target_table_columns(
            rcur, right_db, step.right_table, [step.right_key, step.right_column, *step.right_update_timestamps]
        )
        if scope.empty:
            return result
        relation = status_source_relation(step, scope)
        for page in stream_rows(left_db, relation, step.left_key, [step.left_column], ctx.batch_size):
            keys = [str(row[step.left_key]) for row in page]
            rights = fetch_by_keys(
                rcur, step.right_table, step.right_key, right_cols[step.right_key].base_type, [step.right_column], keys
            )
            bases = ctx.reader.baselines(step.name, keys) if ctx.reader else {}
            left_rows, right_rows, conflicts, seen = _decide_page(step, page, rights, bases, result)
            result.updated += update_pending(lcur, step.left_table, step.left_key, left_cols, left_rows)
            result.updated += update_pending(
                rcur, step.right_table, step.right_key, right_cols, right_rows, step.right_update_timestamps
            )
            problems = problems_of(ctx.flow, step.name, (*left_rows, *right_rows))
            for problem in problems:
                seen.pop(problem.row_key, None)
            result.note_conflicts(conflicts)
            if ctx.step_state is not None and ctx.run_id is not None:
                ctx.step_state.save_baselines(step.name, seen)
                ctx.step_state.record_conflicts(ctx.run_id, conflicts)
            result.note(problems)
            ctx.on_problems(problems)
            ctx.progress(len(page))
            if ctx.diff_limit:
                ctx.keep_changes(result, changes_of(step.name, step.left.value, step.left_table, left_rows))
                ctx.keep_changes(result, changes_of(step.name, step.right.value, step.right_table, right_rows))
    return result


def status_source_relation(step: StatusStep, scope: Scope) -> sql.Composable:
    """What the step reads first: the rows of its left table in scope (the right side is fetched by key)."""
    return scope.rows_of(step.left_table, step.left_key)


def _decide_page(
    step: StatusStep,
    page: list[dict[str, Any]],
    rights: dict[str, dict[str, Any]],
    bases: dict[str, Baseline],
    result: StepResult,
) -> tuple[list[PendingRow], list[PendingRow], list[Conflict], dict[str, Baseline]]:
    """The rows to write on each side, the conflicts, and the baselines to save, for one page."""
    left_rows, right_rows, conflicts, seen = [], [], [], {}
    for row in page:
        key = str(row[step.left_key])
        if key not in rights:
            continue
        left, right = row[step.left_column], rights[key][step.right_column]
        decision = decide(
            left,
            right,
            bases.get(key),
            CONVERTERS[step.left_to_common].function,
            CONVERTERS[step.right_to_common].function,
            CONVERTERS[step.common_to_left].function,
            CONVERTERS[step.common_to_right].function,
        )
        if decision.new_left is not None:
            left_rows.append(PendingRow(key, row, {step.left_column: decision.new_left}, {step.left_column: left}))
        if decision.new_right is not None:
            right_rows.append(PendingRow(key, row, {step.right_column: decision.new_right}, {step.right_column: right}))
        if decision.conflict:
            conflicts.append(_conflict(step, key, bases.get(key), left, right, decision))
        seen[key] = (
            canonical(left if decision.new_left is None else decision.new_left),
            canonical(right if decision.new_right is None else decision.new_right),
        )
        if decision == Decision():
            result.unchanged += 1
    return left_rows, right_rows, conflicts, seen


def _conflict(step: StatusStep, key: str, base: Baseline | None, left: object, right: object, d: Decision) -> Conflict:
    return Conflict(
        step=step.name,
        row_key=key,
        base_value=None if base is None else f"{base[0]} / {base[1]}",
        left_value=str(canonical(left)),
        right_value=str(canonical(right)),
        resolution=f"{step.left_table} wins: {step.right_column} set to {canonical(d.new_right)}",
    )


def check_status_step(dbs: dict[Side, Database], step: StatusStep) -> Iterator[CheckLine]:
    """Both sides have the key and the status column."""
    yield from columns_present(dbs, step.name, step.left, step.left_table, [step.left_key, step.left_column])
    yield from columns_present(dbs, step.name, step.right, step.right_table, [step.right_key, step.right_column])


def status_step_privileges(step: StatusStep) -> Iterator[Need]:
    """What a run of the step does on each database besides `scope`'s reads (job.privileges.scope_privileges)."""
    why = "it reads the status of the rows in scope"
    yield Need.on_table(step.right, step.right_table, Privilege.SELECT, why, (step.right_key, step.right_column))
    why = f"it writes the status that changed on {step.right.upper()}"
    yield Need.on_table(step.left, step.left_table, Privilege.UPDATE, why, (step.left_column,))
    why = f"it writes the status that changed on {step.left.upper()}"
    columns = (step.right_column, *step.right_update_timestamps)
    yield Need.on_table(step.right, step.right_table, Privilege.UPDATE, why, columns)
