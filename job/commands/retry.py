"""`retry`: sync some rows now, whatever changed: the open rejections and deferrals, or rows named by key."""

from __future__ import annotations

import argparse

from job.commands.base import Command, Invocation, json_option
from job.commands.common import chosen_steps, state_views, to_json
from job.commands.named import key_options, named_keys
from job.commands.sync import diff_options, sync_pass
from job.errors import ExitCode
from job.render import render_report


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "key_args", nargs="*", metavar="KEY", help="the rows to retry (default: every open rejection and deferral)"
    )
    key_options(parser, "retry")
    json_option(parser)
    diff_options(parser)


def _open_keys(invocation: Invocation, steps: list[str]) -> dict[str, tuple[str, ...]]:
    """The chosen steps' open rejections and deferrals, by step (steps with none are left out)."""
    with state_views(invocation.settings) as views:
        found = {step: tuple(views.store.open_problem_keys(step)) for step in steps} if views else {}
    return {step: keys for step, keys in found.items() if keys}


def _retry(invocation: Invocation) -> int:
    args = invocation.args
    keys = [*args.key_args, *args.keys]
    named = (
        named_keys(invocation.flows, keys, args.steps)
        if keys
        else _open_keys(invocation, chosen_steps(invocation.flows, args.steps))
    )
    if not named:
        print("nothing to retry: no open rejection or deferral in the chosen flows")
        return int(ExitCode.OK)
    report = sync_pass(invocation, "retry", named=named, diff_limit=args.diff_limit if args.diff else 0)
    if args.json:
        print(to_json(report.details()))
    elif invocation.tables or args.diff:
        print(render_report(report))
    return int(report.exit_code)


RETRY = Command(
    name="retry",
    summary=(
        "sync rows now whatever changed: every open rejection and deferral of the chosen flows, or the rows "
        "named by key; writes like run (same exit statuses)"
    ),
    examples=(
        "retry --flow students",
        "retry 3f1c2a9e-0b6d-4d47-9a51-6c2f0e1b7d42 --step students.create",
        "retry --flow payments --json",
    ),
    run=_retry,
    arguments=_arguments,
)
