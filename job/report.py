"""What a run did: per-step and per-flow counts, problems, and the exit status they add up to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from job.diffs import RowChange
from job.errors import ExitCode
from job.events import COSTS, ROW_COUNTS, RUN_COUNTS
from job.state import Conflict, Problem

SAMPLE_LIMIT = 50  # problems kept in memory per step for the printed report; all are in the state


@dataclass
class StepResult:
    """Counts of one step. `statements` and `helper_requests` show the per-batch cost."""

    step: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deferred: int = 0
    conflicts: int = 0
    statements: int = 0
    helper_requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    full: bool = False
    """The step compared every row (not only the changed ones)."""
    changed: int = 0
    """Rows the change detection brought into an incremental step (changed, or rejected before)."""
    sample: list[Problem] = field(default_factory=list)
    conflict_sample: list[Conflict] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    """The rows written, column by column, when a diff was asked for (at most the diff's limit)."""

    def note(self, problems: list[Problem]) -> None:
        for problem in problems:
            if problem.kind == "rejected":
                self.rejected += 1
            else:
                self.deferred += 1
        self.sample.extend(problems[: max(0, SAMPLE_LIMIT - len(self.sample))])

    def note_conflicts(self, conflicts: list[Conflict]) -> None:
        self.conflicts += len(conflicts)
        self.conflict_sample.extend(conflicts[: max(0, SAMPLE_LIMIT - len(self.conflict_sample))])


COUNTS = (*ROW_COUNTS, *COSTS)


def rejection_row(problem: Problem) -> dict[str, Any]:
    """A rejected or deferred row as the JSON outputs show it."""
    return {"step": problem.step, "row_key": problem.row_key, "kind": problem.kind, "reason": problem.reason}


def conflict_row(conflict: Conflict) -> dict[str, Any]:
    """A status conflict as the JSON outputs show it."""
    return {
        "step": conflict.step,
        "row_key": conflict.row_key,
        "base": conflict.base_value,
        "db1": conflict.left_value,
        "db2": conflict.right_value,
        "resolution": conflict.resolution,
    }


@dataclass
class FlowResult:
    """One flow: its steps' results added up."""

    flow: str
    steps: list[StepResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(step, name)) for step in self.steps)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    @property
    def error(self) -> str | None:
        return next((step.error for step in self.steps if step.error), None)

    def summary(self) -> dict[str, Any]:
        counts: dict[str, Any] = {name: self.total(name) for name in COUNTS}
        return {"flow": self.flow, **counts, "duration_s": round(self.seconds, 3), "error": self.error}

    def details(self) -> dict[str, Any]:
        """The summary with the rows behind its counts: rejections and conflicts (at most SAMPLE_LIMIT per step)."""
        return {
            **self.summary(),
            "rejections": [rejection_row(p) for step in self.steps for p in step.sample],
            "conflicts": [conflict_row(c) for step in self.steps for c in step.conflict_sample],
            "changes": [change.as_json() for step in self.steps for change in step.changes],
        }


@dataclass
class RunReport:
    """The whole run; its exit code is decided here and nowhere else."""

    command: str
    flows: list[FlowResult] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False
    interrupted: str | None = None
    """The signal that stopped the run (SIGTERM, SIGINT), if one did."""
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(flow.total(name) for flow in self.flows)

    @property
    def exit_code(self) -> ExitCode:
        if self.skipped:
            return ExitCode.LOCKED
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.error or any(flow.error for flow in self.flows):
            return ExitCode.FAILED
        if self.total("rejected") or self.total("deferred"):
            return ExitCode.INCOMPLETE
        return ExitCode.OK

    @property
    def status(self) -> str:
        return {
            ExitCode.OK: "ok",
            ExitCode.INCOMPLETE: "partial",
            ExitCode.LOCKED: "skipped",
            ExitCode.INTERRUPTED: "interrupted",
        }.get(self.exit_code, "failed")

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "exit_code": int(self.exit_code),
            "duration_s": round(self.seconds, 3),
            **{name: self.total(name) for name in RUN_COUNTS},
            "flows": [flow.summary() for flow in self.flows],
        }

    def details(self) -> dict[str, Any]:
        """The summary with each flow's rejected, deferred and conflicting rows (`plan --json`)."""
        return {**self.summary(), "error": self.error, "flows": [flow.details() for flow in self.flows]}
