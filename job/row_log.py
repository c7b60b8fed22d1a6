"""A step's rejected, deferred and conflicting rows in the log: row keys and reasons, never personal data.

The log goes to CloudWatch, where the `rows-rejected` alarm sends the operator; the state keeps every row
(`status`, `rejections`), the log the first few of each step, once per run."""

from __future__ import annotations

import re
from typing import Any

from loguru import logger

from job.events import Event
from job.report import StepResult, conflict_row, rejection_row

LOGGED_PER_STEP = 20
# Reasons name columns, tables and ids; should one ever quote a value that holds an address, it is masked.
EMAIL_LIKE = re.compile(r"[^\s@'\"<>(),;]+@[^\s@'\"<>(),;]+")


def mask(reason: str) -> str:
    return EMAIL_LIKE.sub("<email>", reason)


def log_rows(flow: str, result: StepResult) -> None:
    """One `step_rejections` and one `step_conflicts` line for the step, when it had any."""
    refused = result.rejected + result.deferred
    if refused:
        shown = [rejection_row(p) | {"reason": mask(p.reason)} for p in result.sample[:LOGGED_PER_STEP]]
        what = f"{result.rejected} rejected, {result.deferred} deferred"
        _log(Event.STEP_REJECTIONS, flow, result.step, "rejections", shown, refused, what)
    if result.conflicts:
        conflicts = [conflict_row(c) for c in result.conflict_sample[:LOGGED_PER_STEP]]
        what = f"{result.conflicts} rows changed on both sides"
        _log(Event.STEP_CONFLICTS, flow, result.step, "conflicts", conflicts, result.conflicts, what)


def _log(event: Event, flow: str, step: str, name: str, shown: list[dict[str, Any]], total: int, what: str) -> None:
    more = total - len(shown)
    first = "; ".join(f"{row['row_key']}: {row.get('reason') or row.get('resolution')}" for row in shown[:3])
    where = f"rejections --step {step}" if event == Event.STEP_REJECTIONS else "status"
    tail = f" (and {total - 3} more: see `python -m job {where}`)" if total > 3 else ""
    logger.bind(event=event, flow=flow, step=step, **{name: shown}, more=more).warning(f"{step}: {what}; {first}{tail}")
