"""`rejections`: the open rejected and deferred rows, listed or counted per group; a table, JSON or CSV.

Grouping by reason puts together the reasons that differ only in values of their own row, as
`reason_pattern` writes them: a value in single quotes becomes <text> (PostgreSQL's "names" stay), a
UUID <uuid>, a date or timestamp <date>, a number <n> (not the digits inside a word such as DB1, nor
a SQLSTATE code), and a list of such items (`universitario <uuid>, universitario <uuid>`) its first
item. Each group keeps one of its reasons as an example.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from typing import Any

from loguru import logger

from job.commands.base import Command, Invocation
from job.commands.common import named_steps, no_state_note, open_totals, positive, state_views, step_option, to_json
from job.errors import ExitCode
from job.render import render_rejection_groups, render_rejections
from job.state_views import GROUPABLE

LIMIT = 100
"""Rows or groups listed when --limit is not given (a CSV export then has them all)."""
KINDS = ("rejected", "deferred")
LISTED = (
    "flow",
    "step",
    "row_key",
    "kind",
    "reason",
    "attempts",
    "first_seen_at",
    "last_seen_at",
    "first_run_id",
    "last_run_id",
)
"""The columns of a listed rejection, in JSON and CSV."""

_PLACEHOLDERS = (
    (re.compile(r"(?<![\w'])'[^']*'(?!\w)"), "<text>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (
        re.compile(r"(?<![\w.])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"),
        "<date>",
    ),
    (re.compile(r"(?<!SQLSTATE )(?<![\w.])\d+(?:\.\d+)?(?!\w)"), "<n>"),
)
_LISTS = re.compile(r"(?P<item>(?:\w+ )?<(?:text|uuid|date|n)>)(?:, (?P=item))+")


def reason_pattern(reason: str) -> str:
    """The reason with its row-specific values replaced by placeholders (see the module docstring)."""
    for pattern, placeholder in _PLACEHOLDERS:
        reason = pattern.sub(placeholder, reason)
    return _LISTS.sub(r"\g<item>", reason)


def _arguments(parser: argparse.ArgumentParser) -> None:
    step_option(parser)
    parser.add_argument("--kind", choices=KINDS, help="only the rejected, or only the deferred, rows")
    parser.add_argument(
        "--group-by",
        choices=GROUPABLE,
        help="count per group with a grand total; by reason, reasons that differ only in values such as ids, "
        "numbers, dates or quoted text count as one (those become <uuid>, <n>, <date>, <text>)",
    )
    parser.add_argument(
        "--limit",
        type=positive,
        help=f"how many rows (or groups) to list; default {LIMIT}, and every one with --csv; the total is always shown",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON instead of tables")
    output.add_argument("--csv", action="store_true", help="print CSV (a header row, then one row per row or group)")


def _rejections(invocation: Invocation) -> int:
    args = invocation.args
    flows = [flow.name for flow in invocation.flows]
    steps = named_steps(invocation.flows, args.steps)
    limit = args.limit or (None if args.csv else LIMIT)
    with state_views(invocation.settings) as views:
        if views is None:
            _print_nothing_yet(invocation)
            return int(ExitCode.OK)
        totals = views.open_problem_counts(flows, steps, args.kind)
        if args.group_by:
            groups = group_counts(args.group_by, views.open_problem_groups(args.group_by, flows, steps, args.kind))
        else:
            rows = views.open_problem_list(limit, flows, steps, args.kind)
    if args.group_by:
        _print_groups(args, groups, limit, totals)
    else:
        _print_rows(args, rows, limit, totals)
    return int(ExitCode.OK)


def group_counts(by: str, counted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(value, kind, n) rows summed per group, largest first; by reason, per `reason_pattern`."""
    groups: dict[str, dict[str, Any]] = {}
    for row in counted:
        label = reason_pattern(row["value"]) if by == "reason" else row["value"]
        example = {"example": row["value"]} if by == "reason" else {}
        group = groups.setdefault(label, {by: label, "count": 0, "rejected": 0, "deferred": 0, **example})
        group[row["kind"]] += int(row["n"])
        group["count"] += int(row["n"])
    return sorted(groups.values(), key=lambda group: (-group["count"], group[by]))


def _print_rows(
    args: argparse.Namespace, rows: list[dict[str, Any]], limit: int | None, totals: dict[str, int]
) -> None:
    if args.json:
        print(to_json({"rejections": rows, "open_totals": open_totals(totals), "shown": len(rows), "limit": limit}))
    elif args.csv:
        _write_csv(LISTED, rows)
        _note_cut(len(rows), totals["rejected"] + totals["deferred"], "open rejections and deferrals")
    else:
        print(render_rejections(rows, totals))


def _print_groups(
    args: argparse.Namespace, groups: list[dict[str, Any]], limit: int | None, totals: dict[str, int]
) -> None:
    shown = groups[:limit]
    if args.json:
        print(
            to_json(
                {
                    "group_by": args.group_by,
                    "groups": shown,
                    "groups_total": len(groups),
                    "open_totals": open_totals(totals),
                }
            )
        )
    elif args.csv:
        _write_csv(group_columns(args.group_by), shown)
        _note_cut(len(shown), len(groups), "groups (the largest)")
    else:
        print(render_rejection_groups(args.group_by, shown, totals, len(groups)))


def group_columns(by: str) -> tuple[str, ...]:
    """The columns of a group, in CSV: by reason, one of the group's reasons as an example."""
    return (by, "count", "rejected", "deferred", *(("example",) if by == "reason" else ()))


def _write_csv(columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


def _note_cut(shown: int, total: int, what: str) -> None:
    """A CSV has no room for the total: say in the log when --limit left some out."""
    if shown < total:
        logger.warning(f"exported {shown} of {total} {what}: raise --limit for the others")


def _print_nothing_yet(invocation: Invocation) -> None:
    args, note = invocation.args, no_state_note(invocation.settings)
    if args.json:
        empty = {"groups": [], "groups_total": 0} if args.group_by else {"rejections": [], "shown": 0}
        print(to_json({**empty, "open_totals": open_totals({"rejected": 0, "deferred": 0}), "note": note}))
    elif args.csv:
        _write_csv(group_columns(args.group_by) if args.group_by else LISTED, [])
        logger.info(note)
    else:
        print(note)


REJECTIONS = Command(
    name="rejections",
    summary="the open rejected and deferred rows: filtered, grouped with counts, or exported as JSON or CSV",
    examples=(
        "rejections",
        "rejections --group-by reason",
        "rejections --flow students --kind deferred --json",
        "rejections --step payments.create --csv > payments-rejections.csv",
        "rejections --group-by step --csv",
    ),
    run=_rejections,
    arguments=_arguments,
)
