"""`run` and `plan`: one sync pass, written or rolled back."""

from __future__ import annotations

import argparse
import json

from job.commands.base import Command, Invocation, json_option
from job.engine import execute
from job.render import render_report


def _full_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--full",
        action="store_true",
        help="compare every row, not only those changed since the last run (a full reconciliation)",
    )


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    _full_option(parser)
    json_option(parser)


def _run(invocation: Invocation) -> int:
    report = execute(invocation.settings, "run", invocation.flows, full=invocation.args.full, stop=invocation.stop)
    if invocation.tables:
        print(render_report(report))
    return int(report.exit_code)


def _plan(invocation: Invocation) -> int:
    args = invocation.args
    report = execute(invocation.settings, "plan", invocation.flows, full=args.full, stop=invocation.stop)
    print(json.dumps(report.summary(), indent=2, default=str) if args.json else render_report(report))
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
    examples=("plan", "plan --flow payments --json"),
    run=_plan,
    arguments=_plan_arguments,
)
