"""SIGTERM and SIGINT stop a run cleanly; a run that died is marked abandoned; keepalives reach the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from job.engine import connect_side
from job.state import lock_key
from tests.job.builders import db2_student, insert
from tests.job.cli import cli_env, run_cli
from tests.support.helper_server import TOKEN, Failure

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 30.0  # ECS's default stop timeout: SIGKILL follows SIGTERM after this


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("JOB_", "URI_", "HELPER_"))}
    full_env.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "job", *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Any, what: str, timeout_s: float = BOUND_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def _table_locked(dsn: str, table: str) -> Iterator[None]:
    """Another session holds an exclusive lock on the table: the job's first statement on it waits on the server."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        conn.rollback()
        conn.close()


def _job_waits_on_a_lock(dsn: str) -> bool:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hestia-sync' "
                "AND wait_event_type = 'Lock'"
            )
            row = cur.fetchone()
        return bool(row and row[0])
    finally:
        conn.close()


def _events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _runs(pair: Any) -> list[tuple[Any, ...]]:
    return pair.rows("db2", "SELECT id, status, exit_code, error FROM hestia_sync.runs ORDER BY id")


def _students(n: int) -> list[dict[str, Any]]:
    return [db2_student(i) for i in range(1, n + 1)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_cancels_the_query_in_flight_rolls_back_and_records_the_run_as_interrupted(
    pair, helper, signum
) -> None:
    insert(pair, "db2", "universitario", _students(3))
    env = cli_env(pair, helper.url, TOKEN)
    with _table_locked(pair.db1, "universitario"):
        job = _start(env, "run")
        _wait_for(lambda: _job_waits_on_a_lock(pair.db1), "the job to wait on DB1's lock")
        job.send_signal(signum)
        # Still holding the lock: the job can only end now because it cancelled its own query.
        _, stderr = job.communicate(timeout=BOUND_S)
        assert job.returncode == 5, stderr
        assert _job_waits_on_a_lock(pair.db1) is False
    assert "Traceback" not in stderr
    events = {event["event"]: event for event in _events(stderr)}
    assert events["stop_requested"]["signal"] == signum.name
    assert events["run_finished"]["status"] == "interrupted"
    assert events["run_finished"]["exit_code"] == 5
    [(_, status, exit_code, error)] = _runs(pair)
    assert (status, exit_code) == ("interrupted", 5)
    assert signum.name in error
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(0,)]

    again = run_cli(["run"], env, ROOT)
    assert again.code == 0, again.stderr
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(3,)]


def test_a_signal_during_helper_retries_stops_the_run_without_waiting_for_them(pair, helper) -> None:
    insert(pair, "db2", "universitario", _students(3))
    helper.state.fail_always = Failure(status=503)
    env = cli_env(pair, helper.url, TOKEN, JOB_HELPER_RETRIES="10", JOB_HELPER_BACKOFF_S="20")
    job = _start(env, "run")
    _wait_for(lambda: helper.state.requests >= 1, "the job to ask the helper")
    job.send_signal(signal.SIGTERM)
    _, stderr = job.communicate(timeout=BOUND_S)
    assert job.returncode == 5, stderr
    assert helper.state.requests == 1
    assert [row[1] for row in _runs(pair)] == ["interrupted"]
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(0,)]


def test_a_run_killed_without_a_word_is_shown_and_then_recorded_as_abandoned(pair, helper) -> None:
    insert(pair, "db2", "universitario", _students(2))
    env = cli_env(pair, helper.url, TOKEN)
    with _table_locked(pair.db1, "universitario"):
        job = _start(env, "run")
        _wait_for(lambda: _job_waits_on_a_lock(pair.db1), "the job to wait on DB1's lock")
        job.kill()
        job.communicate(timeout=BOUND_S)
    probe = psycopg2.connect(pair.db2)
    probe.autocommit = True
    try:
        with probe.cursor() as cur:

            def lock_free() -> bool:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("hestia_sync"),))
                got = bool(cur.fetchone()[0])
                if got:
                    cur.execute("SELECT pg_advisory_unlock(%s)", (lock_key("hestia_sync"),))
                return got

            _wait_for(lock_free, "the killed run's lock to free")
    finally:
        probe.close()
    assert [row[1] for row in _runs(pair)] == ["running"]

    shown = run_cli(["status", "--json"], env, ROOT)
    assert shown.code == 0, shown.stderr
    [shown_run] = json.loads(shown.stdout)["runs"]
    assert shown_run["status"] == "abandoned"

    again = run_cli(["run"], env, ROOT)
    assert again.code == 0, again.stderr
    assert [event["run_id"] for event in again.events("run_abandoned")] == [shown_run["id"]]
    assert [row[1] for row in _runs(pair)] == ["abandoned", "ok"]
    assert pair.rows("db1", "SELECT count(*) FROM universitario") == [(2,)]


def test_a_running_run_is_not_shown_abandoned_while_it_holds_the_lock(pair, helper) -> None:
    insert(pair, "db2", "universitario", _students(1))
    env = cli_env(pair, helper.url, TOKEN)
    with _table_locked(pair.db1, "universitario"):
        job = _start(env, "run")
        try:
            _wait_for(lambda: _job_waits_on_a_lock(pair.db1), "the job to wait on DB1's lock")
            shown = run_cli(["status", "--json"], env, ROOT)
            assert [run["status"] for run in json.loads(shown.stdout)["runs"]] == ["running"]
        finally:
            job.send_signal(signal.SIGTERM)
            job.communicate(timeout=BOUND_S)


STOP_SCRIPT = """
import sys, time
from job.interrupts import stop_on_signals
with stop_on_signals() as stop:
    print("ready", flush=True)
    for _ in range(600):
        if stop.requested:
            print("stop requested by", stop.signal_name, flush=True)
            sys.stdin.readline()
        time.sleep(0.05)
"""


def test_a_second_signal_stops_the_process_at_once() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", STOP_SCRIPT],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        assert child.stdout.readline().strip() == "stop requested by SIGTERM"
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=BOUND_S) == 128 + signal.SIGTERM
    finally:
        child.kill()
        child.wait()


def test_the_job_s_sessions_carry_the_configured_keepalives(pair, make_settings) -> None:
    settings = make_settings(
        pair, JOB_TCP_KEEPALIVE_IDLE_S=7, JOB_TCP_KEEPALIVE_INTERVAL_S=3, JOB_TCP_KEEPALIVE_COUNT=4
    )
    db = connect_side(settings, "db1", "DB1")
    try:
        with db.cursor() as cur:
            cur.execute(
                "SELECT current_setting('tcp_keepalives_idle'), current_setting('tcp_keepalives_interval'), "
                "current_setting('tcp_keepalives_count'), current_setting('tcp_user_timeout')"
            )
            assert cur.fetchone() == ("7", "3", "4", "19000")
        assert db.conn.get_dsn_parameters()["keepalives_idle"] == "7"
    finally:
        db.conn.close()
