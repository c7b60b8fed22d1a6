"""`check`: can a run work with these settings?"""

from __future__ import annotations

from job.checks import run_checks
from job.commands.base import Command, Invocation
from job.errors import ExitCode


def _check(invocation: Invocation) -> int:
    lines = run_checks(invocation.settings, invocation.flows)
    for line in lines:
        print(f"{'ok  ' if line.ok else 'FAIL'}  {line.text}")
    failed = sum(not line.ok for line in lines)
    print(f"\n{len(lines) - failed} ok, {failed} failed")
    return int(ExitCode.FAILED if failed else ExitCode.OK)


CHECK = Command(
    name="check",
    summary="databases reachable, mapped tables and columns present, helper reachable",
    examples=("check", "check --flow students"),
    run=_check,
)
