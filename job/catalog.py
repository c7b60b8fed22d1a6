"""What `check` reports, and the catalog reads every step kind's checks share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from job.db import ColumnInfo, Database, table_columns
from job.flow_model import Side

CATEGORY_NAMES = {"S": "text", "N": "number", "B": "boolean", "D": "date/time", "U": "uuid"}


@dataclass(frozen=True)
class CheckLine:
    """One line of `check`: passed or failed, and what was checked."""

    ok: bool
    text: str


def columns_of(db: Database, table: str) -> dict[str, ColumnInfo]:
    """A table's columns, read without leaving a transaction open on the check's connection."""
    try:
        with db.cursor() as cur:
            return table_columns(cur, table)
    finally:
        db.conn.rollback()


def columns_present(
    dbs: dict[Side, Database], step: str, side: Side, table: str, names: list[str]
) -> Iterator[CheckLine]:
    if side not in dbs:
        yield CheckLine(False, f"{step}: not checked, {side.upper()} is unreachable")
        return
    present = columns_of(dbs[side], table)
    missing = [name for name in names if name not in present]
    if missing:
        yield CheckLine(False, f"{step}: {side.upper()} {table} lacks {', '.join(missing)}")
    else:
        yield CheckLine(True, f"{step}: {side.upper()} {table} has {', '.join(names)}")
