"""`check`: can a run work with these settings?"""

from __future__ import annotations

from job.checks import run_checks
from job.commands.base import Command, Invocation
from job.errors import ExitCode


def _check(invocation: Invocation) -> int:
    report = run_checks(invocation.settings, invocation.flows)
    for line in report.lines:
        print(f"{'ok  ' if line.ok else 'FAIL'}  {line.text}")
    failed = sum(not line.ok for line in report.lines)
    print(f"\n{len(report.lines) - failed} ok, {failed} failed")
    if report.grants:
        print(
            "\nThese statements grant what is missing: run them on each database as the owner of the tables "
            "(and of the database and schema they name), or as a superuser."
        )
        for side, statements in report.grants.items():
            print(f"-- on {side.upper()} ({report.where[side]})", *statements, sep="\n")
    return int(ExitCode.FAILED if failed else ExitCode.OK)


CHECK = Command(
    name="check",
    summary="databases reachable, mapped tables and columns present, privileges held, helper reachable",
    examples=("check", "check --flow students"),
    run=_check,
)
