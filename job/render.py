"""Plain-text tables for people: the plan, the status, the check lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from job.diffs import RowChange
from job.events import RUN_COUNTS
from job.report import COUNTS, RunReport

ERROR_STATUSES = ("failed", "interrupted", "abandoned")
"""The run statuses whose error `status` and `runs` print below the runs."""


def iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths).rstrip())
    return "\n".join(lines)


def render_report(report: RunReport) -> str:
    """The per-flow counts, then every sampled rejection, deferral and conflict."""
    verb = "would be" if report.command == "plan" else "were"
    rows = []
    for flow in report.flows:
        summary = flow.summary()
        rows.append(
            [
                flow.flow,
                *(summary[name] for name in COUNTS),
                f"{flow.seconds:.2f}",
                "FAILED" if flow.error else "",
            ]
        )
    out = [f"{report.command}: rows that {verb} written, per flow", table(["flow", *COUNTS, "seconds", "failed"], rows)]
    problems = [(p.step, p.row_key, p.kind, p.reason) for f in report.flows for s in f.steps for p in s.sample]
    if problems:
        out += [
            "",
            "rejected and deferred rows (a sample of at most 50 per step)",
            table(["step", "key", "kind", "reason"], problems),
        ]
    conflicts = [
        (c.step, c.row_key, c.base_value or "-", c.left_value, c.right_value, c.resolution)
        for f in report.flows
        for s in f.steps
        for c in s.conflict_sample
    ]
    if conflicts:
        out += ["", "status conflicts", table(["step", "key", "base", "DB1", "DB2", "resolution"], conflicts)]
    changes = [change for f in report.flows for s in f.steps for change in s.changes]
    if changes:
        out += ["", f"rows that {verb} written, column by column (before → after)"]
        out += [line for change in changes for line in change_lines(change)]
    errors = [flow.error for flow in report.flows if flow.error] + ([report.error] if report.error else [])
    if errors:
        out += ["", "errors", *(f"  {error}" for error in errors)]
    out += ["", f"status: {report.status} (exit {int(report.exit_code)}) in {report.seconds:.2f}s"]
    return "\n".join(out)


def render_status(
    runs: list[dict[str, Any]],
    problems: list[dict[str, Any]],
    totals: dict[str, int],
    conflicts: list[dict[str, Any]],
) -> str:
    """The latest runs (and the errors of those that failed), open rejections with their total, conflicts."""
    out = ["recent runs", runs_table(runs), *errors_section(runs)]
    out += ["", f"open rejections and deferrals: {shown_of(len(problems), totals)}", problems_table(problems)]
    out += ["", *conflicts_section(conflicts)]
    return "\n".join(out)


def run_errors(run: dict[str, Any]) -> list[str]:
    """What went wrong in a run: its own error, then each failed flow's (a failed flow leaves the run's empty)."""
    flows = [flow.get("error") for flow in (run.get("summary") or {}).get("flows", [])]
    return list(dict.fromkeys(error for error in [run.get("error"), *flows] if error))


def duration_s(run: dict[str, Any]) -> float | None:
    """How long a finished run took (None while it runs, or if it never recorded its end)."""
    if run["finished_at"] is None:
        return None
    took: timedelta = run["finished_at"] - run["started_at"]
    return round(took.total_seconds(), 3)


def runs_table(runs: list[dict[str, Any]]) -> str:
    """One line per run with the counts of its summary."""
    rows = [
        [
            r["id"],
            r["command"],
            ",".join(r["flows"]),
            iso(r["started_at"]),
            "-" if (took := duration_s(r)) is None else f"{took:.1f}s",
            r["status"],
            "-" if r["exit_code"] is None else r["exit_code"],
            *((r["summary"] or {}).get(name, "-") for name in RUN_COUNTS),
        ]
        for r in runs
    ]
    return table(["id", "command", "flows", "started", "duration", "status", "exit", *RUN_COUNTS], rows)


def errors_section(runs: list[dict[str, Any]]) -> list[str]:
    """Below a runs table: the error of each failed, interrupted or abandoned run."""
    lines = [
        f"  run {run['id']} ({run['status']}): {error}"
        for run in runs
        if run["status"] in ERROR_STATUSES
        for error in run_errors(run) or ["(no error recorded)"]
    ]
    return ["", "errors of the failed, interrupted and abandoned runs", *lines] if lines else []


def totals_text(totals: dict[str, int]) -> str:
    """'523 (500 rejected, 23 deferred)'."""
    return f"{totals['rejected'] + totals['deferred']} ({totals['rejected']} rejected, {totals['deferred']} deferred)"


def shown_of(shown: int, totals: dict[str, int]) -> str:
    """'showing 10 of 523 (500 rejected, 23 deferred)': what a listing cut at its limit leaves out."""
    return f"showing {shown} of {totals_text(totals)}"


def problems_table(problems: list[dict[str, Any]]) -> str:
    rows = [
        [p["flow"], p["step"], p["row_key"], p["kind"], p["attempts"], iso(p["last_seen_at"]), p["reason"]]
        for p in problems
    ]
    return table(["flow", "step", "key", "kind", "tries", "last seen", "reason"], rows)


def conflicts_section(conflicts: list[dict[str, Any]]) -> list[str]:
    """The latest status conflicts (left is DB1 in every status step the flows declare)."""
    if not conflicts:
        return ["status conflicts: none recorded"]
    rows = [
        [
            c["step"],
            c["row_key"],
            c["base_value"] or "-",
            c["left_value"],
            c["right_value"],
            c["resolution"],
            iso(c["recorded_at"]),
        ]
        for c in conflicts
    ]
    return [
        f"latest status conflicts ({len(conflicts)} shown, newest first)",
        table(["step", "key", "base", "DB1", "DB2", "resolution", "when"], rows),
    ]


def render_runs(runs: list[dict[str, Any]], since: str, limit: int) -> str:
    """The runs of a window, with their counts and, below, the errors of those that failed."""
    if not runs:
        return f"no runs started in the last {since} with these filters"
    more = f" (the newest {limit}: raise --limit for older ones)" if len(runs) >= limit else ""
    head = f"runs started in the last {since}: {len(runs)}{more}, newest first"
    return "\n".join([head, runs_table(runs), *errors_section(runs)])


def render_rejections(problems: list[dict[str, Any]], totals: dict[str, int]) -> str:
    return "\n".join([f"open rejections and deferrals: {shown_of(len(problems), totals)}", problems_table(problems)])


def render_rejection_groups(by: str, groups: list[dict[str, Any]], totals: dict[str, int], all_groups: int) -> str:
    """One line per group, largest first, under the grand total."""
    head = f"open rejections and deferrals by {by}: {totals_text(totals)} in {all_groups} groups"
    if len(groups) < all_groups:
        head += f", showing the {len(groups)} largest"
    if by == "reason":  # the pattern blanks the values out: one real reason of the group reads better
        rows = [[g["count"], g["rejected"], g["deferred"], g["example"]] for g in groups]
        return "\n".join([head, table(["count", "rejected", "deferred", "reason (one of the group)"], rows)])
    rows = [[g["count"], g["rejected"], g["deferred"], g[by]] for g in groups]
    return "\n".join([head, table(["count", "rejected", "deferred", by], rows)])


def render_show(key: str, problems: list[dict[str, Any]], source: dict[str, Any] | None, note: str | None) -> str:
    """A key's open rejections and deferrals, then the source row its step reads (column → value)."""
    out = [f"key {key}"]
    if problems:
        rows = [
            [p["step"], p["kind"], p["attempts"], iso(p["first_seen_at"]), iso(p["last_seen_at"]), p["reason"]]
            for p in problems
        ]
        headers = ["step", "kind", "tries", "first seen", "last seen", "reason"]
        out += ["", "open rejections and deferrals", table(headers, rows)]
    if note:
        out += ["", note]
    if source is not None:
        out += ["", source["note"]]
        if source["row"] is not None:
            out.append(table(["column", "value"], [[name, cell(value)] for name, value in source["row"].items()]))
        if source["left_out"]:
            out.append(f"left out (secrets): {', '.join(source['left_out'])}")
    return "\n".join(out)


def cell(value: Any) -> str:
    """A value for a column → value table: NULL spelled out, line breaks and controls escaped."""
    if value is None:
        return "NULL"
    text = str(value)
    return repr(text) if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text) else text


def change_lines(change: RowChange) -> list[str]:
    """One written row: a heading line, then one line per column."""
    heading = f"{change.step}  {change.action} {change.database.upper()} {change.table} {change.key}"
    width = max((len(name) for name in change.columns), default=0)
    columns = [
        f"    {name.ljust(width)}  {_shown(before) if change.action == 'update' else '-'} → {_shown(after)}"
        for name, (before, after) in change.columns.items()
    ]
    return [heading, *columns]


def _shown(value: object) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else str(value)
