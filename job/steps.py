"""The step kinds: a kind is a model in `flow_model`, a runner module, and one line here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from job.catalog import CheckLine
from job.copy_step import check_copy_step, run_copy_step
from job.db import Database
from job.flow_model import Side
from job.report import StepResult
from job.scope import Scope
from job.status_step import check_status_step, run_status_step
from job.step_context import StepContext


@dataclass(frozen=True)
class StepKind:
    """What the engine needs of a kind of step."""

    run: Callable[[StepContext, Any, Scope], StepResult]
    """Do the step for the rows in scope inside the open transactions; the engine commits or rolls back."""
    check: Callable[[dict[Side, Database], Any], Iterator[CheckLine]]
    """`check`'s lines for the step: can a run read and write what it declares?"""


STEP_KINDS: Final[dict[str, StepKind]] = {
    "copy": StepKind(run=run_copy_step, check=check_copy_step),
    "status": StepKind(run=run_status_step, check=check_status_step),
}
