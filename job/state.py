"""The job's own state in PostgreSQL: runs, open rejections, conflicts, status baselines, the lock.

It lives in its own schema (JOB_STATE_SCHEMA, on DB2 unless JOB_STATE_DB says otherwise), is created
and migrated by the job, and is written on its own autocommit connection so that a flow's rollback
never loses the record of what happened.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.extras
from psycopg2 import sql

from job.changes import Identity, Watermark
from job.db import Database
from job.errors import LockHeld

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE {schema}.runs (
        id          bigserial PRIMARY KEY,
        command     text        NOT NULL,
        flows       text[]      NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        status      text        NOT NULL DEFAULT 'running',
        exit_code   integer,
        summary     jsonb,
        error       text
    );
    CREATE TABLE {schema}.rejections (
        step          text        NOT NULL,
        row_key       text        NOT NULL,
        flow          text        NOT NULL,
        kind          text        NOT NULL CHECK (kind IN ('rejected', 'deferred')),
        reason        text        NOT NULL,
        first_run_id  bigint      NOT NULL,
        last_run_id   bigint      NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at  timestamptz NOT NULL DEFAULT now(),
        attempts      integer     NOT NULL DEFAULT 1,
        resolved_at   timestamptz,
        PRIMARY KEY (step, row_key)
    );
    CREATE INDEX rejections_open ON {schema}.rejections (step) WHERE resolved_at IS NULL;
    CREATE TABLE {schema}.status_baseline (
        step        text        NOT NULL,
        row_key     text        NOT NULL,
        left_value  text,
        right_value text,
        synced_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (step, row_key)
    );
    CREATE TABLE {schema}.conflicts (
        id          bigserial PRIMARY KEY,
        run_id      bigint      NOT NULL,
        step        text        NOT NULL,
        row_key     text        NOT NULL,
        base_value  text,
        left_value  text        NOT NULL,
        right_value text        NOT NULL,
        resolution  text        NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
    );
    """,
    """
    CREATE TABLE {schema}.watermarks (
        step              text        NOT NULL,
        side              text        NOT NULL,
        table_name        text        NOT NULL,
        system_identifier text,
        database_oid      bigint      NOT NULL,
        bound             bigint      NOT NULL,
        full_at           timestamptz NOT NULL,
        saved_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (step, side, table_name)
    );
    CREATE TABLE {schema}.own_writes (
        step       text        NOT NULL,
        side       text        NOT NULL,
        table_name text        NOT NULL,
        xid        bigint      NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (step, side, table_name, xid)
    );
    """,
)


@dataclass(frozen=True)
class Problem:
    """A row that was rejected or deferred, with the reason (never a secret)."""

    flow: str
    step: str
    row_key: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Conflict:
    """Both sides changed a status to different values since the last sync."""

    step: str
    row_key: str
    base_value: str | None
    left_value: str
    right_value: str
    resolution: str


MIGRATED_TABLES: tuple[str, ...] = tuple(re.findall(r"CREATE TABLE \{schema\}\.(\w+)", "".join(MIGRATIONS)))
RELATION_IN_SCHEMA = (
    "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = %s AND c.relname = %s)"
)
ABANDONED = "ended without recording its end (killed, or lost its machine or its connection)"


def lock_key(schema: str) -> int:
    """A stable 63-bit advisory-lock key per state schema."""
    return int.from_bytes(hashlib.sha256(f"hestia-sync:{schema}".encode()).digest()[:8], "big") >> 1


class StateStore:
    """Reads and writes the job's state through one autocommit connection."""

    def __init__(self, db: Database, schema: str, autocommit: bool = True) -> None:
        self.db = db
        self.schema = schema
        self._tables: dict[str, bool] = {}
        db.conn.autocommit = autocommit

    def _sql(self, template: str) -> sql.Composed:
        return sql.SQL(template).format(schema=sql.Identifier(self.schema))

    def acquire_lock(self) -> None:
        """Take the run lock for the life of this connection, or raise LockHeld at once."""
        with self.db.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(self.schema),))
            row = cur.fetchone()
        if not row or not row[0]:
            raise LockHeld("another sync run holds the lock; this run ends without syncing")

    def release_lock(self) -> None:
        """Release the run lock now: closing the connection frees it only once the server notices."""
        with self.db.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (lock_key(self.schema),))

    def has_table(self, name: str) -> bool:
        """Whether the state schema has this table yet (a plan before the first run after an upgrade: not)."""
        if name not in self._tables:
            self._tables[name] = self._in_catalog(RELATION_IN_SCHEMA, (self.schema, name))
        return self._tables[name]

    def exists(self) -> bool:
        return self._in_catalog(RELATION_IN_SCHEMA, (self.schema, "schema_version"))

    def _in_catalog(self, query: str, params: tuple[Any, ...]) -> bool:
        # Read from pg_class and pg_namespace: to_regclass raises, not answers, for a role that may not use the schema.
        with self.db.cursor() as cur:
            cur.execute(query, params)
            row = cur.fetchone()
        return bool(row and row[0])

    def missing_tables(self) -> list[str]:
        """The tables the migrations create that the state schema lacks (read from the catalog)."""
        return [name for name in MIGRATED_TABLES if not self.has_table(name)]

    def schema_present(self) -> bool:
        return self._in_catalog("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s)", (self.schema,))

    def version(self) -> int:
        """The migrations applied (0: the state schema or its version table does not exist yet)."""
        if not self.exists():
            return 0
        with self.db.cursor() as cur:
            cur.execute(self._sql("SELECT coalesce(max(version), 0) FROM {schema}.schema_version"))
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Create or bring the state schema up to date (call it holding the run lock); returns the version.

        Creates only what is missing, so once the schema is up to date a run needs no CREATE privilege."""
        with self.db.cursor() as cur:
            if not self.schema_present():
                cur.execute(self._sql("CREATE SCHEMA IF NOT EXISTS {schema}"))
            if not self.exists():
                cur.execute(self._sql("CREATE TABLE IF NOT EXISTS {schema}.schema_version (version integer NOT NULL)"))
            current = self.version()
            for version, migration in enumerate(MIGRATIONS[current:], start=current + 1):
                cur.execute("BEGIN")
                try:
                    cur.execute(self._sql(migration))
                    cur.execute(self._sql("INSERT INTO {schema}.schema_version VALUES (%s)"), (version,))
                except Exception:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
        self._tables.clear()
        return len(MIGRATIONS)

    def mark_abandoned(self) -> list[int]:
        """Mark runs still `running` as `abandoned` (call it holding the run lock: their runs are gone)."""
        with self.db.cursor() as cur:
            cur.execute(
                self._sql(
                    "UPDATE {schema}.runs SET status = 'abandoned', error = %s WHERE status = 'running' RETURNING id"
                ),
                (ABANDONED,),
            )
            return sorted(int(run_id) for (run_id,) in cur.fetchall())

    def start_run(self, command: str, flows: Sequence[str]) -> int:
        with self.db.cursor() as cur:
            cur.execute(
                self._sql("INSERT INTO {schema}.runs (command, flows) VALUES (%s, %s) RETURNING id"),
                (command, list(flows)),
            )
            row = cur.fetchone()
        assert row is not None
        return int(row[0])

    def finish_run(self, run_id: int, status: str, exit_code: int, summary: dict[str, Any], error: str | None) -> None:
        with self.db.cursor() as cur:
            cur.execute(
                self._sql(
                    "UPDATE {schema}.runs SET finished_at = now(), status = %s, exit_code = %s, summary = %s, "
                    "error = %s WHERE id = %s"
                ),
                (status, exit_code, json.dumps(summary), error, run_id),
            )

    def record_problems(self, run_id: int, problems: Sequence[Problem]) -> None:
        """Upsert one batch of rejected or deferred rows in one statement."""
        if not problems:
            return
        rows = [(p.step, p.row_key, p.flow, p.kind, p.reason, run_id, run_id) for p in problems]
        with self.db.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                self._sql(
                    "INSERT INTO {schema}.rejections (step, row_key, flow, kind, reason, first_run_id, last_run_id) "
                    "VALUES %s ON CONFLICT (step, row_key) DO UPDATE SET kind = EXCLUDED.kind, "
                    "reason = EXCLUDED.reason, last_run_id = EXCLUDED.last_run_id, last_seen_at = now(), "
                    "attempts = CASE WHEN rejections.resolved_at IS NULL THEN rejections.attempts + 1 ELSE 1 END, "
                    "first_run_id = CASE WHEN rejections.resolved_at IS NULL THEN rejections.first_run_id "
                    "ELSE EXCLUDED.first_run_id END, resolved_at = NULL"
                ).as_string(cur),
                rows,
                page_size=len(rows),
            )

    def resolve_others(self, run_id: int, step: str, keys: Sequence[str] | None = None) -> None:
        """Close the step's open problems that this run did not see again (the row went through); with
        `keys`, only among those (a run that looked at those rows only)."""
        only = "" if keys is None else " AND row_key = ANY(%s)"
        with self.db.cursor() as cur:
            cur.execute(
                self._sql(
                    "UPDATE {schema}.rejections SET resolved_at = now() "
                    "WHERE step = %s AND resolved_at IS NULL AND last_run_id <> %s" + only
                ),
                (step, run_id) if keys is None else (step, run_id, list(keys)),
            )

    def record_conflicts(self, run_id: int, conflicts: Sequence[Conflict]) -> None:
        if not conflicts:
            return
        rows = [(run_id, c.step, c.row_key, c.base_value, c.left_value, c.right_value, c.resolution) for c in conflicts]
        with self.db.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                self._sql(
                    "INSERT INTO {schema}.conflicts (run_id, step, row_key, base_value, left_value, right_value, "
                    "resolution) VALUES %s"
                ).as_string(cur),
                rows,
                page_size=len(rows),
            )

    def baselines(self, step: str, keys: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """The raw (left, right) values seen at the last sync for these rows (absent: never synced)."""
        if not self.exists():
            return {}
        with self.db.cursor() as cur:
            cur.execute(
                self._sql(
                    "SELECT row_key, left_value, right_value FROM {schema}.status_baseline "
                    "WHERE step = %s AND row_key = ANY(%s)"
                ),
                (step, list(keys)),
            )
            return {key: (left, right) for key, left, right in cur.fetchall()}

    def save_baselines(self, step: str, values: dict[str, tuple[str | None, str | None]]) -> None:
        """Stage baselines in the open transaction of this store's connection (see BaselineStore)."""
        if not values:
            return
        with self.db.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                self._sql(
                    "INSERT INTO {schema}.status_baseline (step, row_key, left_value, right_value) VALUES %s "
                    "ON CONFLICT (step, row_key) DO UPDATE SET left_value = EXCLUDED.left_value, "
                    "right_value = EXCLUDED.right_value, synced_at = now() "
                    "WHERE (status_baseline.left_value, status_baseline.right_value) "
                    "IS DISTINCT FROM (EXCLUDED.left_value, EXCLUDED.right_value)"
                ).as_string(cur),
                [(step, key, left, right) for key, (left, right) in values.items()],
                page_size=len(values),
            )

    def watermarks(self, step: str) -> dict[tuple[str, str], tuple[Watermark, datetime]]:
        """(side, table) → what the step last saw of it and when it last compared it in full."""
        if not self.has_table("watermarks"):
            return {}
        rows = self.dicts(
            "SELECT side, table_name, system_identifier, database_oid, bound, full_at FROM {schema}.watermarks "
            "WHERE step = %s",
            (step,),
        )
        return {
            (r["side"], r["table_name"]): (
                Watermark(Identity(r["system_identifier"], int(r["database_oid"])), int(r["bound"])),
                r["full_at"],
            )
            for r in rows
        }

    def save_watermark(self, step: str, side: str, table: str, mark: Watermark, full: bool) -> None:
        """Stage what this step saw (commit with the step); `full`: it compared every row just now."""
        with self.db.cursor() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO {schema}.watermarks (step, side, table_name, system_identifier, database_oid, bound, "
                    "full_at) VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (step, side, table_name) DO UPDATE "
                    "SET system_identifier = EXCLUDED.system_identifier, database_oid = EXCLUDED.database_oid, "
                    "bound = EXCLUDED.bound, saved_at = now(), full_at = CASE WHEN %s THEN now() "
                    "ELSE watermarks.full_at END"
                ),
                (step, side, table, mark.identity.system_identifier, mark.identity.database_oid, mark.bound, full),
            )

    def own_writes(self, step: str, side: str, table: str) -> set[int]:
        """The 64-bit ids of this step's own inserts into a table it watches, still inside its window."""
        if not self.has_table("own_writes"):
            return set()
        with self.db.cursor() as cur:
            cur.execute(
                self._sql("SELECT xid FROM {schema}.own_writes WHERE step = %s AND side = %s AND table_name = %s"),
                (step, side, table),
            )
            return {int(xid) for (xid,) in cur.fetchall()}

    def record_own_writes(self, step: str, side: str, table: str, xids: Iterable[int], mark: Watermark) -> None:
        """Stage the ids of this step's inserts into a watched table, and forget its older ones below the new
        watermark (the next run's window starts there, so they can no longer match)."""
        if not xids:
            return
        with self.db.cursor() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO {schema}.own_writes (step, side, table_name, xid) "
                    "SELECT %(step)s, %(side)s, %(table)s, unnest(%(xids)s::bigint[]) ON CONFLICT DO NOTHING; "
                    "DELETE FROM {schema}.own_writes WHERE step = %(step)s AND side = %(side)s "
                    "AND table_name = %(table)s AND xid < %(bound)s"
                ),
                {"step": step, "side": side, "table": table, "xids": sorted(set(xids)), "bound": mark.bound},
            )

    def open_problem_keys(self, step: str) -> list[str]:
        """Keys of the step's rows rejected or deferred and not yet resolved: every run tries them again."""
        if not self.exists():
            return []
        with self.db.cursor() as cur:
            cur.execute(
                self._sql("SELECT row_key FROM {schema}.rejections WHERE step = %s AND resolved_at IS NULL"), (step,)
            )
            return [key for (key,) in cur.fetchall()]

    def lock_held(self) -> bool:
        """Whether some session holds the run lock now (read from pg_locks: taking it would make a run skip)."""
        with self.db.cursor() as cur:
            cur.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND (classid::bigint << 32 | objid::bigint) = %s)",
                (lock_key(self.schema),),
            )
            row = cur.fetchone()
        return bool(row and row[0])

    def dicts(self, template: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self.db.conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(self._sql(template), params)
            return [dict(row) for row in cur.fetchall()]
