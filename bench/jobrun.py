"""One `python -m job run` as a subprocess, exactly as the scheduler starts it, with its cost measured.

Peak RSS comes from the job's own `peak_rss_mib` (its VmHWM) in `run_finished`, else from os.wait4 on
the child (which also counts the memory the child inherited from the benchmark at fork). The counts come
from the JSON `run_finished` event on stderr; the per-flow `statements` and `helper_requests` from its
`flows` list, or, when the engine does not put that list there, from the `flow_finished` events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COUNT_NAMES = ("inserted", "updated", "rejected", "deferred", "conflicts")
OK_EXIT_CODES = (0, 3)
USAGE_EXIT_CODE = 2


@dataclass(frozen=True)
class JobTarget:
    """Where a run goes: the two databases and the helper."""

    db1: str
    db2: str
    helper_url: str
    helper_token: str

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "URI_", "HELPER_"))}
        return {
            **base,
            "URI_BANCO_1": self.db1,
            "URI_BANCO_2": self.db2,
            "HELPER_API_URL": self.helper_url,
            "HELPER_API_TOKEN": self.helper_token,
            "JOB_LOG_FORMAT": "json",
        }


@dataclass
class JobRun:
    """What one run cost and did."""

    argv: list[str]
    exit_code: int
    seconds: float
    peak_rss_kib: int
    stderr: str
    counts: dict[str, int] = field(default_factory=dict)
    statements: int | None = None
    helper_requests: int | None = None

    @property
    def rows_written(self) -> int:
        return self.counts.get("inserted", 0) + self.counts.get("updated", 0)

    @property
    def ok(self) -> bool:
        return self.exit_code in OK_EXIT_CODES

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])


def _events(stderr: str) -> list[dict[str, Any]]:
    events = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def _parse(run: JobRun) -> None:
    events = _events(run.stderr)
    finished = next((e for e in reversed(events) if e.get("event") == "run_finished"), None)
    if finished is None:
        return
    run.counts = {name: int(finished.get(name) or 0) for name in COUNT_NAMES}
    if isinstance(finished.get("peak_rss_mib"), int | float):
        # wait4's ru_maxrss counts the benchmark's own memory copied at fork; the job's VmHWM does not.
        run.peak_rss_kib = int(finished["peak_rss_mib"] * 1024)
    flows = finished.get("flows")
    if not isinstance(flows, list):
        flows = [e for e in events if e.get("event") == "flow_finished"]
    if flows:
        run.statements = sum(int(f.get("statements") or 0) for f in flows)
        run.helper_requests = sum(int(f.get("helper_requests") or 0) for f in flows)


def run_job(target: JobTarget, args: list[str], workdir: Path, timeout_s: float) -> JobRun:
    """Run `python -m job run ARGS` in workdir (no .env there) and wait for it, killing it after timeout_s."""
    argv = [sys.executable, "-m", "job", "run", *args]
    stderr_path, stdout_path = workdir / "job.stderr", workdir / "job.stdout"
    with stderr_path.open("wb") as err, stdout_path.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=workdir, env=target.env(), stdout=out, stderr=err)
        watchdog = threading.Timer(timeout_s, process.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    run = JobRun(argv[1:], process.returncode, seconds, usage.ru_maxrss, stderr_path.read_text(errors="replace"))
    _parse(run)
    return run


def unknown_full_flag(run: JobRun) -> bool:
    """True when the engine refused `--full` as an unknown argument (a usage error naming it)."""
    return run.exit_code == USAGE_EXIT_CODE and ("unrecognized arguments" in run.stderr or "--full" in run.stderr)
