"""Helpers shared by the helper API tests: a real gunicorn in a subprocess, and secret bookkeeping."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg2

from devstack.localpg import free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO / "helper_api" / "gunicorn.conf.py"
TOKEN = "test-token-0123456789abcdef"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
# Trust authentication ignores a password, so one can be added to catch it leaking into output.
DUMMY_DB_PASSWORD = "db-secret-Xq7vLm2"


def helper_backends(database_url: str) -> int:
    """The helper's open connections to its database (its application_name)."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hestia-helper' "
                "AND datname = current_database()"
            )
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def with_password(dsn: str) -> str:
    """The URI with a password: its own if it has one, else DUMMY_DB_PASSWORD when the server ignores it."""
    parts = urlsplit(dsn)
    if parts.password:
        return dsn
    userinfo = f"{parts.username or 'postgres'}:{DUMMY_DB_PASSWORD}"
    candidate = urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc.rpartition('@')[2]}"))
    try:
        psycopg2.connect(candidate, connect_timeout=5).close()
    except psycopg2.OperationalError:
        return dsn  # the server checks passwords: keep the URI as given
    return candidate


def password_of(dsn: str) -> str | None:
    return urlsplit(dsn).password


@dataclass
class GunicornServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def helper_env(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment without any HELPER_* name, plus test defaults and ``overrides``."""
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith("HELPER_")}
    env.update(
        {
            "HELPER_API_TOKENS": TOKEN,
            "HELPER_WORKERS": "2",
            "HELPER_BCRYPT_ROUNDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def gunicorn_command() -> list[str]:
    return [str(Path(sys.executable).parent / "gunicorn"), "-c", str(GUNICORN_CONF), "helper_api.wsgi:app"]


@contextlib.contextmanager
def start_gunicorn(workdir: Path, overrides: dict[str, str]) -> Iterator[GunicornServer]:
    """gunicorn serving the helper on a free port; stopped with SIGTERM (a graceful stop) at the end."""
    port = free_port()
    env = helper_env({"HELPER_BIND": f"127.0.0.1:{port}", **overrides})
    log_path = workdir / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(gunicorn_command(), cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = GunicornServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(server)


def wait_until_healthy(server: GunicornServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.output()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.base_url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz within {READY_TIMEOUT_S} s:\n{server.output()}")


def stop(server: GunicornServer) -> int:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=STOP_TIMEOUT_S)
    return server.process.returncode
