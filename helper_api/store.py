"""The SQL over <schema>.credentials: set-based reads for the API and writes for the importer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from psycopg2 import sql
from psycopg2.extras import execute_values

from helper_api.db import Connection


class Credential(NamedTuple):
    email: str
    password_hash: str
    photo_url: str | None


def find(conn: Connection, schema: str, emails: Sequence[str]) -> dict[str, Credential]:
    """The stored credentials of these normalised emails, by email, in one query."""
    if not emails:
        return {}
    query = sql.SQL("SELECT email, password_hash, photo_url FROM {}.credentials WHERE email = ANY(%s::text[])").format(
        sql.Identifier(schema)
    )
    with conn.cursor() as cur:
        cur.execute(query, (list(emails),))
        return {row[0]: Credential(*row) for row in cur.fetchall()}


class UpsertCounts(NamedTuple):
    inserted: int
    updated: int


def upsert(conn: Connection, schema: str, rows: Sequence[Credential]) -> UpsertCounts:
    """Insert new emails and update changed ones in one statement; identical rows are left untouched."""
    if not rows:
        return UpsertCounts(0, 0)
    statement = sql.SQL(
        "INSERT INTO {}.credentials AS c (email, password_hash, photo_url) VALUES %s "
        "ON CONFLICT (email) DO UPDATE "
        "SET password_hash = EXCLUDED.password_hash, photo_url = EXCLUDED.photo_url, updated_at = now() "
        "WHERE (c.password_hash, c.photo_url) IS DISTINCT FROM (EXCLUDED.password_hash, EXCLUDED.photo_url) "
        "RETURNING (xmax = 0) AS inserted"
    ).format(sql.Identifier(schema))
    with conn.cursor() as cur:
        written = execute_values(cur, statement.as_string(conn), list(rows), page_size=len(rows), fetch=True)
    inserted = sum(1 for (was_insert,) in written if was_insert)
    return UpsertCounts(inserted, len(written) - inserted)
