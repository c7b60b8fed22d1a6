"""The step kinds: a kind is a model in `flow_model`, a runner module, and one line here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from psycopg2 import sql

from job.catalog import CheckLine
from job.copy_step import check_copy_step, copy_step_privileges, run_copy_step, source_relation
from job.db import Database
from job.flow_model import Side
from job.privileges import Need, Reads
from job.report import StepResult
from job.scope import Scope
from job.status_step import check_status_step, run_status_step, status_source_relation, status_step_privileges
from job.step_context import StepContext


@dataclass(frozen=True)
class StepKind:
    """What the engine needs of a kind of step."""

    run: Callable[[StepContext, Any, Scope], StepResult]
    """Do the step for the rows in scope inside the open transactions; the engine commits or rolls back."""
    check: Callable[[dict[Side, Database], Any], Iterator[CheckLine]]
    """`check`'s lines for the step: can a run read and write what it declares?"""
    source: Callable[[Any, Scope], sql.Composable]
    """The relation the step reads for the rows in scope (its driving table, or its declared query over it)."""
    privileges: Callable[[Any], Iterable[Need | Reads]]
    """What a run of the step reads and writes on each database, as privileges (besides `scope`'s, which every
    step has): `check` asks the databases whether the job's role holds them."""


STEP_KINDS: Final[dict[str, StepKind]] = {
    "copy": StepKind(run=run_copy_step, check=check_copy_step, source=source_relation, privileges=copy_step_privileges),
    "status": StepKind(
        run=run_status_step,
        check=check_status_step,
        source=status_source_relation,
        privileges=status_step_privileges,
    ),
}
