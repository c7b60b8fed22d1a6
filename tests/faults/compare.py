"""Both databases in full, in a form two runs can be compared by: every table of every schema, rows as text.

What is left out, and why (everything else is compared value for value):

- Users' tables: a timestamp later than `SEEDED_AT` is replaced by `JOB_NOW`. Only the job writes such a value
  (DB2's created_at and updated_at, set to now() when it inserts or updates a row), and two runs never write the
  same instant; whether the job set the column on that row is still compared.
- `runs` (state schema): one row per attempt, a killed run's row stays 'running', and the counts of a run that
  completes a killed one are what was left to do. Compared instead: the last run's status and exit code
  (`last_run`).
- `rejections`: the run ids (first_run_id, last_run_id), the attempt counter and the seen-at timestamps; whether
  the row is resolved (resolved_at IS NULL or not) is kept.
- `conflicts`: the serial id, the run id and recorded_at. `status_baseline`: synced_at.
- `watermarks`: bound (a transaction id: every copy of the databases has its own history), database_oid (every
  copy is a new database), full_at and saved_at. `own_writes`: the transaction ids and written_at (how many ids
  each step keeps per table is compared).
- Any other table of the state schema: compared under the users' timestamp rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import sql

from tests.faults.dataset import SEEDED_AT

STATE_SCHEMA = "hestia_sync"
JOB_NOW = "<now() of the job>"
TIMESTAMP_TYPES = {"timestamp with time zone", "timestamp without time zone"}
STATE_LEFT_OUT: dict[str, set[str]] = {
    "rejections": {"first_run_id", "last_run_id", "attempts", "first_seen_at", "last_seen_at"},
    "conflicts": {"id", "run_id", "recorded_at"},
    "status_baseline": {"synced_at"},
    "watermarks": {"bound", "database_oid", "full_at", "saved_at"},
    "own_writes": {"xid", "written_at"},
}
STATE_DERIVED = {("rejections", "resolved_at"): "({} IS NOT NULL)"}
SKIPPED_TABLES = {(STATE_SCHEMA, "runs")}
SAMPLE = 3

Snapshot = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Column:
    name: str
    type_name: str


def snapshot(dsn: str, label: str, seeded_at: datetime = SEEDED_AT) -> Snapshot:
    """Every table of every non-system schema of one database, rows sorted, under the rules above."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            found: Snapshot = {}
            for schema, table, columns in _tables(cur):
                if (schema, table) in SKIPPED_TABLES:
                    continue
                cur.execute(_select(schema, table, columns), {"seeded_at": seeded_at})
                found[f"{label}:{schema}.{table}"] = sorted(cur.fetchall(), key=repr)
        return found
    finally:
        conn.close()


def last_run(dsn: str) -> tuple[str, int] | None:
    """The status and exit code of the newest run in the state schema (None before any run)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{STATE_SCHEMA}.runs",))
            row = cur.fetchone()
            if not row or not row[0]:
                return None
            cur.execute(
                sql.SQL("SELECT status, exit_code FROM {}.runs ORDER BY id DESC LIMIT 1").format(
                    sql.Identifier(STATE_SCHEMA)
                )
            )
            last = cur.fetchone()
            return (str(last[0]), int(last[1])) if last and last[1] is not None else None
    finally:
        conn.close()


def differences(expected: Snapshot, actual: Snapshot) -> list[str]:
    """One line per table that differs, with a few rows missing and a few unexpected ones."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want == got:
            continue
        if want is None or got is None:
            lines.append(f"{table}: {'only in the run under test' if want is None else 'missing'}")
            continue
        missing, extra = _multiset_minus(want, got), _multiset_minus(got, want)
        lines.append(
            f"{table}: {len(missing)} rows missing {missing[:SAMPLE]}, {len(extra)} unexpected {extra[:SAMPLE]}"
        )
    return lines


def _multiset_minus(left: list[tuple[Any, ...]], right: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    remaining = list(right)
    out = []
    for row in left:
        if row in remaining:
            remaining.remove(row)
        else:
            out.append(row)
    return out


def _tables(cur: psycopg2.extensions.cursor) -> list[tuple[str, str, list[Column]]]:
    cur.execute(
        """
        SELECT c.table_schema, c.table_name, c.column_name, c.data_type
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE'
          AND c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg\\_%'
        ORDER BY c.table_schema, c.table_name, c.ordinal_position
        """
    )
    tables: dict[tuple[str, str], list[Column]] = {}
    for schema, table, column, type_name in cur.fetchall():
        tables.setdefault((schema, table), []).append(Column(column, type_name))
    return [(schema, table, columns) for (schema, table), columns in tables.items()]


def _select(schema: str, table: str, columns: list[Column]) -> sql.Composed:
    state = schema == STATE_SCHEMA
    left_out = STATE_LEFT_OUT.get(table, set()) if state else set()
    items = []
    for column in columns:
        name = sql.Identifier(column.name)
        derived = STATE_DERIVED.get((table, column.name)) if state else None
        if column.name in left_out:
            continue
        if derived:
            items.append(sql.SQL(derived).format(name))
        elif column.type_name in TIMESTAMP_TYPES:
            items.append(
                sql.SQL("CASE WHEN {c} > %(seeded_at)s THEN {now} ELSE {c}::text END").format(
                    c=name, now=sql.Literal(JOB_NOW)
                )
            )
        else:
            items.append(sql.SQL("{}::text").format(name))
    return sql.SQL("SELECT {} FROM {}.{}").format(
        sql.SQL(", ").join(items) if items else sql.SQL("1"), sql.Identifier(schema), sql.Identifier(table)
    )
