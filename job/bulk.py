"""Bulk inserts: a batch goes to a temporary table with one COPY, then to the target with one
INSERT ... SELECT, so the database parses one statement per batch and casts values itself."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg2.extensions
from psycopg2 import sql

from job.db import ColumnInfo
from job.errors import FatalSyncError

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """One value in COPY's text format (NULL is \\N; tabs, newlines and backslashes escaped)."""
    if type(value) is str:
        return value.translate(_ESCAPES)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal | UUID):
        return str(value)
    raise FatalSyncError(f"cannot stage a value of type {type(value).__name__} for COPY: no flow should map one")


def stage(cur: psycopg2.extensions.cursor, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """(Re)create the temporary table `name` (hs_n, columns as text) and COPY the rows in, numbered from 0."""
    staged = sql.Identifier(name)
    cur.execute(
        sql.SQL("DROP TABLE IF EXISTS pg_temp.{t}; CREATE TEMPORARY TABLE {t} (hs_n integer, {cols})").format(
            t=staged, cols=sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)
        )
    )
    lines = "".join(f"{n}\t" + "\t".join(copy_text(v) for v in row) + "\n" for n, row in enumerate(rows))
    cur.copy_expert(sql.SQL("COPY pg_temp.{} FROM STDIN").format(staged).as_string(cur), io.StringIO(lines))


def insert_staged_sql(
    name: str, table: str, columns: Sequence[ColumnInfo], now_columns: Sequence[str], returning: str
) -> sql.Composed:
    """INSERT the staged rows numbered %(low)s to %(high)s into `table`, each value cast to its column's
    base type (never a length limit, so a too long value is refused, not cut)."""
    return sql.SQL(
        "WITH written AS (INSERT INTO {table} ({names}) SELECT {values} FROM pg_temp.{staged} "
        "WHERE hs_n BETWEEN %(low)s AND %(high)s RETURNING xmin) " + returning
    ).format(
        table=sql.Identifier(table),
        names=sql.SQL(", ").join(sql.Identifier(name) for name in [*(c.name for c in columns), *now_columns]),
        values=sql.SQL(", ").join(
            [
                *(sql.SQL("{}::{}").format(sql.Identifier(c.name), sql.SQL(c.base_type)) for c in columns),
                *(sql.SQL("now()") for _ in now_columns),
            ]
        ),
        staged=sql.Identifier(name),
    )
