"""Run the sync job's command, show its log readably and finish with a per-flow summary table.

Usage: python3 docker/summarize_run.py COMMAND [ARG ...]

`make run-local` runs the job through `docker compose run` with this in front. The job writes one JSON
object per line when not on a terminal (the shared log contract); this prints each as a short line,
passes anything else through unchanged, then prints the counts of every `flow_finished` event and the
`run_finished` status. It exits with the job's own exit status, or 1 when a job that exited 0 never
logged `run_finished`; on Ctrl-C it dies of SIGINT like the command. Standard library only: it runs
on the host, outside the project's venv.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

COUNT_COLUMNS = ("inserted", "updated", "unchanged", "rejected", "deferred")
EXIT_MEANINGS = {
    0: "all written",
    1: "failed",
    2: "usage or configuration error",
    3: "completed with rejected or deferred rows",
    4: "skipped: another run holds the lock",
}


@dataclass
class RunLog:
    """What the summary needs from the log: each flow's last result and the run's end."""

    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    run: dict[str, Any] | None = None

    def record(self, event: dict[str, Any]) -> None:
        if event.get("event") == "flow_finished" and isinstance(event.get("flow"), str):
            self.flows[event["flow"]] = event
        elif event.get("event") == "run_finished":
            self.run = event


def parse_event(line: str) -> dict[str, Any] | None:
    """The log record on this line, or None when the line is not one of the job's JSON records."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "event" in value else None


def render_event(event: dict[str, Any]) -> str:
    """One short line: the clock time, the level and the message."""
    time = str(event.get("time", ""))
    clock = time[11:19] if len(time) >= 19 else time
    level = str(event.get("level", "")).upper()
    message = event.get("message") or event.get("event")
    return f"{clock} {level:<8} {message}".strip()


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def summary_lines(log: RunLog) -> list[str]:
    """The table printed after the run: one row per flow, then the run's status."""
    header = ["flow", *COUNT_COLUMNS, "seconds"]
    rows = [
        [name, *(_cell(event.get(column)) for column in COUNT_COLUMNS), _cell(event.get("duration_s"))]
        for name, event in log.flows.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["", "Sync summary"]
    for row in [header, *rows]:
        numbers = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        lines.append("  ".join([row[0].ljust(widths[0]), *numbers]))
    if log.run is None:
        lines.append("run: no run_finished record: the job stopped before its summary (see the lines above)")
        return lines
    code = log.run.get("exit_code")
    meaning = EXIT_MEANINGS.get(code, "unknown exit code") if isinstance(code, int) else "no exit code"
    status, seconds = log.run.get("status", "?"), _cell(log.run.get("duration_s"))
    lines.append(f"run: {status} (exit {code}: {meaning}) in {seconds} s")
    return lines


def relay(lines: Iterable[str], out: TextIO) -> RunLog:
    """Print every line (records shortened, anything else as it is) and collect the records."""
    log = RunLog()
    for line in lines:
        event = parse_event(line)
        if event is None:
            out.write(line if line.endswith("\n") else line + "\n")
        else:
            log.record(event)
            out.write(render_event(event) + "\n")
        out.flush()
    return log


def run(command: list[str], out: TextIO) -> int:
    """Run the command with its stderr merged into stdout, relay it, print the summary."""
    try:
        process = subprocess.Popen(  # noqa: S603 - the command is the caller's, as with `env` or `time`
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
    except OSError as exc:
        out.write(f"cannot start {command[0]!r}: {exc.strerror}\n")
        return 127
    try:
        log = relay(process.stdout or (), out)
        status = process.wait()
    except KeyboardInterrupt:
        process.wait()  # Ctrl-C reached the whole process group: let the command finish stopping.
        raise
    for line in summary_lines(log):
        out.write(line + "\n")
    if status == 0 and log.run is None:
        return 1
    return status


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: summarize_run.py COMMAND [ARG ...]", file=sys.stderr)
        return 2
    try:
        return run(argv, sys.stdout)
    except KeyboardInterrupt:
        # Die of SIGINT rather than exit 130: a shell loop around us (run-local-watch) then stops too.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
