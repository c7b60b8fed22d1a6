"""Plain-text tables for people: the plan, the status, the check lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from job.diffs import RowChange
from job.report import COUNTS, RunReport


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
    out = [f"{report.command}: rows that {verb} written, per flow", table(["flow", *COUNTS, "seconds", ""], rows)]
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


def render_status(runs: list[dict[str, Any]], problems: list[dict[str, Any]]) -> str:
    run_rows = [
        [
            r["id"],
            r["command"],
            ",".join(r["flows"]),
            iso(r["started_at"]),
            iso(r["finished_at"]),
            r["status"],
            "-" if r["exit_code"] is None else r["exit_code"],
            *(((r["summary"] or {}).get(k, "-")) for k in ("inserted", "updated", "rejected", "deferred")),
        ]
        for r in runs
    ]
    out = [
        "recent runs",
        table(
            ["id", "command", "flows", "started", "finished", "status", "exit", "ins", "upd", "rej", "def"], run_rows
        ),
    ]
    problem_rows = [
        [p["flow"], p["step"], p["row_key"], p["kind"], p["attempts"], iso(p["last_seen_at"]), p["reason"]]
        for p in problems
    ]
    out += [
        "",
        f"open rejections and deferrals ({len(problems)} shown)",
        table(["flow", "step", "key", "kind", "tries", "last seen", "reason"], problem_rows),
    ]
    return "\n".join(out)


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
