"""Change detection: which rows of a watched table were written since the last run, read from `xmin`.

Every row version carries the id of the transaction that wrote it (`xmin`, 32 bits). Each step
records, per watched table, the `xmin` of the snapshot it took before reading (`bound`, as a 64-bit
xid8): every transaction the step could not see has an id >= bound. The next run reads only rows
whose `xmin` is >= that bound: it re-reads a few rows committed just before the snapshot, and never
misses one. The ids the job's own writes returned (`RETURNING xmin`) are left out, so the job's
writes do not come back as changes.

A window is refused, and the step compares everything, when there is no watermark yet, the
database is not the one the watermark was taken on (system identifier or database oid differ), ids
went backwards (a restore), or the gap is too wide for 32-bit ids to be told apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg2.extensions
from psycopg2 import sql

from job.db import savepoint

XID_SPAN = 1 << 32
# Far below the 2**31 at which PostgreSQL itself stops telling 32-bit ids apart.
MAX_WINDOW = 1 << 30
XMIN = sql.SQL("xmin::text::bigint")


@dataclass(frozen=True)
class Identity:
    """Which database this is: a restored or replaced database has another identifier or oid."""

    system_identifier: str | None
    database_oid: int


@dataclass(frozen=True)
class Snapshot:
    """A snapshot's bounds as 64-bit ids: xmin, the oldest still running; xmax, the next to be assigned."""

    xmin: int
    xmax: int


@dataclass(frozen=True)
class Watermark:
    """What the last successful step saw of one table."""

    identity: Identity
    bound: int


def database_identity(cur: psycopg2.extensions.cursor) -> Identity:
    """The server's system identifier (None where the role may not read it) and the database's oid."""
    cur.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
    row = cur.fetchone()
    oid = int(row[0]) if row else 0
    found = None
    with contextlib.suppress(psycopg2.Error), savepoint(cur, "identity"):
        cur.execute("SELECT system_identifier::text FROM pg_control_system()")
        found = cur.fetchone()
    return Identity(found[0] if found else None, oid)


def take_snapshot(cur: psycopg2.extensions.cursor) -> Snapshot:
    """The bounds of a snapshot taken now, before the step reads anything."""
    cur.execute(
        "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint FROM pg_current_snapshot() s"
    )
    row = cur.fetchone()
    assert row is not None
    return Snapshot(int(row[0]), int(row[1]))


def why_full(mark: Watermark | None, identity: Identity, now: Snapshot) -> str | None:
    """Why this table must be compared in full, or None when the window since `mark` can be trusted."""
    if mark is None:
        return "no earlier run has seen it"
    if mark.identity.database_oid != identity.database_oid or (
        mark.identity.system_identifier is not None
        and identity.system_identifier is not None
        and mark.identity.system_identifier != identity.system_identifier
    ):
        return "the database is not the one the last run saw (restored or replaced)"
    if now.xmax < mark.bound:
        return "transaction ids went backwards since the last run (restored database)"
    if now.xmax - mark.bound >= MAX_WINDOW:
        return "too many transactions since the last run to trust 32-bit row versions"
    return None


def window(bound: int, now: Snapshot, own: Iterable[int]) -> sql.Composed:
    """The condition on `xmin` that holds for every row written by a transaction in [bound, now.xmax).

    Ids at or past now.xmax are left for the next run, whose bound is at most now.xmax; bounding the
    window above keeps rows of an older epoch whose 32-bit xmin is above `bound` from matching run
    after run once the counter has wrapped. A frozen row of an older epoch whose xmin falls inside the
    window still matches: that costs a comparison, never a miss. `own` are 64-bit ids of the step's
    own inserts, left out.
    """
    low, high = bound % XID_SPAN, now.xmax % XID_SPAN
    if bound // XID_SPAN == now.xmax // XID_SPAN:
        condition = sql.SQL("{x} >= {low} AND {x} < {high}").format(
            x=XMIN, low=sql.Literal(low), high=sql.Literal(high)
        )
    else:  # the 32-bit counter wrapped inside the window
        condition = sql.SQL("({x} >= {low} OR {x} < {high})").format(
            x=XMIN, low=sql.Literal(low), high=sql.Literal(high)
        )
    excluded = sorted({xid % XID_SPAN for xid in own})
    if not excluded:
        return condition
    return sql.SQL("{cond} AND NOT {x} = ANY({own})").format(
        cond=condition, x=XMIN, own=sql.Literal(excluded) + sql.SQL("::bigint[]")
    )


def full_xid(xid32: int, top: int) -> int:
    """The 64-bit id of a (sub)transaction from its 32 bits and its top-level transaction's xid8.

    A subtransaction is always assigned its id after its parent, so it is never below `top`."""
    candidate = (top // XID_SPAN) * XID_SPAN + xid32
    return candidate + XID_SPAN if candidate < top else candidate
