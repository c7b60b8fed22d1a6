"""Which rows a step looks at in this run: every row (a full comparison) or the changed ones.

The changed keys go into a temporary table on the database the step reads (`pg_temp.hs_changed`):
rows of the watched tables written since the last run (see `changes`), plus the step's open
rejections and deferrals, which every run tries again whatever changed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg2.extensions
from psycopg2 import sql

from job.changes import Snapshot, Watermark, take_snapshot, why_full, window
from job.db import table_columns
from job.errors import FatalSyncError
from job.flow_model import Side, Watch
from job.step_context import StepContext

CHANGED = sql.SQL("pg_temp.hs_changed")
# Below this many keys the planner's guess for an unanalysed temporary table is good enough.
ANALYZE_FROM = 1000


@dataclass(frozen=True)
class Scope:
    """The rows of one step in this run, and the watermarks to save once the step has succeeded."""

    full: bool
    reason: str
    changed: int = 0
    """Keys in the change set (incremental scopes only)."""
    named: tuple[str, ...] | None = None
    """The keys named on the command line, as the driving table writes them (named scopes only)."""
    estimate: int | None = None
    """The driving table's row estimate (full scopes only; None when the table was never analysed)."""
    pending: tuple[tuple[Watch, Watermark], ...] = field(default=())

    @property
    def rows(self) -> int | None:
        """How many rows the step will look at, as far as known before it reads them."""
        return self.estimate if self.full else self.changed

    @property
    def empty(self) -> bool:
        return not self.full and self.changed == 0

    def rows_of(self, table: str, key: str) -> sql.Composable:
        """The rows of the step's driving table this run reads, as a relation."""
        if self.full:
            return sql.Identifier(table)
        return sql.SQL("(SELECT * FROM {table} WHERE {key} IN (SELECT key FROM {changed}))").format(
            table=sql.Identifier(table), key=sql.Identifier(key), changed=CHANGED
        )


def decide_scope(ctx: StepContext, step: str, watches: Sequence[Watch]) -> Scope:
    """Take the snapshots, then choose between a full comparison and the change set (built here)."""
    driver = watches[0]
    sides = dict.fromkeys(watch.side for watch in watches)
    snapshots: dict[Side, Snapshot] = {}
    for side in sides:
        with ctx.dbs[side].cursor() as cur:
            snapshots[side] = take_snapshot(cur)
    pending = tuple((w, Watermark(ctx.identities[w.side], snapshots[w.side].xmin)) for w in watches)
    marks = ctx.reader.watermarks(step) if ctx.reader else {}
    reason = _full_reason(ctx, watches, marks, snapshots)
    if reason:
        with ctx.dbs[driver.side].cursor() as cur:
            estimate = _row_estimate(cur, driver.table)
        return Scope(full=True, reason=reason, pending=pending, estimate=estimate)
    with ctx.dbs[driver.side].cursor() as cur:
        key_type = _create_changed(cur, ctx, driver)
        changed, keys = 0, list(ctx.reader.open_problem_keys(step) if ctx.reader else [])
        for watch in watches:
            bound = marks[(watch.side.value, watch.table)][0].bound
            mine = ctx.reader.own_writes(step, watch.side.value, watch.table) if ctx.reader else set()
            own = {xid for xid in mine if xid >= bound}
            condition = window(bound, snapshots[watch.side], own)
            if watch.side == driver.side:
                changed += _insert_changed(cur, watch, condition)
            else:
                keys += _changed_keys(ctx.dbs[watch.side].cursor(), watch, condition)
        if keys:
            cur.execute(
                sql.SQL("INSERT INTO {} SELECT unnest(%s::text[])::{} ON CONFLICT DO NOTHING").format(
                    CHANGED, sql.SQL(key_type)
                ),
                (sorted(set(keys)),),
            )
            changed += cur.rowcount
        if changed >= ANALYZE_FROM:
            cur.execute(sql.SQL("ANALYZE {}").format(CHANGED))
    return Scope(full=False, reason="changes since the last run", changed=changed, pending=pending)


def named_scope(ctx: StepContext, watches: Sequence[Watch], keys: Sequence[str]) -> Scope:
    """The rows with these keys in the step's driving table, whatever changed (`retry`, `plan --key`).

    Saves no watermark: the rows changed since the last run are still the next run's to look at."""
    driver = watches[0]
    with ctx.dbs[driver.side].cursor() as cur:
        key_type = _create_changed(cur, ctx, driver)
        fitting = [found for key in keys if (found := as_key(key, key_type)) is not None]
        cur.execute(
            sql.SQL("INSERT INTO {changed} SELECT {key} FROM {table} WHERE {key} = ANY(%s::{type}[])").format(
                changed=CHANGED,
                key=sql.Identifier(driver.key),
                table=sql.Identifier(driver.table),
                type=sql.SQL(key_type),
            ),
            (fitting,),
        )
        changed = int(cur.rowcount)
    return Scope(full=False, reason="the rows named on the command line", changed=changed, named=tuple(fitting))


# The integer key types, and the largest value of each.
INTEGER_LIMITS = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


def as_key(key: str, key_type: str) -> str | None:
    """The key as the database writes it in text (a UUID in lower case, an integer without sign or zeros), or
    None when it cannot be a value of the driving table's key type (it names a row of another step)."""
    text = key.strip()
    if key_type == "uuid":
        try:
            return str(uuid.UUID(text))
        except ValueError:
            return None
    if key_type in INTEGER_LIMITS:
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            return None
        number = int(text)
        return str(number) if -INTEGER_LIMITS[key_type] - 1 <= number <= INTEGER_LIMITS[key_type] else None
    return key


def _create_changed(cur: psycopg2.extensions.cursor, ctx: StepContext, driver: Watch) -> str:
    """A fresh, empty change set on the driving table's database; returns the key's type."""
    key_type = _key_type(cur, ctx, driver)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(CHANGED))
    cur.execute(sql.SQL("CREATE TEMPORARY TABLE hs_changed (key {} PRIMARY KEY)").format(sql.SQL(key_type)))
    return key_type


def _full_reason(
    ctx: StepContext,
    watches: Sequence[Watch],
    marks: dict[tuple[str, str], tuple[Watermark, datetime]],
    snapshots: dict[Side, Snapshot],
) -> str | None:
    if ctx.full:
        return "a full comparison was asked for (--full)"
    for watch in watches:
        found = marks.get((watch.side.value, watch.table))
        why = why_full(found[0] if found else None, ctx.identities[watch.side], snapshots[watch.side])
        if why:
            return f"{watch.side.upper()} {watch.table}: {why}"
        if found and ctx.full_every and found[1] < datetime.now(UTC) - ctx.full_every:
            return f"{watch.side.upper()} {watch.table}: the last full comparison is older than JOB_FULL_EVERY_HOURS"
    return None


def _row_estimate(cur: psycopg2.extensions.cursor, table: str) -> int | None:
    """The planner's row count of a table (pg_class.reltuples: no scan; -1 before its first analyse)."""
    cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(quote_ident(%s))", (table,))
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def _key_type(cur: psycopg2.extensions.cursor, ctx: StepContext, driver: Watch) -> str:
    columns = table_columns(cur, driver.table)
    if driver.key not in columns:
        what = f"table {driver.table}" if not columns else f"column {driver.key} in {driver.table}"
        raise FatalSyncError(f"{ctx.dbs[driver.side].role} has no {what}: run `python -m job check` for the full list")
    return columns[driver.key].base_type


def _insert_changed(cur: psycopg2.extensions.cursor, watch: Watch, condition: sql.Composable) -> int:
    cur.execute(
        sql.SQL("INSERT INTO {changed} SELECT {key} FROM {table} WHERE {cond} ON CONFLICT DO NOTHING").format(
            changed=CHANGED, key=sql.Identifier(watch.key), table=sql.Identifier(watch.table), cond=condition
        )
    )
    return int(cur.rowcount)


def _changed_keys(cur: psycopg2.extensions.cursor, watch: Watch, condition: sql.Composable) -> list[str]:
    with cur:
        cur.execute(
            sql.SQL("SELECT {key}::text FROM {table} WHERE {cond}").format(
                key=sql.Identifier(watch.key), table=sql.Identifier(watch.table), cond=condition
            )
        )
        return [key for (key,) in cur.fetchall()]
