"""Database connections: one-off ones for commands, and a small bounded pool per process for the API.

Pooled connections are opened on first use in each process, never before gunicorn forks (the app is
preloaded in the master), so no two processes ever share a connection. In the gevent worker psycopg2
waits for the server through gevent's hub (helper_api.serving installs the wait callback).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions
from flask import Flask, current_app, g

from helper_api.errors import StoreUnavailable
from helper_api.settings import StoreSettings
from job.uris import connect_failure, redact

APPLICATION_NAME = "hestia-helper"
EXTENSION_KEY = "helper_db"
Connection = psycopg2.extensions.connection


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
        where = redact(settings.database_url.get_secret_value())
        raise StoreUnavailable(f"cannot connect to HELPER_DATABASE_URL ({where}): {connect_failure(exc)}") from None
    return conn


class PoolExhausted(psycopg2.Error):
    """No connection came free in time (answered like any database error: 503)."""


@dataclass
class _ProcessState:
    """A pool's connections and locks in the process that uses them."""

    pid: int
    lock: threading.Lock
    slots: threading.BoundedSemaphore
    idle: list[Connection] = field(default_factory=list)


class ConnectionPool:
    """Up to ``size`` read-only autocommit connections per process, opened on demand, and no more.

    Requests beyond ``size`` wait up to ``wait_s`` for one to come back, then fail (503). The locks are
    made in the process that serves, on its first request: in a gevent worker that is after gevent has
    patched ``threading``, so a request waiting here lets the worker's other requests run.

    A connection that comes back broken also closes the idle ones: after a server restart they are all
    dead, and this way only one request fails instead of one per pooled connection.
    """

    def __init__(self, settings: StoreSettings, size: int, wait_s: float = 5.0) -> None:
        self._args = connect_args(settings, read_only=True)
        self._size = size
        self._wait_s = wait_s
        self._state: _ProcessState | None = None
        # Connections inherited through fork(): closing (or garbage-collecting) one would end the
        # parent's session too, so a child keeps them untouched. (The app is preloaded before any opens.)
        self._inherited: list[Connection] = []

    def get(self) -> Connection:
        state = self._here()
        if not state.slots.acquire(timeout=self._wait_s):
            raise PoolExhausted(f"all {self._size} database connections stayed busy for {self._wait_s} s")
        try:
            with state.lock:
                conn = state.idle.pop() if state.idle else None
            if conn is None:
                conn = psycopg2.connect(**self._args)
            conn.autocommit = True
        except BaseException:
            state.slots.release()
            raise
        return conn

    def put(self, conn: Connection) -> None:
        """Give a connection back; a broken one is closed, and so are the idle ones."""
        state = self._here()
        try:
            healthy = not conn.closed and conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
            if healthy:
                with state.lock:
                    state.idle.append(conn)
            else:
                conn.close()
                self.close()
        finally:
            state.slots.release()

    def close(self) -> None:
        """Close the idle connections (those in use are closed when they come back broken, or kept)."""
        state = self._state
        if state is None or state.pid != os.getpid():
            return
        with state.lock:
            idle, state.idle = state.idle, []
        for conn in idle:
            conn.close()

    def _here(self) -> _ProcessState:
        state = self._state
        if state is None or state.pid != os.getpid():
            if state is not None:
                self._inherited.extend(state.idle)
            state = self._state = _ProcessState(os.getpid(), threading.Lock(), threading.BoundedSemaphore(self._size))
        return state


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
