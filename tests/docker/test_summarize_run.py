"""docker/summarize_run.py: what `make run-local` prints after a sync, run on real child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.docker.support import DOCKER_DIR

SCRIPT = DOCKER_DIR / "summarize_run.py"


def record(event: str, message: str, **fields: object) -> str:
    return json.dumps(
        {"time": "2026-11-28T14:03:07.512+00:00", "level": "INFO", "message": message, "event": event, **fields}
    )


def flow(name: str, **counts: object) -> str:
    fields = {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0, "deferred": 0, "duration_s": 0.1}
    return record("flow_finished", f"{name} done", flow=name, **{**fields, **counts})


def finished(status: str, exit_code: int) -> str:
    return record("run_finished", "run finished", status=status, exit_code=exit_code, duration_s=1.25)


def fake_job(lines: list[str], exit_code: int) -> list[str]:
    """A child that writes these lines (the odd ones to stderr, as compose does) and exits."""
    program = textwrap.dedent(
        f"""
        import sys
        for i, line in enumerate({lines!r}):
            print(line, file=sys.stderr if i % 2 else sys.stdout, flush=True)
        sys.exit({exit_code})
        """
    )
    return [sys.executable, "-c", program]


def summarize(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *command], capture_output=True, text=True, timeout=30, check=False
    )


def test_prints_each_flow_and_the_run_status_and_exits_with_the_jobs_status() -> None:
    lines = [
        record("run_started", "run started"),
        flow("plans", inserted=2, updated=1, unchanged=1, duration_s=0.125),
        flow("students", inserted=3, rejected=1),
        finished("partial", 3),
    ]
    result = summarize(fake_job(lines, 3))
    assert result.returncode == 3
    out = result.stdout.splitlines()
    assert "14:03:07 INFO     run started" in out
    table = out[out.index("Sync summary") + 1 :]
    assert table[0].split() == ["flow", "inserted", "updated", "unchanged", "rejected", "deferred", "seconds"]
    assert table[1].split() == ["plans", "2", "1", "1", "0", "0", "0.12"]
    assert table[2].split() == ["students", "3", "0", "0", "1", "0", "0.10"]
    assert table[3] == "run: partial (exit 3: completed with rejected or deferred rows) in 1.25 s"


def test_lines_that_are_not_job_records_pass_through_unchanged() -> None:
    lines = ["Container hestia-local-db1-1  Running", '{"not": "a record"}', finished("ok", 0)]
    result = summarize(fake_job(lines, 0))
    assert result.returncode == 0
    assert "Container hestia-local-db1-1  Running" in result.stdout.splitlines()
    assert '{"not": "a record"}' in result.stdout.splitlines()
    assert "run: ok (exit 0: all written) in 1.25 s" in result.stdout


def test_a_job_that_fails_before_its_summary_keeps_its_exit_status() -> None:
    result = summarize(fake_job([record("config_error", "URI_BANCO_1 is missing")], 2))
    assert result.returncode == 2
    assert "run: no run_finished record" in result.stdout


def test_a_job_that_exits_0_without_a_summary_is_a_failure() -> None:
    result = summarize(fake_job([flow("plans")], 0))
    assert result.returncode == 1
    assert "run: no run_finished record" in result.stdout


def test_a_command_that_does_not_exist_is_reported_in_one_line() -> None:
    result = summarize(["hestia-no-such-command"])
    assert result.returncode == 127
    assert result.stdout.strip().startswith("cannot start 'hestia-no-such-command'")


def test_without_a_command_it_prints_its_usage() -> None:
    result = summarize([])
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_ctrl_c_stops_it_by_sigint_so_a_watching_shell_loop_stops_too() -> None:
    child = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"]
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), *child],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches the whole group
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        started = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=20) == -signal.SIGINT
        assert time.monotonic() - started < 20
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize(("code", "meaning"), [(4, "skipped: another run holds the lock"), (1, "failed")])
def test_the_status_line_explains_the_exit_code(code: int, meaning: str) -> None:
    result = summarize(fake_job([finished("skipped" if code == 4 else "failed", code)], code))
    assert result.returncode == code
    assert f"(exit {code}: {meaning})" in result.stdout
