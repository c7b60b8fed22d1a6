"""The step kinds: a kind is a model in `flow_model`, a runner module, and one line here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from job.copy_step import run_copy_step
from job.report import StepResult
from job.scope import Scope
from job.status_step import run_status_step
from job.step_context import StepContext


@dataclass(frozen=True)
class StepKind:
    """What the engine needs of a kind of step."""

    run: Callable[[StepContext, Any, Scope], StepResult]
    """Do the step for the rows in scope inside the open transactions; the engine commits or rolls back."""


STEP_KINDS: Final[dict[str, StepKind]] = {
    "copy": StepKind(run=run_copy_step),
    "status": StepKind(run=run_status_step),
}
