"""The real helper API under gunicorn on a free 127.0.0.1 port, its rate limit raised out of the way.

No credentials are imported: every lookup answers "unknown", and the job writes its unusable-password
marker, which costs the same requests and the same rows as a known email.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.localpg import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "helper_api" / "gunicorn.conf.py"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
# HELPER_RATE_LIMIT_PER_MINUTE's maximum (the default is 1,200 per token per worker).
RATE_LIMIT_PER_MINUTE = 1_000_000
WORKERS = 2


@dataclass(frozen=True)
class Helper:
    url: str
    token: str
    rate_limit_per_minute: int
    workers: int


def _env(database_url: str, port: int, token: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith("HELPER_")}
    env.update(
        {
            "HELPER_DATABASE_URL": database_url,
            "HELPER_API_TOKENS": token,
            "HELPER_BIND": f"127.0.0.1:{port}",
            "HELPER_WORKERS": str(WORKERS),
            "HELPER_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
            "HELPER_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextlib.contextmanager
def start_helper(database_url: str, workdir: Path) -> Iterator[Helper]:
    """gunicorn serving helper_api (it migrates its schema at start); stopped with SIGTERM at the end."""
    port, token = free_port(), secrets.token_urlsafe(24)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    log_path = workdir / "helper.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [gunicorn, "-c", str(GUNICORN_CONF), "helper_api.wsgi:app"],
            cwd=workdir,
            env=_env(database_url, port, token),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log_path)
        yield Helper(url, token, RATE_LIMIT_PER_MINUTE, WORKERS)
    finally:
        _stop(process)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the helper exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == httpx.codes.OK:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the helper did not answer /healthz within {READY_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
