"""Where the tests get PostgreSQL from, in order of preference.

1. ``TEST_DATABASE_URL``: a server someone provides (CI service containers); it must allow CREATE DATABASE.
2. A throwaway container through testcontainers, when a Docker daemon answers.
3. A throwaway cluster from the local PostgreSQL binaries (``devstack.localpg``).

Every test database is created fresh from a template, so tests never share rows.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from devstack.localpg import LocalCluster, run_sql_files

POSTGRES_IMAGE = "postgres:15-alpine"


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    admin_dsn: str
    origin: str

    def dsn_for(self, dbname: str) -> str:
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path=f"/{dbname}"))

    def create_database(self, prefix: str = "t", template: str | None = None) -> str:
        """Create an empty (or templated) database and return its URI."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        self._admin(statement)
        return self.dsn_for(name)

    def create_template(self, name: str, sql_files: list[Path]) -> str:
        """Create (once) a template database loaded from the given SQL files; return its name."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        run_sql_files(self.dsn_for(name), sql_files)
        return name

    def _admin(self, statement: sql.Composable) -> None:
        conn = psycopg2.connect(self.admin_dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()


def docker_answers() -> bool:
    """True when a Docker daemon answers a ping (testcontainers can then start containers)."""
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "no usable daemon"
        return False


@contextlib.contextmanager
def provide_server() -> Iterator[PgServer]:
    """Yield a server for the whole test session and clean it up afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield PgServer(admin_dsn=url, origin="TEST_DATABASE_URL")
        return
    if docker_answers():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
            yield PgServer(admin_dsn=container.get_connection_url(), origin="testcontainers")
        return
    with LocalCluster() as cluster:
        yield PgServer(admin_dsn=cluster.dsn(), origin="local binaries")
