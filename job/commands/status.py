"""`status`: the latest runs and the open rejections, from the state schema."""

from __future__ import annotations

import argparse
import json

from job.commands.base import Command, Invocation, json_option
from job.engine import connect_side
from job.errors import ExitCode
from job.render import render_status
from job.state import StateStore


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _arguments(parser: argparse.ArgumentParser) -> None:
    json_option(parser)
    parser.add_argument("--limit", type=positive, default=10, help="how many runs and rejections to show")


def _status(invocation: Invocation) -> int:
    args, settings = invocation.args, invocation.settings
    db = connect_side(settings, settings.state_db, "state store")
    try:
        store = StateStore(db, settings.state_schema)
        if not store.exists():
            note = f"no runs yet: the state schema {settings.state_schema} does not exist (the first run creates it)"
            print(json.dumps({"runs": [], "open_rejections": [], "note": note}, indent=2) if args.json else note)
            return int(ExitCode.OK)
        runs = store.recent_runs(args.limit)
        problems = store.open_problems(args.limit, [flow.name for flow in invocation.flows])
    finally:
        db.conn.close()
    if args.json:
        print(json.dumps({"runs": runs, "open_rejections": problems}, indent=2, default=str))
    else:
        print(render_status(runs, problems))
    return int(ExitCode.OK)


STATUS = Command(
    name="status",
    summary="recent runs and open rejections",
    examples=("status", "status --flow payments --limit 50 --json"),
    run=_status,
    arguments=_arguments,
)
