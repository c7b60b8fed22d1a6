"""What the operator's commands read from the state (status, rejections, runs, show, retry): runs, open
rejected and deferred rows, conflicts. Read-only, on a state schema that exists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from job.state import ABANDONED, StateStore


class StateViews:
    """The operator's queries over one state store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def recent_runs(self, limit: int) -> list[dict[str, Any]]:
        """The latest runs, newest first; one still `running` while nobody holds the lock is shown `abandoned`
        (the next run records it so)."""
        runs = self.store.dicts(
            "SELECT id, command, flows, started_at, finished_at, status, exit_code, summary, error "
            "FROM {schema}.runs ORDER BY id DESC LIMIT %s",
            (limit,),
        )
        return self._show_abandoned(runs)

    def _show_abandoned(self, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Runs still `running` while nobody holds the lock are shown `abandoned` (the next run records it so)."""
        if any(run["status"] == "running" for run in runs) and not self.store.lock_held():
            for run in runs:
                if run["status"] == "running":
                    run["status"], run["error"] = "abandoned", ABANDONED
        return runs

    def runs_since(
        self, since: timedelta, limit: int, statuses: Sequence[str] = (), flows: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """The newest `limit` runs started in the last `since`, in these statuses (all: none given) and touching
        one of these flows (all: none given); `abandoned` as `recent_runs` shows it."""
        conditions = ["started_at >= now() - %s"]
        params: list[Any] = [since]
        if flows:
            conditions.append("flows && %s::text[]")
            params.append(list(flows))
        if statuses:
            # A run shown abandoned is still `running` in the table.
            conditions.append("status = ANY(%s)")
            params.append(sorted({*statuses, "running"} if "abandoned" in statuses else set(statuses)))
        runs = self._show_abandoned(
            self.store.dicts(
                "SELECT id, command, flows, started_at, finished_at, status, exit_code, summary, error "
                f"FROM {{schema}}.runs WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT %s",
                (*params, limit),
            )
        )
        return [run for run in runs if not statuses or run["status"] in statuses]

    def open_problem_counts(
        self, flows: Sequence[str], steps: Sequence[str] = (), kind: str | None = None
    ) -> dict[str, int]:
        """How many rejected and deferred rows are open, by kind, whatever a listing shows."""
        where, params = _open_filter(flows, steps, kind)
        rows = self.store.dicts(
            f"SELECT kind, count(*) AS n FROM {{schema}}.rejections WHERE {where} GROUP BY kind", params
        )
        return {"rejected": 0, "deferred": 0} | {row["kind"]: int(row["n"]) for row in rows}

    def open_problem_list(
        self, limit: int | None, flows: Sequence[str], steps: Sequence[str] = (), kind: str | None = None
    ) -> list[dict[str, Any]]:
        """The open rejected and deferred rows, last seen first (all of them with no limit)."""
        where, params = _open_filter(flows, steps, kind)
        return self.store.dicts(
            "SELECT flow, step, row_key, kind, reason, attempts, first_seen_at, last_seen_at, first_run_id, "
            f"last_run_id FROM {{schema}}.rejections WHERE {where} ORDER BY last_seen_at DESC, step, row_key LIMIT %s",
            (*params, limit),
        )

    def open_problem_groups(
        self, by: str, flows: Sequence[str], steps: Sequence[str] = (), kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Open rejected and deferred rows counted per (`by` value, kind): `by` is reason, step or flow."""
        if by not in GROUPABLE:
            raise ValueError(f"cannot group rejections by {by!r}; choose from {', '.join(GROUPABLE)}")
        where, params = _open_filter(flows, steps, kind)
        return self.store.dicts(
            f"SELECT {by} AS value, kind, count(*) AS n FROM {{schema}}.rejections WHERE {where} "
            f"GROUP BY {by}, kind ORDER BY {by}, kind",
            params,
        )

    def open_problems_of_key(self, key: str, flows: Sequence[str], steps: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The open rejected and deferred rows with this key, in any of these flows (and steps, if given)."""
        where, params = _open_filter(flows, steps, None)
        return self.store.dicts(
            "SELECT flow, step, row_key, kind, reason, attempts, first_seen_at, last_seen_at, first_run_id, "
            f"last_run_id FROM {{schema}}.rejections WHERE {where} AND row_key = %s ORDER BY step",
            (*params, key),
        )

    def latest_conflicts(self, limit: int, steps: Sequence[str]) -> list[dict[str, Any]]:
        """The status conflicts of these steps, newest first."""
        return self.store.dicts(
            "SELECT run_id, step, row_key, base_value, left_value, right_value, resolution, recorded_at "
            "FROM {schema}.conflicts WHERE step = ANY(%s) ORDER BY id DESC LIMIT %s",
            (list(steps), limit),
        )


GROUPABLE = ("reason", "step", "flow")
"""The columns of the rejections that `open_problem_groups` counts by."""


def _open_filter(flows: Sequence[str], steps: Sequence[str], kind: str | None) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause (and its parameters) of the open rejections in these flows, steps and kind."""
    conditions = ["resolved_at IS NULL", "flow = ANY(%s)"]
    params: list[Any] = [list(flows)]
    if steps:
        conditions.append("step = ANY(%s)")
        params.append(list(steps))
    if kind:
        conditions.append("kind = %s")
        params.append(kind)
    return " AND ".join(conditions), tuple(params)
