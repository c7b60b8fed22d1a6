"""`check`: can a run work? Both databases reachable, every mapped table and column present with a
compatible type, the helper reachable with our token. One line per check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from job.convert import CONVERTERS
from job.copy_step import source_relation
from job.db import ColumnInfo, Database, first_line, redact_dsn, scrub, table_columns
from job.engine import connect_side, make_helper, uri_of
from job.errors import SyncError
from job.flow_model import CopyStep, Flow, Side, StatusStep
from job.scope import Scope
from job.settings import JobSettings
from job.state import MIGRATIONS, StateStore

CATEGORY_NAMES = {"S": "text", "N": "number", "B": "boolean", "D": "date/time", "U": "uuid"}


@dataclass(frozen=True)
class CheckLine:
    ok: bool
    text: str


def run_checks(settings: JobSettings, flows: Sequence[Flow]) -> list[CheckLine]:
    """Every check, in order; a failed connection skips the checks that need it."""
    lines: list[CheckLine] = []
    dbs: dict[Side, Database] = {}
    for side in (Side.DB1, Side.DB2):
        uri = uri_of(settings, side)
        try:
            dbs[side] = connect_side(settings, side, side.upper())
            lines.append(CheckLine(True, f"{side.upper()} reachable at {redact_dsn(uri)}"))
        except SyncError as exc:
            lines.append(CheckLine(False, scrub(str(exc))))
    try:
        for flow in flows:
            for step in flow.steps:
                lines += list(_step_checks(dbs, step))
        if settings.state_db in dbs:
            lines.append(_state_check(dbs[Side(settings.state_db)], settings.state_schema))
    finally:
        for db in dbs.values():
            db.conn.close()
    lines.append(_helper_check(settings))
    return lines


def _step_checks(dbs: dict[Side, Database], step: CopyStep | StatusStep) -> Iterator[CheckLine]:
    if isinstance(step, StatusStep):
        yield from _columns_present(dbs, step.name, step.left, step.left_table, [step.left_key, step.left_column])
        yield from _columns_present(dbs, step.name, step.right, step.right_table, [step.right_key, step.right_column])
        return
    if step.source not in dbs or step.target not in dbs:
        yield CheckLine(False, f"{step.name}: not checked, a database is unreachable")
        return
    source = _source_categories(dbs[step.source], step)
    target = _columns_of(dbs[step.target], step.target_table)
    problems = list(_mapping_problems(step, source, target))
    for table in {lookup.table for c in step.columns if (lookup := c.lookup)} | {r.table for r in step.references}:
        if not _columns_of(dbs[step.target], table):
            problems.append(f"{step.target.upper()} has no table {table} (used for lookups)")
    if problems:
        for problem in problems:
            yield CheckLine(False, f"{step.name}: {problem}")
    else:
        yield CheckLine(True, f"{step.name}: {len(step.columns)} mapped columns present with compatible types")


def _columns_of(db: Database, table: str) -> dict[str, ColumnInfo]:
    """A table's columns, read without leaving a transaction open on the check's connection."""
    try:
        with db.cursor() as cur:
            return table_columns(cur, table)
    finally:
        db.conn.rollback()


def _source_categories(db: Database, step: CopyStep) -> dict[str, str] | None:
    """Column name → type category of the step's source (a table or its query); None if it fails."""
    relation = source_relation(step, Scope(full=True, reason="check"))
    try:
        with db.cursor() as cur:
            cur.execute(sql.SQL("SELECT * FROM {} AS s LIMIT 0").format(relation))
            names = [(column.name, column.type_code) for column in cur.description or ()]
            cur.execute("SELECT oid, typcategory FROM pg_type WHERE oid = ANY(%s)", ([oid for _, oid in names],))
            categories = dict(cur.fetchall())
        return {name: categories.get(oid, "?") for name, oid in names}
    except psycopg2.Error:
        return None
    finally:
        db.conn.rollback()


def _mapping_problems(step: CopyStep, source: dict[str, str] | None, target: dict[str, ColumnInfo]) -> Iterator[str]:
    if source is None:
        yield f"{step.source.upper()} source {step.source_table} cannot be read (missing table or column)"
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


def _columns_present(
    dbs: dict[Side, Database], step: str, side: Side, table: str, names: list[str]
) -> Iterator[CheckLine]:
    if side not in dbs:
        yield CheckLine(False, f"{step}: not checked, {side.upper()} is unreachable")
        return
    present = _columns_of(dbs[side], table)
    missing = [name for name in names if name not in present]
    if missing:
        yield CheckLine(False, f"{step}: {side.upper()} {table} lacks {', '.join(missing)}")
    else:
        yield CheckLine(True, f"{step}: {side.upper()} {table} has {', '.join(names)}")


def _state_check(db: Database, schema: str) -> CheckLine:
    store = StateStore(db, schema)
    if store.exists():
        return CheckLine(True, f"state schema {schema} present (migrations: {len(MIGRATIONS)} known)")
    return CheckLine(True, f"state schema {schema} absent: the first run creates it")


def _helper_check(settings: JobSettings) -> CheckLine:
    try:
        with make_helper(settings) as helper:
            helper.probe()
    except SyncError as exc:
        return CheckLine(False, f"helper API at {settings.helper_api_url}: {scrub(str(exc))}")
    except Exception as exc:  # noqa: BLE001 - a check reports, it never crashes
        return CheckLine(
            False, f"helper API at {settings.helper_api_url}: {type(exc).__name__}: {scrub(first_line(exc))}"
        )
    return CheckLine(True, f"helper API at {settings.helper_api_url} answers and accepts the token")
