"""The job as the scheduler starts it (a subprocess with the CLI tests' settings), and the server-side checks the
fault tests wait on: sessions gone, the run lock held or free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
from loguru import logger
from psycopg2 import sql

from job.engine import execute
from job.flows import FLOWS
from job.report import RunReport
from job.settings import JobSettings
from job.state import lock_key
from tests.job.cli import Result, cli_env, run_cli
from tests.job.conftest import Pair
from tests.support.helper_server import TOKEN
from tests.support.postgres import PgServer

RUN_TIMEOUT_S = 120.0
SESSIONS_GONE_TIMEOUT_S = 30.0
POLL_S = 0.05
# Small batches: many statements per step, so a kill or a cut can land between two batches of one step.
SETTINGS = {"JOB_BATCH_SIZE": "40", "JOB_HELPER_BATCH_SIZE": "40"}


def job_env(pair: Pair, helper_url: str, **extra: str) -> dict[str, str]:
    """The settings of one run: the CLI tests' (tests/job/cli.py) with small batches."""
    return cli_env(pair, helper_url, TOKEN, **{**SETTINGS, **extra})


@dataclass
class Job:
    """A job started in the background; what it prints goes to files, so a full pipe can never stall it."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def finish(self, timeout: float = RUN_TIMEOUT_S) -> Result:
        """Wait for it to end (however it ends) and collect what it printed."""
        self.process.wait(timeout=timeout)
        return Result(self.process.returncode, self.stdout.read_text(), self.stderr.read_text())


def _base_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(("JOB_", "URI_", "HELPER_"))}


def start_job(args: list[str], env: dict[str, str], cwd: Path, name: str) -> Job:
    """`python -m job ARGS` in the background, with the environment run_cli gives it; output in cwd/NAME.out|.err."""
    stdout, stderr = cwd / f"{name}.out", cwd / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "job", *args], env={**_base_env(), **env}, cwd=cwd, stdout=out, stderr=err
        )
    return Job(process, stdout, stderr)


# What `python -m job` runs (job/__main__.py), once the settings arrive on stdin as one JSON line.
WARM_MAIN = (
    "import json, os, sys\n"
    "from job.cli import main\n"
    "os.environ.update(json.loads(sys.stdin.readline()))\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


class WarmJob:
    """A job whose interpreter has started and imported the job before its settings are known: `go(env)` runs it.

    The job reads no setting at import time (STYLE.md), so this is `python -m job ARGS` with the start-up paid
    ahead of time: a harness starts the next one while the current trial runs."""

    def __init__(self, args: list[str], cwd: Path, name: str) -> None:
        self.stdout, self.stderr = cwd / f"{name}.out", cwd / f"{name}.err"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WARM_MAIN, *args],
                env=_base_env(),
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
            )

    def go(self, env: dict[str, str]) -> Job:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(env).encode() + b"\n")
        self.process.stdin.close()
        return Job(self.process, self.stdout, self.stderr)

    def discard(self) -> None:
        self.process.kill()
        self.process.wait(timeout=RUN_TIMEOUT_S)
        if self.process.stdin is not None:
            self.process.stdin.close()


def run_job(args: list[str], env: dict[str, str], cwd: Path) -> Result:
    return run_cli(args, env, cwd, timeout=RUN_TIMEOUT_S)


def run_in_process(pair: Pair, helper_url: str, **extra: str) -> RunReport:
    """One run of the real engine in this process, with job_env's settings: no interpreter start-up to pay for."""
    values: dict[str, Any] = {
        key: value for key, value in job_env(pair, helper_url, **extra).items() if key != "JOB_LOG_FORMAT"
    }
    logger.disable("job")  # its log lines would drown a soak's report; the report returned says what happened
    try:
        return execute(JobSettings(_env_file=None, **values), "run", FLOWS)
    finally:
        logger.enable("job")


def dbname(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)


class Probe:
    """One connection to the server's admin database for the checks a test polls (no new session per poll)."""

    def __init__(self, server: PgServer) -> None:
        self.conn = psycopg2.connect(server.admin_dsn)
        self.conn.autocommit = True

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.conn.close()

    def scalar(self, query: sql.Composable | str, params: tuple[object, ...] = ()) -> Any:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            row = cur.fetchone() if cur.description else None
            return row[0] if row else None

    def sessions(self, pair: Pair) -> int:
        """Sessions of the job on either database of the pair (the server may still be ending a killed job's)."""
        return int(
            self.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s) AND application_name = 'hestia-sync'",
                ([dbname(pair.db1), dbname(pair.db2)],),
            )
        )

    def lock_holder(self, dsn: str, schema: str = "hestia_sync") -> int | None:
        """The server pid holding the run's advisory lock on the database of `dsn`, or None when it is free."""
        pid = self.scalar(
            "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s AND l.objsubid = 1 "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
            (dbname(dsn), lock_key(schema)),
        )
        return int(pid) if pid is not None else None


def wait_sessions_gone(server: PgServer, pair: Pair, timeout: float = SESSIONS_GONE_TIMEOUT_S) -> None:
    with Probe(server) as probe:
        assert wait_until(lambda: probe.sessions(pair) == 0, timeout), (
            f"the job's sessions on {pair} still exist {timeout} s after it ended"
        )


def drop_pair(server: PgServer, pair: Pair) -> None:
    """Drop both databases, ending any session still on them."""
    with Probe(server) as probe:
        for dsn in (pair.db1, pair.db2):
            probe.scalar(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname(dsn))))
