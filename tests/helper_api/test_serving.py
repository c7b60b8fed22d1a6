"""The gevent worker and the database: waits that let the worker serve others, a bounded pool, a bounded connect.

One worker here, so that anything blocking the worker would block /healthz too.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg2
import pytest

from tests.helper_api.attacks import Latencies, keep_calling
from tests.helper_api.support import TOKEN, GunicornServer, helper_backends, password_of, start_gunicorn, with_password
from tests.support.postgres import PgServer

AUTH = {"Authorization": f"Bearer {TOKEN}"}
POOL_SIZE = 2
LOOKUPS = 6
LOCK_HELD_S = 2.0


@pytest.fixture(scope="module")
def one_worker_database(pg_server: PgServer) -> str:
    return with_password(pg_server.create_database("helper_serving"))


@pytest.fixture(scope="module")
def one_worker(one_worker_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    overrides = {
        "HELPER_DATABASE_URL": one_worker_database,
        "HELPER_WORKERS": "1",
        "HELPER_DB_POOL_SIZE": str(POOL_SIZE),
        "HELPER_RATE_LIMIT_PER_MINUTE": "0",
    }
    with start_gunicorn(tmp_path_factory.mktemp("serving"), overrides) as server:
        yield server


def joined(threads: list[threading.Thread], timeout_s: float) -> bool:
    """Wait at most ``timeout_s`` for all the threads; True when every one has finished."""
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


@contextlib.contextmanager
def credentials_locked(database_url: str) -> Iterator[None]:
    """Every lookup waits in the server until the block ends (the lock is PostgreSQL's, not ours)."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("LOCK TABLE helper.credentials IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        conn.rollback()
        conn.close()


def test_lookups_waiting_on_the_database_neither_block_the_worker_nor_open_more_than_the_pool(
    one_worker: GunicornServer, one_worker_database: str
) -> None:
    statuses: list[int] = []
    health = Latencies("health check")

    def look_up() -> None:
        reply = httpx.post(f"{one_worker.base_url}/lookup-batch", json={"emails": ["a@example.com"]}, headers=AUTH,
                           timeout=20.0)  # fmt: skip
        statuses.append(reply.status_code)

    with credentials_locked(one_worker_database):
        lookups = [threading.Thread(target=look_up) for _ in range(LOOKUPS)]
        for thread in lookups:
            thread.start()
        deadline = time.monotonic() + LOCK_HELD_S
        with httpx.Client(base_url=one_worker.base_url, timeout=1.0) as client:
            keep_calling(client, lambda c: c.get("/healthz").status_code == 200, deadline, 0.1, health)
        backends_while_blocked = helper_backends(one_worker_database)
    assert joined(lookups, timeout_s=30)

    assert health.failures == []  # each within its 1 s timeout, while every connection waited on the lock
    assert len(health.seconds) >= 5
    assert backends_while_blocked == POOL_SIZE
    assert statuses == [200] * LOOKUPS  # those beyond the pool waited for a connection, then were served
    output = one_worker.output()
    assert TOKEN not in output
    assert all(secret not in output for secret in [password_of(one_worker_database)] if secret)


@pytest.fixture
def silent_database() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_connecting_to_a_database_that_never_answers_gives_up_in_time_and_health_stays_up(
    silent_database: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    overrides = {
        "HELPER_DATABASE_URL": f"postgresql://helper:pw-Silent7@127.0.0.1:{silent_database}/helper",
        "HELPER_AUTO_MIGRATE": "false",
        "HELPER_CONNECT_TIMEOUT_S": "1",
        "HELPER_WORKERS": "1",
    }
    with start_gunicorn(tmp_path_factory.mktemp("silent"), overrides) as server:
        ready: list[httpx.Response] = []
        waiting = threading.Thread(target=lambda: ready.append(httpx.get(f"{server.base_url}/readyz", timeout=15.0)))
        waiting.start()
        health = Latencies("health check")
        with httpx.Client(base_url=server.base_url, timeout=1.0) as client:
            keep_calling(client, lambda c: c.get("/healthz").status_code == 200, time.monotonic() + 1.0, 0.1, health)
        assert joined([waiting], timeout_s=15)
    # libpq would wait for ever on a non-blocking connection: the worker's own bound answered instead.
    assert (ready[0].status_code, ready[0].json()["error"]) == (503, "database_unavailable")
    assert health.failures == []
    assert "pw-Silent7" not in server.output()
