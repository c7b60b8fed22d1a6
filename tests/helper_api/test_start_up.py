"""How the helper starts: its ready line (make helper, gunicorn, the container); the old way serves nothing."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from devstack.localpg import free_port
from tests.helper_api.support import GUNICORN_CONF, READY_TIMEOUT_S, REPO, TOKEN, GunicornServer, helper_env

READY = "helper API ready on "


def ready_messages(lines: list[str]) -> list[str]:
    """The ready lines among gunicorn's JSON log lines, by their message."""
    messages = [json.loads(line).get("message", "") for line in lines if line.startswith("{")]
    return [message for message in messages if message.startswith(READY)]


def test_gunicorn_says_where_it_listens_and_which_token_variables_the_job_needs(gunicorn: GunicornServer) -> None:
    output = gunicorn.output()
    [message] = ready_messages(output.splitlines())
    assert message.startswith(f"{READY}{gunicorn.base_url}:")
    assert f"HELPER_API_URL={gunicorn.base_url} " in message
    assert "HELPER_API_TOKEN," in message
    assert "HELPER_API_TOKENS" in message
    assert TOKEN not in output


def test_listening_on_every_interface_it_asks_for_this_hosts_address() -> None:
    program = (
        f"import runpy; c = runpy.run_path({str(GUNICORN_CONF)!r}); print(c['ready_message']('http://0.0.0.0:5000'))"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "HELPER_API_URL=http://<this host's name or address>:5000 " in result.stdout


def make_helper_lines(env: dict[str, str], wanted: str) -> tuple[list[str], int]:
    """Start `make helper`, read its output until a line holds `wanted` (or it ends), stop it; its lines and status."""
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(REPO), "-o", "install", "helper"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=lambda: [*map(lines.put, process.stdout or ()), lines.put(None)], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            seen.append(line.rstrip("\n"))
            if wanted in line:
                break
    finally:
        stop_make(process)
    return seen, process.returncode


def stop_make(process: subprocess.Popen[str]) -> None:
    """make, its shell, gunicorn and its workers share one process group: all of it goes at once. (Only the ready
    line is under test: a graceful stop can take gunicorn's whole graceful timeout.)"""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def test_make_helper_says_when_the_helper_is_ready(database_url: str) -> None:
    port = free_port()
    env = helper_env({"HELPER_DATABASE_URL": database_url})
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # an outer make's flags and jobserver
        env.pop(name, None)
    env["LOCAL_HELPER_BIND"] = f"127.0.0.1:{port}"

    lines, _status = make_helper_lines(env, READY)

    [message] = ready_messages(lines)
    assert message.startswith(f"{READY}http://127.0.0.1:{port}:"), lines
    assert "HELPER_API_TOKEN," in message
    assert "HELPER_API_TOKENS" in message
    assert all(TOKEN not in line for line in lines)


def test_starting_app_py_as_the_old_app_py_was_says_how_to_start_the_helper_and_exits_2() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HELPER_")}
    # -S: without site-packages too, as with a Python that lacks the project's dependencies.
    for flags in ([], ["-S"]):
        result = subprocess.run(
            [sys.executable, *flags, "helper_api/app.py"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert "make helper" in result.stderr
        assert ".venv/bin/gunicorn -c helper_api/gunicorn.conf.py helper_api.wsgi:app" in result.stderr
        assert "HELPER_API_TOKEN" in result.stderr
