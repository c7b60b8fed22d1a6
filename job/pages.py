"""Reading rows: a step's rows streamed in fixed-size batches through one server-side cursor, and
the rows of a table by key, one statement each."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from job.db import Database

_cursor_names = itertools.count(1)


def stream_rows(
    db: Database, relation: sql.Composable, key: str, columns: Sequence[str], batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Yield the rows of `relation` in key order, `batch_size` at a time.

    One query runs once on the server (a join in it is computed once, not once per batch) and each
    batch is one FETCH. The cursor lives in the step's transaction: consume it before the step ends."""
    names = list(dict.fromkeys([key, *columns]))
    query = sql.SQL("SELECT {cols} FROM {rel} AS s ORDER BY {key}").format(
        cols=sql.SQL(", ").join(sql.Identifier(name) for name in names), rel=relation, key=sql.Identifier(key)
    )
    with db.conn.cursor(name=f"hs_stream_{next(_cursor_names)}") as cur:
        cur.itersize = batch_size
        cur.execute(query)
        while True:
            rows = cur.fetchmany(batch_size)
            db.conn.statement_counter.count += 1
            if rows:
                yield [dict(zip(names, row, strict=True)) for row in rows]
            if len(rows) < batch_size:
                return


def fetch_by_keys(
    cur: psycopg2.extensions.cursor, table: str, key: str, key_type: str, columns: Sequence[str], keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The rows of `table` whose key is one of `keys`, by key as text, in one statement."""
    names = list(dict.fromkeys(columns))
    cur.execute(
        sql.SQL("SELECT {key}::text{cols} FROM {table} WHERE {key} = ANY(%s::{type}[])").format(
            key=sql.Identifier(key),
            cols=sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(name)) for name in names),
            table=sql.Identifier(table),
            type=sql.SQL(key_type),
        ),
        (list(keys),),
    )
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cur.fetchall()}
