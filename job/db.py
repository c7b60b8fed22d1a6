"""Database access: connections with timeouts, DSN redaction, statement counting, column metadata."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from job.errors import FatalSyncError, TransientError
from job.uris import connect_failure, redact
from job.values import register_range_guards

APPLICATION_NAME = "hestia-sync"


class StatementCounter:
    """Counts statements sent to the server, so tests and reports can show they stay per-batch."""

    def __init__(self) -> None:
        self.count = 0


class CountingCursor(psycopg2.extensions.cursor):
    """A cursor that adds one to its connection's counter per statement sent, and sends none once the
    run was asked to stop (see `interrupts`)."""

    def execute(self, query: Any, vars: Any = None) -> None:
        self._before_statement()
        super().execute(query, vars)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        self._before_statement()
        super().copy_expert(sql, file, size)

    def _before_statement(self) -> None:
        stop = getattr(self.connection, "stop_request", None)
        if stop is not None:
            stop.check()
        counter = getattr(self.connection, "statement_counter", None)
        if counter is not None:
            counter.count += 1


class CountingConnection(psycopg2.extensions.connection):
    """A connection carrying a StatementCounter (and, for the data connections of a run, its StopRequest)."""

    statement_counter: StatementCounter


@dataclass
class Database:
    """One of the two databases (or the state store), by role name, with its connection."""

    role: str
    conn: CountingConnection

    @property
    def statements(self) -> int:
        return self.conn.statement_counter.count

    def cursor(self) -> psycopg2.extensions.cursor:
        return self.conn.cursor()


@dataclass(frozen=True)
class Keepalives:
    """TCP keepalives on both ends of a connection, so a peer that vanished is noticed in minutes, not hours.

    The server's end matters most: the run's advisory lock lives in a server session, and a task killed
    with its network never closes its sockets. Without keepalives the server keeps that session (and the
    lock) for the kernel's default of two hours. `tcp_user_timeout` bounds unacknowledged writes likewise."""

    idle_s: int = 60
    interval_s: int = 10
    count: int = 6

    @property
    def give_up_ms(self) -> int:
        return (self.idle_s + self.interval_s * self.count) * 1000

    def libpq_params(self) -> dict[str, int]:
        return {
            "keepalives": 1,
            "keepalives_idle": self.idle_s,
            "keepalives_interval": self.interval_s,
            "keepalives_count": self.count,
            "tcp_user_timeout": self.give_up_ms,
        }

    def server_options(self) -> str:
        return (
            f"-c tcp_keepalives_idle={self.idle_s} -c tcp_keepalives_interval={self.interval_s} "
            f"-c tcp_keepalives_count={self.count} -c tcp_user_timeout={self.give_up_ms}"
        )


def connect(
    role: str, dsn: str, connect_timeout_s: int, statement_timeout_s: int, keepalives: Keepalives = Keepalives()
) -> Database:
    """Open a connection, or raise TransientError naming the role and the redacted URI."""
    try:
        conn = psycopg2.connect(
            dsn,
            connection_factory=CountingConnection,
            cursor_factory=CountingCursor,
            connect_timeout=connect_timeout_s,
            application_name=APPLICATION_NAME,
            options=f"-c statement_timeout={statement_timeout_s * 1000} {keepalives.server_options()}",
            **keepalives.libpq_params(),
        )
    except psycopg2.OperationalError as exc:
        raise TransientError(
            f"cannot connect to {role} at {redact(dsn)}: {connect_failure(exc)}; "
            "check the URI, the network path and the server"
        ) from None
    except psycopg2.ProgrammingError as exc:
        raise FatalSyncError(f"the {role} URI is not valid: {connect_failure(exc)}") from None
    conn.statement_counter = StatementCounter()
    register_range_guards(conn)
    return Database(role=role, conn=conn)


def first_line(exc: BaseException) -> str:
    """The first line of an error: psycopg2 puts DETAIL (which may hold row values) on later lines."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def db_error_reason(exc: psycopg2.Error) -> str:
    """What the database said about a refused row, without DETAIL (which can repeat row values)."""
    diag = exc.diag
    message = diag.message_primary or first_line(exc)
    if diag.constraint_name and diag.constraint_name not in message:
        message += f" ({diag.constraint_name})"
    return f"{message} [SQLSTATE {exc.pgcode}]" if exc.pgcode else message


@contextmanager
def savepoint(cur: psycopg2.extensions.cursor, name: str = "batch") -> Iterator[None]:
    """Run a block inside a savepoint; on a database error roll back to it and re-raise."""
    cur.execute(sql.SQL("SAVEPOINT {}").format(sql.Identifier(name)))
    try:
        yield
    except psycopg2.Error:
        cur.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(sql.Identifier(name)))
        raise
    cur.execute(sql.SQL("RELEASE SAVEPOINT {}").format(sql.Identifier(name)))


@dataclass(frozen=True)
class ColumnInfo:
    """What the target allows in a column."""

    name: str
    type_name: str
    base_type: str
    category: str
    nullable: bool
    has_default: bool
    max_length: int | None


def table_columns(cur: psycopg2.extensions.cursor, table: str) -> dict[str, ColumnInfo]:
    """The columns of a table in the search path, by name ({} when the table does not exist)."""
    cur.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod),
               CASE WHEN a.atttypid = 'bpchar'::regtype THEN 'bpchar' ELSE format_type(a.atttypid, NULL) END,
               t.typcategory, NOT a.attnotnull,
               a.atthasdef,
               CASE WHEN a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND a.atttypmod > 4
                    THEN a.atttypmod - 4 END
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
        """,
        (table,),
    )
    return {row[0]: ColumnInfo(*row) for row in cur.fetchall()}
