"""The benchmark's one PostgreSQL cluster: databases from templates, and statement counts from pg_stat_statements.

DB1, DB2, the helper's database and the scratch databases all live in this cluster; pg_stat_statements is
cluster-wide, so counts are filtered by database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from devstack.localpg import LocalCluster, run_sql_files

ROOT = Path(__file__).resolve().parents[1]
DB1_SCHEMA = ROOT / "schema" / "db1.sql"
DB2_SCHEMA = ROOT / "schema" / "db2.sql"
STATS_OPTIONS = (
    "shared_preload_libraries=pg_stat_statements",
    "pg_stat_statements.track=all",
    "pg_stat_statements.max=10000",
)
EMPTY_DB1, EMPTY_DB2 = "bench_empty_db1", "bench_empty_db2"


class BenchCluster:
    """A started LocalCluster with pg_stat_statements, plus the few admin operations the benchmark needs."""

    def __init__(self) -> None:
        self.local = LocalCluster(extra_options=STATS_OPTIONS)

    def __enter__(self) -> BenchCluster:
        self.local.start()
        try:
            self.admin("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            self.create(EMPTY_DB1, sql_files=[DB1_SCHEMA])
            self.create(EMPTY_DB2, sql_files=[DB2_SCHEMA])
        except BaseException:
            self.local.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.local.stop()

    @property
    def port(self) -> int:
        return self.local.port

    def dsn(self, dbname: str = "postgres", port: int | None = None) -> str:
        return f"postgresql://postgres@127.0.0.1:{port or self.port}/{dbname}"

    def admin(self, statement: str | sql.Composable, params: Any = None) -> list[tuple[Any, ...]]:
        """One statement on the postgres database, in autocommit; returns its rows (if any)."""
        conn = psycopg2.connect(self.dsn())
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def create(self, name: str, template: str | None = None, sql_files: tuple[Path, ...] | list[Path] = ()) -> str:
        """A database (dropped first if it exists), cloned from a template or run from SQL files; its URI."""
        self.drop(name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        self.admin(statement)
        run_sql_files(self.dsn(name), sql_files)
        return self.dsn(name)

    def drop(self, *names: str) -> None:
        for name in names:
            self.admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def vacuum_analyze(self, name: str) -> None:
        """Fresh statistics and visibility map, as a long-lived production database would have."""
        conn = psycopg2.connect(self.dsn(name))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("VACUUM (ANALYZE)")
        finally:
            conn.close()

    def reset_statements(self) -> None:
        self.admin("SELECT pg_stat_statements_reset()")

    def statements(self, databases: tuple[str, ...]) -> tuple[int, int]:
        """Statements run in these databases since the last reset: all (track=all counts nested ones, such
        as a foreign key's check per referencing row) and top-level only (what clients sent)."""
        rows = self.admin(
            "SELECT coalesce(sum(s.calls), 0)::bigint, coalesce(sum(s.calls) FILTER (WHERE s.toplevel), 0)::bigint "
            "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = ANY(%s) AND s.query NOT ILIKE %s",
            (list(databases), "%pg_stat_statements_reset%"),
        )
        return int(rows[0][0]), int(rows[0][1])

    def server_version(self) -> str:
        return str(self.admin("SELECT version()")[0][0])
