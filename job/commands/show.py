"""`show KEY`: a key's open rejections and deferrals, and the source row behind them, column by column.

The row is read from the step's source database through the relation the step reads (its table, or its
source_sql over every row of that table) filtered to the key, in a read-only transaction, so it shows what
the next run will see. Secrets never print: any column the helper API fills in a table (the password and
photo resolvers' targets) and any column whose name contains senha, password, hash or token are left out.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from typing import Any

import psycopg2
from psycopg2 import sql

from job.commands.base import Command, Invocation, json_option
from job.commands.common import named_steps, no_state_note, state_views, to_json
from job.copy_step import HELPER_RESOLVERS
from job.db import Database, table_columns
from job.engine import connect_side
from job.errors import ConfigurationError, ExitCode, FatalSyncError
from job.flow_model import Flow, Step
from job.flows import FLOWS
from job.render import render_show
from job.scope import Scope, as_key
from job.settings import JobSettings
from job.steps import STEP_KINDS

SECRET_NAMES = re.compile(r"senha|password|hash|token", re.IGNORECASE)
EVERY_ROW = Scope(full=True, reason="show: every row, filtered to one key")


def _arguments(parser: argparse.ArgumentParser) -> None:
    json_option(parser)
    parser.add_argument("key", metavar="KEY", help="the row's key, as `rejections` lists it")
    parser.add_argument(
        "--step",
        metavar="NAME",
        help="the step whose row to show: needed when the key is open in several steps, or in none",
    )


def _show(invocation: Invocation) -> int:
    args = invocation.args
    key = as_key(args.key, "uuid") or args.key  # an id in upper case names the same row
    wanted = named_steps(invocation.flows, [args.step] if args.step else [])
    if len(wanted) > 1:
        raise ConfigurationError([f"--step: show reads the row of one step; name one of {', '.join(wanted)}"])
    with state_views(invocation.settings) as views:
        problems = views.open_problems_of_key(key, [f.name for f in invocation.flows], wanted) if views else []
    step = _the_step(invocation, key, wanted, problems)
    note = no_state_note(invocation.settings) if views is None else _note(invocation, key, step, problems)
    source = read_source(invocation.settings, *step, key) if step else None
    if args.json:
        print(to_json({"row_key": key, "open_rejections": problems, "source": source, "note": note}))
    else:
        print(render_show(key, problems, source, note))
    return int(ExitCode.OK)


def _note(
    invocation: Invocation, key: str, step: tuple[Flow, Step] | None, problems: list[dict[str, Any]]
) -> str | None:
    """What the answer lacks: an open problem, or a declared step to read the row through."""
    if problems and step is None:
        return f"step {problems[0]['step']} is no longer declared: there is no source to read the row from"
    if problems:
        return None
    if step is not None:
        return f"{key} has no open rejection or deferral in step {step[1].name}"
    flows = ", ".join(flow.name for flow in invocation.flows)
    return f"{key} has no open rejection or deferral in the flows {flows}; give --step NAME to see the row a step reads"


def _the_step(
    invocation: Invocation, key: str, wanted: list[str], problems: list[dict[str, Any]]
) -> tuple[Flow, Step] | None:
    """The (flow, step) whose row to read: the one --step names, or the one step the key is open in."""
    declared = {step.name: (flow, step) for flow in invocation.flows for step in flow.steps}
    open_in = sorted({problem["step"] for problem in problems})
    if wanted:
        return declared[wanted[0]]
    if len(open_in) > 1:
        flows = {problem["flow"] for problem in problems}
        also = " (or its flow with --flow NAME)" if len(flows) > 1 else ""
        raise ConfigurationError(
            [f"KEY {key} is open in several steps ({', '.join(open_in)}): choose one with --step NAME{also}"]
        )
    return declared.get(open_in[0]) if open_in else None


def read_source(settings: JobSettings, flow: Flow, step: Step, key: str) -> dict[str, Any]:
    """The step's source row for this key (None: there is none), without its secret columns."""
    side, table, key_column = step.driver
    db = connect_side(settings, side, side.upper())
    try:
        db.conn.set_session(readonly=True)
        found = _fetch(db, step, key)
    finally:
        db.conn.close()
    hidden = secret_columns(step, found or {})
    where = f"{side.upper()} {table}" + (" through the step's source_sql" if getattr(step, "source_sql", None) else "")
    if found is None:
        note = f"no source row: {where} has no {key_column} = {key} (deleted since?)"
    else:
        note = f"the row {step.name} reads from {where}"
    return {
        "flow": flow.name,
        "step": step.name,
        "database": side.value,
        "table": table,
        "row": None if found is None else {name: value for name, value in found.items() if name not in hidden},
        "left_out": sorted(hidden),
        "note": note,
    }


def _fetch(db: Database, step: Step, key: str) -> dict[str, Any] | None:
    _side, table, key_column = step.driver
    with db.cursor() as cur:
        columns = table_columns(cur, table)
        if key_column not in columns:
            what = f"table {table}" if not columns else f"column {key_column} in {table}"
            raise FatalSyncError(f"{db.role} has no {what}: run `python -m job check` for the full list")
        key_type = columns[key_column].base_type
        query = sql.SQL("SELECT * FROM {relation} AS s WHERE s.{key} = %s::{type}").format(
            relation=STEP_KINDS[step.kind].source(step, EVERY_ROW),
            key=sql.Identifier(key_column),
            type=sql.SQL(key_type),
        )
        try:
            cur.execute(query, (key,))
        except psycopg2.DataError:
            raise ConfigurationError(
                [f"KEY {key!r} is not a {key_type}, the type of {db.role} {table}.{key_column} that {step.name} reads"]
            ) from None
        names = [column.name for column in cur.description or ()]
        row = cur.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def secret_columns(step: Step, names: Iterable[str]) -> set[str]:
    """The names among these never to print: what the helper fills in the step's source table (in any declared
    step), and any name that says it is a secret."""
    side, table, _key = step.driver
    filled = {
        column.target
        for flow in FLOWS
        for other in flow.steps
        if other.kind == "copy" and (other.target, other.target_table) == (side, table)
        for column in other.columns
        if column.resolver in HELPER_RESOLVERS
    }
    return {name for name in names if name in filled or SECRET_NAMES.search(name)}


SHOW = Command(
    name="show",
    summary="one key's open rejections and deferrals and the source row its step reads (secrets left out)",
    examples=(
        "show 33333333-3333-4333-8333-000000000004",
        "show 55555555-5555-4555-8555-000000000004 --json",
        "show 33333333-3333-4333-8333-000000000001 --step students.update",
    ),
    run=_show,
    arguments=_arguments,
)
