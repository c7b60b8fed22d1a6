"""One exception root for the job; each subclass says what the runner does next.

SyncError
├── ConfigurationError  bad settings or usage: exit 2, nothing was attempted
├── LockHeld            another run holds the lock: exit 4, nothing was attempted
├── FatalSyncError      a flow (or the run) cannot go on: exit 1
├── Interrupted         SIGINT or SIGTERM: the step in progress is rolled back, the run recorded: exit 5
└── TransientError      worth retrying later (helper down, timeout): inside a run the rows it touches are
                        deferred (the run's report then exits 3); as a command's own failure, exit 1
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The job's exit statuses, mapped in this one place."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INCOMPLETE = 3  # completed, but some rows were rejected or deferred
    LOCKED = 4
    INTERRUPTED = 5  # stopped by SIGINT or SIGTERM; the step in progress was rolled back


class SyncError(Exception):
    """Root of every error the job raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILED


class ConfigurationError(SyncError):
    """A setting or a command-line argument is wrong; the message names it and says how to fix it."""

    exit_code = ExitCode.USAGE

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class LockHeld(SyncError):
    """Another run holds the job's advisory lock."""

    exit_code = ExitCode.LOCKED


class FatalSyncError(SyncError):
    """The flow cannot go on; its writes are rolled back and the run fails."""

    exit_code = ExitCode.FAILED


class Interrupted(SyncError):
    """SIGINT or SIGTERM asked the job to stop (see `interrupts`)."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(
            f"stopped by {signal_name}: the step in progress was rolled back; the next run picks up from there"
        )


class TransientError(SyncError):
    """A failure that may pass (timeout, refused connection, 5xx, 429): affected rows are deferred.

    A command that cannot do its work at all because of one (status with the state store unreachable)
    has failed: exit 1. Exit 3 means "completed, some rows rejected or deferred", which only a run's
    report can say."""

    exit_code = ExitCode.FAILED
