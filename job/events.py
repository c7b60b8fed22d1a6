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
    STEP_SCOPE = "step_scope"
    """Whether a step compares every row or the changed ones, and how many."""
    STEP_PROGRESS = "step_progress"
    """A long step's rows done of rows to do (`total`, null when unknown) and rows_per_s, every
    JOB_PROGRESS_INTERVAL_S."""
    STEP_REJECTIONS = "step_rejections"
    """Once per step that rejected or deferred rows: `rejections` lists up to 20 as {key, kind, reason} (row keys
    only, never emails or names), `more` counts the rest; every one is in the state (`status`, `rejections`)."""
    STEP_CONFLICTS = "step_conflicts"
    """Once per status step that found rows changed on both sides: up to 20 {key, base, db1, db2, resolution}."""
    STEP_FAILED = "step_failed"
    RUN_ERROR = "run_error"
    STATE_ERROR = "state_error"
    LOCK_HELD = "lock_held"
    CONFIGURATION_ERROR = "configuration_error"
    COMMAND_FAILED = "command_failed"
    HELPER_BREAKER_OPEN = "helper_breaker_open"
    """The helper API failed for several chunks in a row: the run asks it nothing more, the rest is deferred."""
    STOP_REQUESTED = "stop_requested"
    """SIGINT or SIGTERM arrived: the run cancels its query in flight and rolls back its step."""
    RUN_INTERRUPTED = "run_interrupted"
    RUN_ABANDONED = "run_abandoned"
    """A run found runs still marked running whose lock was free: they died without recording their end."""


ROW_COUNTS: Final = ("inserted", "updated", "unchanged", "rejected", "deferred", "conflicts")
"""What happened to the rows a step looked at."""
RUN_COUNTS: Final = ("inserted", "updated", "rejected", "deferred", "conflicts")
"""The row counts a whole run reports (unchanged is per flow only)."""
COSTS: Final = ("statements", "helper_requests")
"""What a step cost: SQL statements sent and helper requests made."""
