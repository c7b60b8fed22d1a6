"""One-way steps: read the source in pages, compare with the target, insert and update in batches."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from job.catalog import CATEGORY_NAMES, CheckLine, columns_of
from job.convert import COMPARATORS, CONVERTERS, KEEP, ConversionError
from job.db import ColumnInfo, Database, table_columns
from job.diffs import changes_of
from job.errors import FatalSyncError
from job.flow_model import CopyStep, Side
from job.pages import fetch_by_keys, stream_rows
from job.privileges import Need, Privilege, Reads
from job.report import StepResult
from job.resolvers import (
    DB1_ACCOUNT_TABLES,
    RESOLVERS,
    ResolveContext,
    check_exactly_one,
    check_reference,
    resolve_lookup,
)
from job.rows import PendingRow, check_values, problems_of
from job.scope import Scope
from job.state import Problem
from job.step_context import StepContext
from job.uniques import UniqueCheck
from job.values import OutOfRange
from job.writes import insert_rows, update_pending

# The resolvers that ask the helper API: they run last, on the rows every cheaper check let through.
HELPER_RESOLVERS = ("helper_password", "helper_photo")


def source_relation(step: CopyStep, scope: Scope) -> sql.Composable:
    """What the step reads: the rows of its table in scope, or its declared query over them."""
    rows = scope.rows_of(step.source_table, step.source_key)
    return sql.SQL("({})").format(sql.SQL(step.source_sql).format(source=rows)) if step.source_sql else rows


def target_table_columns(
    cur: psycopg2.extensions.cursor, db: Database, table: str, needed: list[str]
) -> dict[str, ColumnInfo]:
    """The target's columns, or FatalSyncError when the table or a mapped column is missing."""
    columns = table_columns(cur, table)
    missing = [name for name in needed if name not in columns]
    if not columns or missing:
        what = f"table {table}" if not columns else f"column(s) {', '.join(missing)} in {table}"
        raise FatalSyncError(f"{db.role} has no {what}: run `python -m job check` for the full list")
    return columns


def run_copy_step(ctx: StepContext, step: CopyStep, scope: Scope) -> StepResult:
    """Run the step in the target's open transaction; the caller commits or rolls back."""
    result = StepResult(step.name)
    target = ctx.dbs[step.target]
    needed = [step.target_key, *(c.target for c in step.columns), *step.insert_timestamps, *step.update_timestamps]
    with target.cursor() as tcur:
        columns = target_table_columns(tcur, target, step.target_table, needed)
        if scope.empty:
            return result
        resolve_ctx = ResolveContext(tcur, columns, ctx.helper)
        uniques = _unique_check(step, columns)
        sources = [c.source for c in step.columns if c.source]
        relation = source_relation(step, scope)
        for page in stream_rows(ctx.dbs[step.source], relation, step.source_key, sources, ctx.batch_size):
            problems = _sync_batch(ctx, step, page, tcur, columns, resolve_ctx, uniques, result)
            result.note(problems)
            ctx.on_problems(problems)
            ctx.progress(len(page))
    return result


@dataclass(frozen=True)
class _Mapped:
    """One mapped column the engine converts itself: target, source (None: a constant), converter."""

    target: str
    source: str | None
    convert: Callable[[Any], Any]
    constant: Any
    compare: Callable[[object, object], bool]


@functools.cache
def _mapped(step: CopyStep) -> tuple[_Mapped, ...]:
    """The step's columns that are converted from the source (not resolved at insert time), worked out once."""
    return tuple(
        _Mapped(c.target, c.source, CONVERTERS[c.convert].function, c.constant, COMPARATORS[c.compare])
        for c in step.columns
        if not c.is_derived
    )


def _sync_batch(
    ctx: StepContext,
    step: CopyStep,
    page: list[dict[str, Any]],
    tcur: psycopg2.extensions.cursor,
    columns: dict[str, ColumnInfo],
    resolve_ctx: ResolveContext,
    uniques: UniqueCheck,
    result: StepResult,
) -> list[Problem]:
    mapped = _mapped(step)
    existing = fetch_by_keys(
        tcur,
        step.target_table,
        step.target_key,
        columns[step.target_key].base_type,
        [m.target for m in mapped] if step.mode != "insert_missing" else [],
        [str(row[step.source_key]) for row in page],
    )
    inserts: list[PendingRow] = []
    updates: list[PendingRow] = []
    for source_row in page:
        row = PendingRow(key=str(source_row[step.source_key]), source=source_row)
        current = existing.get(row.key)
        if current is None and step.mode != "update_existing":
            _build_insert(step, mapped, row, columns)
            inserts.append(row)
        elif current is not None and step.mode != "insert_missing":
            row.before = current
            if _build_update(step, mapped, row, current, columns):
                updates.append(row)
            else:
                result.unchanged += 1  # rows an insert-only step finds present are out of its scope, not "unchanged"
    _resolve(step, resolve_ctx, inserts, columns, uniques)
    inserted, inserted_by = _write_inserts(tcur, step, columns, [row for row in inserts if row.ok])
    ok_updates = [row for row in updates if row.ok]
    result.updated += update_pending(
        tcur, step.target_table, step.target_key, columns, ok_updates, step.update_timestamps
    )
    result.inserted += inserted
    ctx.note_inserted(step.target, step.target_table, inserted_by)
    if ctx.diff_limit:
        hidden = [c.target for c in step.columns if c.resolver in HELPER_RESOLVERS]  # a hash; a signed photo URL
        changes = changes_of(step.name, step.target.value, step.target_table, (*inserts, *ok_updates), hidden)
        ctx.keep_changes(result, changes)
    return problems_of(ctx.flow, step.name, (*inserts, *updates))


def _value(column: _Mapped, row: PendingRow) -> Any:
    if column.source is None:
        return column.constant
    raw = row.source.get(column.source)
    if isinstance(raw, OutOfRange):
        raise ConversionError(f"{column.source} is {raw}: the job does not copy such a value")
    return column.convert(raw)


def _build_insert(step: CopyStep, mapped: tuple[_Mapped, ...], row: PendingRow, columns: dict[str, ColumnInfo]) -> None:
    try:
        for column in mapped:
            value = _value(column, row)
            row.values[column.target] = None if value is KEEP else value
    except ConversionError as exc:
        row.reject(str(exc))
        return
    check_values(row, columns, step.target_table, list(row.values))


def _build_update(
    step: CopyStep,
    mapped: tuple[_Mapped, ...],
    row: PendingRow,
    current: dict[str, Any],
    columns: dict[str, ColumnInfo],
) -> bool:
    """Fill row.values with the columns that really changed; True when there is something to write."""
    try:
        for column in mapped:
            value = _value(column, row)
            if value is not KEEP and not column.compare(value, current[column.target]):
                row.values[column.target] = value
    except ConversionError as exc:
        row.reject(str(exc))
        return True
    check_values(row, columns, step.target_table, list(row.values))
    return bool(row.values) or not row.ok


def _resolve(
    step: CopyStep, ctx: ResolveContext, rows: list[PendingRow], columns: dict[str, ColumnInfo], uniques: UniqueCheck
) -> None:
    """The exactly-one rule, lookups and references first (cheap, may defer), the unique indexes, then the
    resolvers, the helper last."""
    ctx.start_batch()
    rule = step.exactly_one

    def pending() -> list[PendingRow]:
        return [row for row in rows if row.ok]

    if rule and pending():
        check_exactly_one(ctx, rule, step.references, pending())
    for column in step.columns:
        if column.lookup and pending():
            resolve_lookup(ctx, column, column.lookup, pending())
    for reference in step.references:
        if pending() and not (rule and reference.column in rule.columns):  # the rule checked these
            check_reference(ctx, reference, pending())
    if pending():
        uniques.reject_duplicates(ctx.cur, pending())  # before a resolver asks anything about a row
    derived = [c for c in step.columns if c.resolver]
    for column in sorted(derived, key=lambda c: c.resolver in HELPER_RESOLVERS):
        if column.resolver and pending():
            RESOLVERS[column.resolver](ctx, column, pending())
    for row in pending():
        check_values(row, columns, step.target_table, [c.target for c in step.columns if c.is_derived])


def _unique_check(step: CopyStep, columns: dict[str, ColumnInfo]) -> UniqueCheck:
    """The step's check of the target's unique indexes on the values known before any resolver runs."""
    known = [c.target for c in step.columns if c.resolver is None and c.target != step.target_key]
    asks_helper = any(c.resolver in HELPER_RESOLVERS for c in step.columns)
    before = "rejected before the helper was asked" if asks_helper else "rejected before the write"
    return UniqueCheck(step.target_table, f"{step.target.upper()} {step.target_table}", columns, known, before)


def _write_inserts(
    cur: psycopg2.extensions.cursor, step: CopyStep, columns: dict[str, ColumnInfo], rows: list[PendingRow]
) -> tuple[int, set[int]]:
    names = [step.target_key, *(c.target for c in step.columns)]
    values = [[row.key, *(row.values.get(name) for name in names[1:])] for row in rows]
    if not rows:
        return 0, set()
    outcome = insert_rows(cur, step.target_table, [columns[name] for name in names], values, step.insert_timestamps)
    for position, reason in outcome.refused:
        rows[position].reject(reason)
    return sum(row.ok for row in rows), outcome.xids


def check_copy_step(dbs: dict[Side, Database], step: CopyStep) -> Iterator[CheckLine]:
    """The source can be read and every mapped column exists in the target with a compatible type."""
    if step.source not in dbs or step.target not in dbs:
        yield CheckLine(False, f"{step.name}: not checked, a database is unreachable")
        return
    source = _source_categories(dbs[step.source], step)
    target = columns_of(dbs[step.target], step.target_table)
    problems = list(_mapping_problems(step, source, target))
    for table in {lookup.table for c in step.columns if (lookup := c.lookup)} | {r.table for r in step.references}:
        if not columns_of(dbs[step.target], table):
            problems.append(f"{step.target.upper()} has no table {table} (used for lookups)")
    if problems:
        for problem in problems:
            yield CheckLine(False, f"{step.name}: {problem}")
    else:
        yield CheckLine(True, f"{step.name}: {len(step.columns)} mapped columns present with compatible types")


def _source_categories(db: Database, step: CopyStep) -> dict[str, str] | str:
    """Column name → type category of the step's source (a table or its query), or why it cannot be read."""
    relation = source_relation(step, Scope(full=True, reason="check"))
    try:
        with db.cursor() as cur:
            cur.execute(sql.SQL("SELECT * FROM {} AS s LIMIT 0").format(relation))
            names = [(column.name, column.type_code) for column in cur.description or ()]
            cur.execute("SELECT oid, typcategory FROM pg_type WHERE oid = ANY(%s)", ([oid for _, oid in names],))
            categories = dict(cur.fetchall())
        return {name: categories.get(oid, "?") for name, oid in names}
    except psycopg2.errors.InsufficientPrivilege:
        return "cannot be read: the job's user lacks SELECT on it or on a table its query reads (see below)"
    except psycopg2.Error:
        return "cannot be read (missing table or column)"
    finally:
        db.conn.rollback()


def _mapping_problems(step: CopyStep, source: dict[str, str] | str, target: dict[str, ColumnInfo]) -> Iterator[str]:
    if isinstance(source, str):
        yield f"{step.source.upper()} source {step.source_table} {source}"
        return
    if not target:
        yield f"{step.target.upper()} has no table {step.target_table}"
        return
    for name in (step.source_key, *(c.source for c in step.columns if c.source)):
        if name not in source:
            yield f"{step.source.upper()} {step.source_table} has no column {name}"
    for name in (step.target_key, *(c.target for c in step.columns), *step.insert_timestamps, *step.update_timestamps):
        if name not in target:
            yield f"{step.target.upper()} {step.target_table} has no column {name}"
    for column in step.columns:
        if column.source is None or column.lookup or column.resolver or column.target not in target:
            continue
        produced = CONVERTERS[column.convert].category or source.get(column.source, "?")
        wanted = target[column.target].category
        if produced != wanted:
            yield (
                f"{step.target_table}.{column.target} is {target[column.target].type_name} but "
                f"{column.source} → {column.convert} gives {CATEGORY_NAMES.get(produced, produced)}"
            )


def copy_step_privileges(step: CopyStep) -> Iterator[Need | Reads]:
    """What a run of the step does on each database besides `scope`'s reads (job.privileges.scope_privileges)."""
    target, table = step.target, step.target_table
    if step.source_sql:
        yield Reads(step.source, step.source_sql, "the step's source query reads it")
    why = "it compares its rows, and reads the versions (xmin) of the rows it writes"
    yield Need.on_table(target, table, Privilege.SELECT, why)
    if step.mode != "update_existing":
        inserted = (step.target_key, *(c.target for c in step.columns), *step.insert_timestamps)
        why = f"it inserts the rows {target.upper()} is missing"
        yield Need.on_table(target, table, Privilege.INSERT, why, inserted)
        why = "the rows to insert are staged in a temporary table (COPY, then INSERT ... SELECT)"
        yield Need.on_database(target, Privilege.TEMPORARY, why)
    if step.mode != "insert_missing":
        updated = (*(c.target for c in step.columns if not c.is_derived), *step.update_timestamps)
        yield Need.on_table(target, table, Privilege.UPDATE, "it updates the values that differ", updated)
    yield from _lookup_privileges(step)


def _lookup_privileges(step: CopyStep) -> Iterator[Need]:
    """The target's other tables that lookups, references and usernames read."""
    for column in step.columns:
        if column.lookup:
            why, columns = f"{column.target} is looked up in it", (column.lookup.key, column.lookup.value)
            yield Need.on_table(step.target, column.lookup.table, Privilege.SELECT, why, columns)
        if column.resolver == "username":
            why = f"a new {column.target} is chosen free of the usernames in it"
            for account_table in DB1_ACCOUNT_TABLES:
                yield Need.on_table(step.target, account_table, Privilege.SELECT, why, (column.target,))
    for reference in step.references:
        why = f"{reference.column} must point at a row of it"
        yield Need.on_table(step.target, reference.table, Privilege.SELECT, why, (reference.key,))
