"""The helper's schema, created and migrated by the helper itself, never by hand.

Migrations are numbered and recorded in <schema>.schema_migrations. They run in one transaction under
a PostgreSQL advisory lock, so several workers or containers starting at once apply each one exactly once.
"""

from __future__ import annotations

from typing import NamedTuple

import psycopg2
from psycopg2 import sql

from helper_api.db import Connection, connect
from helper_api.errors import StoreUnavailable, first_line
from helper_api.settings import StoreSettings

# Waiting for another process's migration is normal at start-up; the lookup timeout would be too short.
MIGRATION_TIMEOUT = "60s"


class Migration(NamedTuple):
    version: int
    description: str
    statement: str  # {schema} is replaced by the quoted schema name


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "credentials table",
        r"""
        CREATE TABLE {schema}.credentials (
            email         text PRIMARY KEY
                          CHECK (email <> '' AND email = lower(email) AND email = btrim(email)),
            password_hash text NOT NULL
                          CHECK (password_hash ~ '^\$2[aby]\$[0-9]{{2}}\$[./A-Za-z0-9]{{53}}$'),
            photo_url     text CHECK (photo_url ~ '^https?://'),
            updated_at    timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON TABLE {schema}.credentials IS
            'Password hashes and photo URLs by normalised email; written by import-credentials';
        """,
    ),
)


def migrate(settings: StoreSettings) -> list[Migration]:
    """Bring the schema up to date; return the migrations applied now (none when already current)."""
    conn = connect(settings)
    try:
        return _migrate(conn, settings.db_schema)
    except psycopg2.Error as exc:
        raise StoreUnavailable(
            f"migrating schema {settings.db_schema} failed ({type(exc).__name__}, SQLSTATE {exc.pgcode}): "
            f"{first_line(exc)}"
        ) from None
    finally:
        conn.close()


def _migrate(conn: Connection, schema: str) -> list[Migration]:
    ident = sql.Identifier(schema)
    with conn, conn.cursor() as cur:
        for name in ("lock_timeout", "statement_timeout"):
            cur.execute("SELECT set_config(%s, %s, true)", (name, MIGRATION_TIMEOUT))
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"hestia-helper-migrate:{schema}",))
        # Only create what is missing: CREATE SCHEMA needs a privilege a pre-created schema does not.
        cur.execute("SELECT to_regnamespace(%s) IS NULL", (schema,))
        if _fetch_bool(cur):
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
                " version int PRIMARY KEY, description text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(ident)
        )
        cur.execute(sql.SQL("SELECT version FROM {}.schema_migrations").format(ident))
        done = {int(row[0]) for row in cur.fetchall()}
        pending = [migration for migration in MIGRATIONS if migration.version not in done]
        for migration in pending:
            cur.execute(sql.SQL(migration.statement).format(schema=ident))
            cur.execute(
                sql.SQL("INSERT INTO {}.schema_migrations (version, description) VALUES (%s, %s)").format(ident),
                (migration.version, migration.description),
            )
    return pending


def _fetch_bool(cur: psycopg2.extensions.cursor) -> bool:
    row = cur.fetchone()
    return bool(row and row[0])
