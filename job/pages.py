"""Reading a source in fixed-size pages by key (keyset pagination): one statement per page."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg2.extensions
from psycopg2 import sql


def source_relation(table: str, source_sql: str | None) -> sql.Composable:
    """What a step reads from: its table, or its declared query as a subselect named s."""
    return sql.SQL("({}) AS s").format(sql.SQL(source_sql)) if source_sql else sql.Identifier(table)


def read_pages(
    cur: psycopg2.extensions.cursor,
    table: str,
    key: str,
    columns: Sequence[str],
    batch_size: int,
    source_sql: str | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the rows of `table` (or of the `source_sql` query) in key order, `batch_size` at a time."""
    relation = source_relation(table, source_sql)
    names = list(dict.fromkeys([key, *columns]))
    selected = sql.SQL(", ").join(sql.Identifier(name) for name in names)
    first = sql.SQL("SELECT {cols} FROM {rel} ORDER BY {key} LIMIT %s").format(
        cols=selected, rel=relation, key=sql.Identifier(key)
    )
    following = sql.SQL("SELECT {cols} FROM {rel} WHERE {key} > %s ORDER BY {key} LIMIT %s").format(
        cols=selected, rel=relation, key=sql.Identifier(key)
    )
    last_key: Any = None
    while True:
        if last_key is None:
            cur.execute(first, (batch_size,))
        else:
            cur.execute(following, (last_key, batch_size))
        rows = cur.fetchall()
        if not rows:
            return
        yield [dict(zip(names, row, strict=True)) for row in rows]
        if len(rows) < batch_size:
            return
        last_key = rows[-1][0]


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
