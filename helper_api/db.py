"""Database connections: one-off ones for commands, and a small pool per process for the API.

Pooled connections are opened on first use in each process, never before gunicorn forks (the app is
preloaded in the master), so no two processes ever share a connection.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import psycopg2
import psycopg2.extensions
from flask import Flask, current_app, g

from helper_api.errors import StoreUnavailable, first_line
from helper_api.settings import StoreSettings

APPLICATION_NAME = "hestia-helper"
EXTENSION_KEY = "helper_db"
Connection = psycopg2.extensions.connection


def describe(dsn: str) -> str:
    """host:port/dbname of a libpq URI, for messages: never the user's password."""
    try:
        parts = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "(a URI libpq cannot parse)"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', '5432')}/{parts.get('dbname', '')}"


def connect_args(settings: StoreSettings, *, read_only: bool) -> dict[str, Any]:
    options = f"-c statement_timeout={int(settings.statement_timeout_s * 1000)}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    return {
        "dsn": settings.database_url.get_secret_value(),
        "connect_timeout": settings.connect_timeout_s,
        "application_name": APPLICATION_NAME,
        "options": options,
    }


def connect(settings: StoreSettings) -> Connection:
    """A read-write connection for a command, or StoreUnavailable saying where it could not connect."""
    try:
        conn: Connection = psycopg2.connect(**connect_args(settings, read_only=False))
    except psycopg2.OperationalError as exc:
        where = describe(settings.database_url.get_secret_value())
        raise StoreUnavailable(f"cannot connect to HELPER_DATABASE_URL ({where}): {first_line(exc)}") from None
    return conn


class PoolExhausted(psycopg2.Error):
    """No connection came free in time (answered like any database error: 503)."""


class ConnectionPool:
    """Up to ``size`` read-only autocommit connections, opened on demand in the process that uses them.

    A connection that comes back broken also closes the idle ones: after a server restart they are all
    dead, and this way only one request fails instead of one per pooled connection.
    """

    def __init__(self, settings: StoreSettings, size: int, wait_s: float = 5.0) -> None:
        self._args = connect_args(settings, read_only=True)
        self._size = size
        self._wait_s = wait_s
        self._lock = threading.Lock()
        self._idle: list[Connection] = []
        self._inherited: list[Connection] = []
        self._slots = threading.BoundedSemaphore(size)
        self._pid = os.getpid()

    def get(self) -> Connection:
        self._forget_if_forked()
        if not self._slots.acquire(timeout=self._wait_s):
            raise PoolExhausted(f"all {self._size} database connections stayed busy for {self._wait_s} s")
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = psycopg2.connect(**self._args)
            conn.autocommit = True
        except BaseException:
            self._slots.release()
            raise
        return conn

    def put(self, conn: Connection) -> None:
        """Give a connection back; a broken one is closed, and so are the idle ones."""
        try:
            healthy = not conn.closed and conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
            if healthy:
                with self._lock:
                    self._idle.append(conn)
            else:
                conn.close()
                self.close()
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections (those in use are closed when they come back broken, or kept)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _forget_if_forked(self) -> None:
        # Closing (or garbage-collecting) a connection inherited through fork() would end the parent's
        # session too, so a child keeps them untouched. (The app is preloaded before any is opened.)
        if self._pid != os.getpid():
            with self._lock:
                self._inherited.extend(self._idle)
                self._idle = []
                self._slots = threading.BoundedSemaphore(self._size)
                self._pid = os.getpid()


def init_app(app: Flask, settings: StoreSettings, size: int) -> None:
    app.extensions[EXTENSION_KEY] = ConnectionPool(settings, size)
    app.teardown_appcontext(_release)


def connection() -> Connection:
    """This request's connection, taken from the pool on first use and returned at teardown."""
    if "db" not in g:
        pool: ConnectionPool = current_app.extensions[EXTENSION_KEY]
        g.db = pool.get()
    conn: Connection = g.db
    return conn


def _release(_exc: BaseException | None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        current_app.extensions[EXTENSION_KEY].put(conn)


def close_pool(app: Flask) -> None:
    """Close every pooled connection of this app (tests, and shutdown)."""
    pool: ConnectionPool | None = app.extensions.get(EXTENSION_KEY)
    if pool is not None:
        pool.close()
