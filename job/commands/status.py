"""`status`: the latest runs and their errors, the open rejections with their total, the latest conflicts."""

from __future__ import annotations

import argparse

from job.commands.base import Command, Invocation, json_option
from job.commands.common import no_state_note, open_totals, positive, state_views, to_json
from job.errors import ExitCode
from job.render import render_status, run_errors


def _arguments(parser: argparse.ArgumentParser) -> None:
    json_option(parser)
    parser.add_argument(
        "--limit", type=positive, default=10, help="how many runs, rejections and conflicts to show (default 10)"
    )


def _status(invocation: Invocation) -> int:
    args, settings = invocation.args, invocation.settings
    flows = [flow.name for flow in invocation.flows]
    steps = [step.name for flow in invocation.flows for step in flow.steps]
    with state_views(settings) as views:
        if views is None:
            note = no_state_note(settings)
            empty = {"runs": [], "open_rejections": [], "open_totals": open_totals({"rejected": 0, "deferred": 0})}
            print(to_json({**empty, "conflicts": [], "note": note}) if args.json else note)
            return int(ExitCode.OK)
        runs = views.recent_runs(args.limit)
        problems = views.open_problem_list(args.limit, flows)
        totals = views.open_problem_counts(flows)
        conflicts = views.latest_conflicts(args.limit, steps)
    if args.json:
        for run in runs:
            run["errors"] = run_errors(run)
        totals_json = open_totals(totals)
        print(to_json({"runs": runs, "open_rejections": problems, "open_totals": totals_json, "conflicts": conflicts}))
    else:
        print(render_status(runs, problems, totals, conflicts))
    return int(ExitCode.OK)


STATUS = Command(
    name="status",
    summary="recent runs and their errors, open rejections (with their total) and the latest status conflicts",
    examples=("status", "status --flow payments --limit 50 --json"),
    run=_status,
    arguments=_arguments,
)
