"""`runs`: the runs of a recent window (the last day by default), with their counts, status and errors."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from typing import Any, NamedTuple

from job.commands.base import Command, Invocation, json_option
from job.commands.common import no_state_note, positive, state_views, to_json
from job.errors import ExitCode
from job.events import RUN_COUNTS
from job.render import duration_s, render_runs, run_errors

STATUSES = ("ok", "partial", "failed", "skipped", "interrupted", "abandoned", "running")
"""What a run's status can be (`abandoned`: still recorded as running, with nobody holding the lock)."""
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"\s*(\d+)\s*([mhdw])\s*")


LONGEST = timedelta(days=100 * 365)
LIMIT = 500
"""Runs listed when --limit is not given: three days of the 10-minute schedule."""


class Window(NamedTuple):
    """How far back to look, as given (`6h`) and as a timedelta."""

    text: str
    delta: timedelta


def window(text: str) -> Window:
    """'30m', '6h', '2d', '1w' as a Window."""
    match = _DURATION.fullmatch(text)
    if not match or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"expected a duration above zero such as 30m, 6h, 2d or 1w, got {text!r}")
    try:
        delta = timedelta(**{UNITS[match[2]]: int(match[1])})
    except OverflowError:
        delta = timedelta.max
    if delta > LONGEST:
        raise argparse.ArgumentTypeError(f"at most {LONGEST.days // 365} years back, got {text!r}")
    return Window(f"{match[1]}{match[2]}", delta)


def _arguments(parser: argparse.ArgumentParser) -> None:
    json_option(parser)
    parser.add_argument(
        "--since",
        type=window,
        default="24h",
        metavar="DURATION",
        help="the runs started in the last DURATION: 30m, 6h, 2d or 1w (default 24h)",
    )
    parser.add_argument(
        "--limit", type=positive, default=LIMIT, help=f"at most this many runs, the newest (default {LIMIT})"
    )
    parser.add_argument(
        "--status",
        action="append",
        choices=STATUSES,
        default=[],
        help="only the runs with this status (repeat for several)",
    )


def _runs(invocation: Invocation) -> int:
    args = invocation.args
    since = args.since.text
    flows = [flow.name for flow in invocation.flows] if args.flow else []
    with state_views(invocation.settings) as views:
        if views is None:
            note = no_state_note(invocation.settings)
            print(to_json({"since": since, "runs": [], "note": note}) if args.json else note)
            return int(ExitCode.OK)
        runs = views.runs_since(args.since.delta, args.limit, args.status, flows)
    if args.json:
        print(to_json({"since": since, "statuses": args.status or list(STATUSES), "runs": [_as_json(r) for r in runs]}))
    else:
        print(render_runs(runs, since, args.limit))
    return int(ExitCode.OK)


def _as_json(run: dict[str, Any]) -> dict[str, Any]:
    """A run with its duration and counts at the top and every error it recorded."""
    summary = run["summary"] or {}
    return {
        **{key: run[key] for key in ("id", "command", "flows", "started_at", "finished_at")},
        "duration_s": duration_s(run),
        "status": run["status"],
        "exit_code": run["exit_code"],
        **{name: summary.get(name) for name in RUN_COUNTS},
        "error": run["error"],
        "errors": run_errors(run),
    }


RUNS = Command(
    name="runs",
    summary="the runs of the last day (or --since), with counts, duration, status, exit code and errors",
    examples=("runs", "runs --since 6h --status failed --status interrupted", "runs --since 2d --flow payments --json"),
    run=_runs,
    arguments=_arguments,
)
