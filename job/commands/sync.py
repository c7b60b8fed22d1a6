"""`run` and `plan`: one sync pass, written or rolled back."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from job.commands.base import Command, Invocation, json_option
from job.commands.common import positive, to_json
from job.commands.named import key_options, named_keys
from job.engine import SyncCommand, execute
from job.errors import ConfigurationError
from job.progress import Progress
from job.render import render_report
from job.report import RunReport


def _full_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--full",
        action="store_true",
        help="compare every row, not only those changed since the last run (a full reconciliation)",
    )


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    _full_option(parser)
    json_option(parser)
    diff_options(parser)
    key_options(parser, "look at")


def diff_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--diff", action="store_true", help="show each row that would be written, column by column (before → after)"
    )
    parser.add_argument(
        "--diff-limit", type=positive, default=100, metavar="N", help="rows shown per step with --diff (default 100)"
    )


def sync_pass(invocation: Invocation, command: SyncCommand, **options: Any) -> RunReport:
    """The engine's pass for a command, its progress shown as a live line on a terminal that shows text
    logs, as `step_progress` log lines otherwise."""
    live = sys.stderr if invocation.tables and sys.stderr.isatty() else None
    progress = Progress(invocation.settings.progress_interval_s, live)
    return execute(invocation.settings, command, invocation.flows, stop=invocation.stop, progress=progress, **options)


def _run(invocation: Invocation) -> int:
    report = sync_pass(invocation, "run", full=invocation.args.full)
    if invocation.tables:
        print(render_report(report))
    return int(report.exit_code)


def _plan(invocation: Invocation) -> int:
    args = invocation.args
    named = named_keys(invocation.flows, args.keys, args.steps)
    if named is not None and args.full:
        raise ConfigurationError(["--full and --key: choose one (--key looks at the named rows only)"])
    report = sync_pass(invocation, "plan", full=args.full, named=named, diff_limit=args.diff_limit if args.diff else 0)
    print(to_json(report.details()) if args.json else render_report(report))
    return int(report.exit_code)


RUN = Command(
    name="run",
    summary=(
        "one sync pass (exit 0 all written, 3 rows rejected or deferred, 4 lock held, 5 interrupted, 1 failed, 2 usage)"
    ),
    examples=("run", "run --flow students --full"),
    run=_run,
    arguments=_full_option,
)
PLAN = Command(
    name="plan",
    summary="what a run would insert, update and reject per flow; writes nothing",
    examples=(
        "plan",
        "plan --flow payments --json",
        "plan --diff --flow students",
        "plan --diff --key 3f1c2a9e-0b6d-4d47-9a51-6c2f0e1b7d42 --step students.create",
    ),
    run=_plan,
    arguments=_plan_arguments,
)
