"""The names the job's log lines and reports use, each defined once: the renderer, the CloudWatch metric
filters (infra/terraform/modules/observability) and the docs follow these, and a test holds them to it."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Event(StrEnum):
    """The `event` field of every JSON log line the job writes."""

    RUN_FINISHED = "run_finished"
    """The last line of every command: status, exit_code, the run's counts and duration_s."""
    FLOW_FINISHED = "flow_finished"
    """One per flow: its counts, costs, duration_s and error."""
    STEP_STARTED = "step_started"
    """A step begins (DEBUG only)."""
    STEP_SCOPE = "step_scope"
    """Whether a step compares every row or the changed ones, and how many."""
    STEP_PROGRESS = "step_progress"
    """A long step's rows done of rows to do (`total`, null when unknown) and rows_per_s, every
    JOB_PROGRESS_INTERVAL_S."""
    STEP_REJECTIONS = "step_rejections"
    """Once per step that rejected or deferred rows: `rejections` lists up to 20 as {row_key, kind, reason} (rows are
    named by key; an address in a reason is masked), `more` counts the rest; every one is in the state."""
    STEP_CONFLICTS = "step_conflicts"
    """Once per status step that found rows changed on both sides: up to 20 {row_key, base, db1, db2, resolution}."""
    STEP_FAILED = "step_failed"
    """A step failed and was rolled back: flow, step and the reason. The next flow still runs."""
    RUN_ERROR = "run_error"
    """What ended a run early: a database that could not be used, the state store refusing a write."""
    STATE_ERROR = "state_error"
    """The end of a run could not be recorded in the state schema."""
    LOCK_HELD = "lock_held"
    """Another run holds the lock: this one ends without syncing (exit 4)."""
    CONFIGURATION_ERROR = "configuration_error"
    """One line per bad setting or argument; nothing was attempted (exit 2)."""
    COMMAND_FAILED = "command_failed"
    """A command failed outside a run (a database error), or was interrupted before it began."""
    HELPER_BREAKER_OPEN = "helper_breaker_open"
    """The helper API failed for several chunks in a row: the run asks it nothing more, the rest is deferred."""
    STOP_REQUESTED = "stop_requested"
    """SIGINT or SIGTERM arrived: the run cancels its query in flight and rolls back its step."""
    RUN_INTERRUPTED = "run_interrupted"
    """The run stopped on SIGINT or SIGTERM; its step in progress was rolled back (exit 5)."""
    RUN_ABANDONED = "run_abandoned"
    """A run found runs still marked running whose lock was free: they died without recording their end."""


ROW_COUNTS: Final = ("inserted", "updated", "unchanged", "rejected", "deferred", "conflicts")
"""What happened to the rows a step looked at."""
RUN_COUNTS: Final = ("inserted", "updated", "rejected", "deferred", "conflicts")
"""The row counts a whole run reports (unchanged is per flow only)."""
COSTS: Final = ("statements", "helper_requests")
"""What a step cost: SQL statements sent and helper requests made."""
