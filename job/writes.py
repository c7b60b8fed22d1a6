"""Multi-row writes that isolate the rows the database refuses (savepoints and bisection)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from job.bulk import insert_staged_sql, stage
from job.changes import full_xid
from job.db import ColumnInfo, db_error_reason
from job.rows import PendingRow

T = TypeVar("T")
# Only errors about the data itself are a row's fault; anything else (lost connection, missing
# table, timeout) fails the step.
ROW_ERRORS = (psycopg2.IntegrityError, psycopg2.DataError)
# Appended to every write: the ids of the (sub)transactions that wrote the rows, so that the next
# run's change detection can tell the job's own writes from everyone else's.
WRITTEN_XIDS = "SELECT DISTINCT xmin::text::bigint, pg_current_xact_id()::text::bigint FROM written"
SAVEPOINT_SQL = "SAVEPOINT batch; "
# ROLLBACK TO keeps the savepoint: release it too, or every refusal would nest one more subtransaction.
ROLLBACK_SQL = "ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch"
RELEASE_SQL = "RELEASE SAVEPOINT batch"


@dataclass
class Outcome(Generic[T]):
    """What a write did: the rows the database refused (with its reason) and the ids that wrote the rest."""

    refused: list[tuple[T, str]] = field(default_factory=list)
    xids: set[int] = field(default_factory=set)

    def add(self, other: Outcome[T]) -> Outcome[T]:
        self.refused += other.refused
        self.xids |= other.xids
        return self


def write_isolated(
    cur: psycopg2.extensions.cursor, rows: Sequence[T], write: Callable[[Sequence[T]], set[int]]
) -> Outcome[T]:
    """Write all rows in one statement; when refused, bisect to find and return only the refused rows.

    `write` sends SAVEPOINT_SQL in front of its statement (one round trip for both)."""
    if not rows:
        return Outcome()
    try:
        xids = write(rows)
    except ROW_ERRORS as exc:
        cur.execute(ROLLBACK_SQL)
        if len(rows) == 1:
            return Outcome(refused=[(rows[0], db_error_reason(exc))])
        middle = len(rows) // 2
        return write_isolated(cur, rows[:middle], write).add(write_isolated(cur, rows[middle:], write))
    cur.execute(RELEASE_SQL)
    return Outcome(xids=xids)


def _xids(found: Sequence[tuple[int, int]]) -> set[int]:
    return {full_xid(int(xid), int(top)) for xid, top in found}


def cast_type(info: ColumnInfo) -> sql.Composable:
    """The column's base type, without length limits, so a cast never truncates silently.

    The name comes from the catalog (format_type), not from input."""
    return sql.SQL(info.base_type)


def insert_rows(
    cur: psycopg2.extensions.cursor,
    table: str,
    columns: Sequence[ColumnInfo],
    rows: Sequence[Sequence[object]],
    now_columns: Sequence[str] = (),
) -> Outcome[int]:
    """INSERT the rows (values in `columns` order) through COPY and one INSERT ... SELECT per batch;
    `now_columns` are set to now(). Refused rows come back by their position in `rows`."""
    name = f"hs_stage_{table}"
    stage(cur, name, [c.name for c in columns], rows)
    statement = sql.SQL(SAVEPOINT_SQL) + insert_staged_sql(name, table, columns, now_columns, WRITTEN_XIDS)

    def write(positions: Sequence[int]) -> set[int]:
        cur.execute(statement, {"low": positions[0], "high": positions[-1]})
        return _xids(cur.fetchall())

    return write_isolated(cur, range(len(rows)), write)


def update_rows(
    cur: psycopg2.extensions.cursor,
    table: str,
    key: ColumnInfo,
    columns: Sequence[ColumnInfo],
    rows: Sequence[Sequence[object]],
    now_columns: Sequence[str] = (),
) -> None:
    """UPDATE every row in one statement. Each row is (key, value1, set1, value2, set2, ...): a column is
    written only where its `set` flag is true, so one statement serves rows that changed different columns.

    No ids come back: the next run compares updated rows again (see StepContext.note_inserted)."""
    assignments = [
        sql.SQL("{col} = CASE WHEN v.{flag} THEN v.{col} ELSE t.{col} END").format(
            col=sql.Identifier(info.name), flag=sql.Identifier(f"{info.name}__set")
        )
        for info in columns
    ]
    assignments += [sql.SQL("{} = now()").format(sql.Identifier(name)) for name in now_columns]
    value_names = [key.name] + [name for info in columns for name in (info.name, f"{info.name}__set")]
    statement = sql.SQL(
        SAVEPOINT_SQL + "UPDATE {table} AS t SET {assignments} FROM (VALUES %s) AS v ({names}) WHERE t.{key} = v.{key}"
    ).format(
        table=sql.Identifier(table),
        assignments=sql.SQL(", ").join(assignments),
        names=sql.SQL(", ").join(sql.Identifier(name) for name in value_names),
        key=sql.Identifier(key.name),
    )
    casts: list[sql.Composable] = [sql.SQL("%s::{}").format(cast_type(key))]
    for info in columns:
        casts += [sql.SQL("%s::{}").format(cast_type(info)), sql.SQL("%s::boolean")]
    template = sql.SQL("(") + sql.SQL(", ").join(casts) + sql.SQL(")")
    psycopg2.extras.execute_values(
        cur, statement.as_string(cur), rows, template=template.as_string(cur), page_size=len(rows)
    )


def update_pending(
    cur: psycopg2.extensions.cursor,
    table: str,
    key: str,
    columns: dict[str, ColumnInfo],
    rows: Sequence[PendingRow],
    now_columns: Sequence[str] = (),
) -> int:
    """Write each row's changed values (row.values) in one UPDATE; reject the refused rows; return how many went."""
    changed = list(dict.fromkeys(name for row in rows for name in row.values))
    infos = [columns[name] for name in changed]

    def encode(row: PendingRow) -> list[Any]:
        encoded: list[Any] = [row.key]
        for name in changed:
            encoded += [row.values.get(name), name in row.values]
        return encoded

    def write(batch: Sequence[PendingRow]) -> set[int]:
        update_rows(cur, table, columns[key], infos, [encode(row) for row in batch], now_columns)
        return set()

    outcome = write_isolated(cur, rows, write)
    for row, reason in outcome.refused:
        row.reject(reason)
    return sum(row.ok for row in rows)
