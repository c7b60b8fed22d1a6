"""Every column the job reads, fuzzed: a value PostgreSQL can store syncs as documented or rejects its row (issue 10).

Which columns: the flow declarations (job/flows.py) name them, and PostgreSQL says which columns the payments'
source query depends on, so a newly mapped column is fuzzed with no change here. Their types come from the
catalog, the hostile values from tests/job/hostile.py. Each table gets new rows (for the steps that copy it
across) and records present on both sides (for the steps that compare them), one hostile value per row in one
column, every other column at the builders' realistic defaults, and one good row. All of one database's tables
go into one batch of one real `python -m job run`, then `plan --json` runs; DB2's tables, then DB1's (owned by
another team, so as likely to hold anything).

What must hold (documented conversions and comparisons: tests/job/documented.py): exit 0 or 3, never 1 nor a
traceback; a row a step had to insert is in its target with every column as documented, or has an open
rejection or deferral with a reason (never one that repeats an email); a record on both sides agrees after the
run, or has one; the good rows go through; and the second pass finds nothing left to write. What happened to
each class of value is written to outcomes.json in the fixture's temporary directory.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pytest
from psycopg2 import sql

from job.flow_model import Column, CopyStep, StatusStep, Step
from job.flows import FLOWS
from tests.job.builders import (
    PLAN_ID,
    db1_advertiser,
    db1_payment,
    db1_plan,
    db1_student,
    db2_advertiser,
    db2_payment,
    db2_plan,
    db2_student,
    insert,
)
from tests.job.cli import Result, cli_env, run_cli
from tests.job.documented import (
    COMPARISONS,
    CONVERSIONS,
    KEEP,
    UNUSABLE_PASSWORD,
    CannotSync,
    normalised_email,
    same,
    username_problem,
)
from tests.job.hostile import column_types, recipes_for
from tests.support.helper_server import TOKEN, HelperServer

Table = tuple[str, str]
"""(side, table): ('db2', 'universitario')."""
Rows = dict[str, dict[str, Any]]
"""A table's rows by key (as text)."""

# ---------------------------------------------------------------------------------------------------------------
# Which columns the job reads, from the flow declarations


@dataclass(frozen=True, order=True)
class Read:
    """One column the job reads."""

    side: str
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.side}.{self.table}.{self.column}"


def copy_steps() -> list[CopyStep]:
    return [step for flow in FLOWS for step in flow.steps if step.kind == "copy"]


def status_steps() -> list[StatusStep]:
    return [step for flow in FLOWS for step in flow.steps if step.kind == "status"]


def tables_of(step: Step) -> tuple[Table, Table]:
    """The two tables a step keeps together: (source, target) or (left, right)."""
    if step.kind == "copy":
        return (step.source.value, step.source_table), (step.target.value, step.target_table)
    return (step.left.value, step.left_table), (step.right.value, step.right_table)


def declared_reads() -> set[Read]:
    """What the declarations name: sources, compared targets, lookups, references, status columns.

    The columns a source query reads are `query_reads`' business: PostgreSQL knows them."""
    found: set[Read] = set()
    for step in copy_steps():
        source, target = step.source.value, step.target.value
        found.add(Read(source, step.source_table, step.source_key))
        if step.source_sql is None:
            found |= {Read(source, step.source_table, c.source) for c in step.columns if c.source}
        if step.mode != "insert_missing":  # an update compares the target's current values
            found.add(Read(target, step.target_table, step.target_key))
            found |= {Read(target, step.target_table, c.target) for c in step.columns if not c.is_derived}
        for lookup in (c.lookup for c in step.columns if c.lookup):
            found |= {Read(target, lookup.table, lookup.key), Read(target, lookup.table, lookup.value)}
        found |= {Read(target, r.table, r.key) for r in step.references}
    for status in status_steps():
        found |= {Read(status.left.value, status.left_table, n) for n in (status.left_key, status.left_column)}
        found |= {Read(status.right.value, status.right_table, n) for n in (status.right_key, status.right_column)}
    return found


def query_reads(dsn: str, step: CopyStep) -> set[Read]:
    """The table columns a step's source query reads, from information_schema.view_column_usage."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMPORARY VIEW hs_fuzz_source AS " + source_query(step))
            cur.execute(
                "SELECT table_name, column_name FROM information_schema.view_column_usage "
                "WHERE view_name = 'hs_fuzz_source'"
            )
            return {Read(step.source.value, table, column) for table, column in cur.fetchall()}
    finally:
        conn.rollback()
        conn.close()


def source_query(step: CopyStep) -> str:
    """The step's source query over its whole table (written by the flows, never input)."""
    return (step.source_sql or "SELECT * FROM {source}").replace("{source}", step.source_table)


def all_reads(dsns: dict[str, str]) -> set[Read]:
    found = declared_reads()
    for step in copy_steps():
        if step.source_sql:
            found |= query_reads(dsns[step.source.value], step)
    return found


def fuzzed_tables() -> list[Table]:
    """Every table the declarations read, DB2's first."""
    return sorted({(read.side, read.table) for read in declared_reads()}, key=lambda t: (t[0] != "db2", t))


def key_of(table: Table) -> str:
    """A table's key column, as the steps name it."""
    for step in (*copy_steps(), *status_steps()):
        for found, key in zip(tables_of(step), _keys(step), strict=True):
            if found == table:
                return key
    raise AssertionError(f"no step names the key of {table}")


def _keys(step: Step) -> tuple[str, str]:
    return (step.source_key, step.target_key) if step.kind == "copy" else (step.left_key, step.right_key)


# ---------------------------------------------------------------------------------------------------------------
# Realistic rows (the builders'), made as records: the DB1 row and the DB2 row of record n, with one key

OTHER_PLAN_ID = "22222222-2222-4222-8222-0000000000bb"
"""A plan DB2 has and DB1 does not: a foreign key DB2 can store and DB1 cannot match."""
PAYER_ID = "33333333-3333-4333-8333-0000000000cc"
PAYER_N = 1
GOOD_N = 9000
"""The good rows' record number; hostile rows are numbered from 100 and stay below it."""
Pair = tuple[dict[str, Any], dict[str, Any]]


def _students(n: int, key: str) -> Pair:
    return db1_student(n, uid=key), db2_student(n, id=key)


def _advertisers(n: int, key: str) -> Pair:
    return db1_advertiser(n, uid=key), db2_advertiser(n, id=key)


def _plans(n: int, key: str) -> Pair:
    return db1_plan(uid=key, cnome=f"Plano {n}"), db2_plan(id=key, nome=f"Plano {n}")


def _benefits(n: int, key: str) -> Pair:
    active = n % 2 == 1
    return (
        {"uid": key, "cvantagem": f"Vantagem {n}", "cativo": "1" if active else "0", "uid_plano": PLAN_ID},
        {"id": key, "vantagem": f"Vantagem {n}", "ativo": active, "plano_id": PLAN_ID},
    )


def _payments(n: int, key: str) -> Pair:
    paid = n % 2 == 1
    return (
        db1_payment(uid=key, uid_universitario=PAYER_ID, cativo="1" if paid else "0"),
        db2_payment(f"aluno{PAYER_N}@example.com", id=key, pago=paid),
    )


RECORDS: dict[tuple[str, str], Callable[[int, str], Pair]] = {
    ("universitario", "universitario"): _students,
    ("anunciante", "anunciante"): _advertisers,
    ("plano", "plano"): _plans,
    ("plano_vantagem", "plano_vantagens"): _benefits,
    ("pagamento", "pagamento_plano"): _payments,
}
"""(DB1 table, DB2 table) → record n with key `key` on both sides."""


@dataclass(frozen=True)
class Kit:
    """The realistic rows of one table, and of its counterpart on the other side."""

    make: Callable[[int, str], Pair]
    index: int
    other_table: str

    def row(self, n: int, key: str) -> dict[str, Any]:
        return self.make(n, key)[self.index]

    def counterpart(self, n: int, key: str) -> dict[str, Any]:
        return self.make(n, key)[1 - self.index]


def kit_for(table: Table) -> Kit:
    for (db1_table, db2_table), make in RECORDS.items():
        if table == ("db1", db1_table):
            return Kit(make, 0, db2_table)
        if table == ("db2", db2_table):
            return Kit(make, 1, db1_table)
    raise AssertionError(f"{table} is read by the job but has no realistic rows here: add it to RECORDS")


@dataclass
class Databases:
    """DB1 and DB2, as builders.insert and cli_env take them."""

    db1: str
    db2: str

    def __getitem__(self, side: str) -> str:
        return str(getattr(self, side))


def seed_rows(dbs: Databases) -> None:
    """What every scenario needs: the plan on both sides, a plan only DB2 has, and a payer on both sides."""
    insert(dbs, "db1", "plano", [db1_plan()])
    insert(dbs, "db2", "plano", [db2_plan(), db2_plan(id=OTHER_PLAN_ID, nome="Só no DB2")])
    db1_row, db2_row = _students(PAYER_N, PAYER_ID)
    insert(dbs, "db1", "universitario", [db1_row])
    insert(dbs, "db2", "universitario", [db2_row])


# ---------------------------------------------------------------------------------------------------------------
# One table's hostile rows

NEW = "new row"
PAIRED = "record on both sides"


@dataclass(frozen=True)
class Hostile:
    """One hostile row: its table, whether it is new or one side of a record, the column holding the hostile
    value, the value's class and the value."""

    table: Table
    role: str
    column: str
    klass: str
    value: Any


@dataclass
class Scenario:
    """The hostile rows of one table: new rows for the steps that copy it, records for those that compare it."""

    table: Table
    dbs: Databases
    reads: set[Read]
    numbers: Iterator[int]
    """Record numbers, shared by every scenario of a run so that no two rows collide in a unique column."""
    hostile: dict[str, Hostile] = field(default_factory=dict)
    good: str = field(default_factory=lambda: str(uuid.uuid4()))

    def create_steps(self) -> list[CopyStep]:
        """The steps that insert this table's rows into the other database."""
        return [s for s in copy_steps() if tables_of(s)[0] == self.table and s.mode != "update_existing"]

    def new_columns(self) -> list[str]:
        """Every column read from this table, when a step copies its rows across."""
        if not self.create_steps():
            return []
        return sorted({r.column for r in self.reads if (r.side, r.table) == self.table})

    def pair_columns(self) -> dict[str, bool]:
        """The columns steps compare with the other side's row of the same key, each with whether it gets
        every hostile value (True) or a sample (a column compared for equality: any other value goes the same
        way)."""
        found: dict[str, bool] = {}
        for s in (s for s in copy_steps() if s.mode != "insert_missing"):
            for c in (c for c in s.columns if c.source and not c.is_derived):
                for table, name in zip(tables_of(s), (c.source, c.target), strict=True):
                    if table == self.table and name:
                        found[name] = found.get(name, False) or c.compare != "equal"
        for t in status_steps():
            for table, name in zip(tables_of(t), (t.left_column, t.right_column), strict=True):
                if table == self.table:
                    found.setdefault(name, False)
        return found

    def longer_than(self, column: str) -> set[int]:
        """The length limits of the columns this one is copied into."""
        limits: set[int] = set()
        for s in self.create_steps():
            targets = column_types(self.dbs[s.target.value], s.target_table)
            limits |= {targets[c.target].max_length or 0 for c in s.columns if c.source == column}
        return limits - {0}

    def build(self) -> None:
        """Insert the hostile rows PostgreSQL accepts (the others cannot exist), then the good row."""
        side, name = self.table
        other = "db1" if side == "db2" else "db2"
        kit, types = kit_for(self.table), column_types(self.dbs[side], name)
        made: list[tuple[Hostile, dict[str, Any], dict[str, Any] | None]] = []
        plans = [(c, True, NEW) for c in self.new_columns()]
        plans += [(c, full, PAIRED) for c, full in sorted(self.pair_columns().items())]
        for column, full, role in plans:
            for klass, recipe in recipes_for(types[column], self.longer_than(column), full, (PLAN_ID, OTHER_PLAN_ID)):
                n, key = next(self.numbers), str(uuid.uuid4())
                row = kit.row(n, key)
                row[column] = recipe(row[column])
                made.append((Hostile(self.table, role, column, klass, row[column]), row, kit.counterpart(n, key)))
        stored = insert_storable(self.dbs[side], name, [row for _, row, _ in made])
        kept = [item for item, ok in zip(made, stored, strict=True) if ok]
        self.hostile = {str(uuid.UUID(str(row[key_of(self.table)]))): hostile for hostile, row, _ in kept}
        insert(self.dbs, other, kit.other_table, [twin for hostile, _, twin in kept if hostile.role == PAIRED])
        if self.create_steps():
            insert(self.dbs, side, name, [kit.row(GOOD_N, self.good)])
        else:  # a record whose sides differ in every mapped column: the steps must bring them together
            insert(self.dbs, side, name, [kit.row(GOOD_N + 1, self.good)])
            insert(self.dbs, other, kit.other_table, [kit.counterpart(GOOD_N, self.good)])


def _as_input(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def insert_storable(dsn: str, table: str, rows: list[dict[str, Any]]) -> list[bool]:
    """Insert the rows PostgreSQL accepts, each in its own subtransaction on the server (a handful of round
    trips in all); False for those it refuses (too long, NULL in NOT NULL, a check, a key)."""
    names = list(rows[0])
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = %s::regclass", (table,)
            )
            types = dict(cur.fetchall())
            staged = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(n)) for n in names)
            cur.execute(sql.SQL("CREATE TEMPORARY TABLE hs_fuzz_rows (hs_n integer, {})").format(staged))
            cur.execute("CREATE TEMPORARY TABLE hs_fuzz_refused (hs_n integer)")
            values = [[n, *(_as_input(row[name]) for name in names)] for n, row in enumerate(rows)]
            psycopg2.extras.execute_values(cur, "INSERT INTO hs_fuzz_rows VALUES %s", values, page_size=1000)
            # Each value is cast to its column's type without a length, so a too long one is refused, not cut.
            cur.execute(
                sql.SQL(
                    "DO $fuzz$ DECLARE r record; BEGIN FOR r IN SELECT * FROM hs_fuzz_rows LOOP "
                    "BEGIN INSERT INTO {table} ({names}) VALUES ({values}); "
                    "EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN "
                    "INSERT INTO hs_fuzz_refused VALUES (r.hs_n); END; END LOOP; END $fuzz$"
                ).format(
                    table=sql.Identifier(table),
                    names=sql.SQL(", ").join(map(sql.Identifier, names)),
                    values=sql.SQL(", ").join(
                        sql.SQL("r.{}::{}").format(sql.Identifier(n), sql.SQL(types[n])) for n in names
                    ),
                )
            )
            cur.execute("SELECT hs_n FROM hs_fuzz_refused")
            refused = {n for (n,) in cur.fetchall()}
    finally:
        conn.close()
    return [n not in refused for n in range(len(rows))]


# ---------------------------------------------------------------------------------------------------------------
# Both databases before and after (dates and timestamps read as text: PostgreSQL's range is wider than Python's)


def _text(value: str | None, _cur: Any) -> str | None:
    return value


def read_rows(dsn: str, query: str, key: str) -> Rows:
    conn = psycopg2.connect(dsn)
    as_text = psycopg2.extensions.new_type((1082, 1114, 1184), "HS_FUZZ_TEXT", _text)  # date, timestamp(tz)
    psycopg2.extensions.register_type(as_text, conn)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(query)
            return {str(row[key]): dict(row) for row in cur.fetchall()}
    finally:
        conn.close()


def snapshot(dbs: Databases) -> dict[Table, Rows]:
    """Every row of every table the job reads."""
    return {(s, t): read_rows(dbs[s], f"SELECT * FROM {t}", key_of((s, t))) for s, t in fuzzed_tables()}


def source_rows(dbs: Databases, step: CopyStep) -> Rows | str:
    """A step's source rows, through its declared query when it has one; or why that query fails on them."""
    try:
        return read_rows(dbs[step.source.value], f"SELECT * FROM ({source_query(step)}) AS s", step.source_key)
    except psycopg2.DataError as exc:
        return str(exc).strip()


def open_problems(dsn: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(step, key) → (kind, reason) of every open rejection and deferral."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT step, row_key, kind, reason FROM hestia_sync.rejections WHERE resolved_at IS NULL")
            return {(step, key): (kind, reason) for step, key, kind, reason in cur.fetchall()}
    finally:
        conn.close()


@dataclass
class World:
    before: dict[Table, Rows]
    after: dict[Table, Rows]
    sources: dict[str, Rows | str]
    """Each copy step's source rows before the run."""
    problems: dict[tuple[str, str], tuple[str, str]]
    dbs: Databases


# ---------------------------------------------------------------------------------------------------------------
# What must hold after the run


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else f"{text[:30]}... ({len(str(value))} characters)"


@dataclass
class Verdict:
    """The broken promises, and what each step did with each hostile row (for outcomes.json)."""

    hostile: dict[tuple[Table, str], Hostile]
    world: World
    problems: list[str] = field(default_factory=list)
    outcomes: dict[tuple[Table, str], dict[str, tuple[str, str]]] = field(default_factory=lambda: defaultdict(dict))

    def rows_of(self, step: Step, key: str) -> list[tuple[Table, str]]:
        return [(table, key) for table in tables_of(step) if (table, key) in self.hostile]

    def fail(self, step: Step, key: str, text: str) -> None:
        found = [self.hostile[at] for at in self.rows_of(step, key)]
        what = "".join(f" ({'.'.join(h.table)}.{h.column}, {h.klass}: {_short(h.value)})" for h in found)
        self.problems.append(f"{step.name} {key}{what}: {text}")

    def note(self, step: Step, key: str, outcome: str, example: Any = None) -> None:
        outcome = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "<key>", outcome)
        for at in self.rows_of(step, key):
            self.outcomes[at][step.name] = (outcome, "" if example is None else _short(example))

    def noted_problem(self, step: Step, key: str) -> tuple[str, str] | None:
        """The row's open rejection or deferral by this step, noted, if it has one."""
        opened = self.world.problems.get((step.name, key))
        if opened:
            self.note(step, key, f"{opened[0]}: {opened[1]}")
        return opened


def column_problem(step: CopyStep, c: Column, source: dict[str, Any], written: dict[str, Any], world: World) -> str:
    """Why a written column is not the documented value of its source, or ''."""
    actual = written.get(c.target)
    if c.resolver == "username":
        limit = column_types(world.dbs[step.target.value], step.target_table)[c.target].max_length or 50
        return username_problem(source.get(c.source or ""), source.get("email"), actual, limit)
    if c.resolver == "helper_password":
        return "" if actual == UNUSABLE_PASSWORD else f"{c.target} is not the unusable password"
    if c.convert == "candidates":
        return ""  # the exactly-one rule's business: exactly_one_problem
    if c.resolver == "helper_photo":  # the test helper's default avatar, named by the length of the email asked
        expected: Any = f"https://avatars.example.com/{len(normalised_email(source[c.source or '']))}"
    elif c.lookup:
        expected = world.after[(step.target.value, c.lookup.table)][str(source[c.source or ""])][c.lookup.value]
    elif c.source is None:
        expected = c.constant
    else:
        try:
            expected = CONVERSIONS[c.convert](source[c.source])
        except CannotSync:
            return f"{c.target} written as {_short(actual)}, yet {c.convert} rejects {_short(source[c.source])}"
        expected = None if expected is KEEP else expected
    return "" if same(expected, actual) else f"{c.target} is {_short(actual)}, documented: {_short(expected)}"


def exactly_one_problem(step: CopyStep, key: str, source: dict[str, Any], written: dict[str, Any], world: World) -> str:
    """docs/flows.md, "Payments": the row points at the one DB2 account with its email that the target holds."""
    rule = step.exactly_one
    if rule is None:
        return ""
    chosen = [(name, written[name]) for name in rule.columns if written.get(name) is not None]
    if len(chosen) != 1:
        return f"points at {chosen}, not at exactly one of {rule.columns}"
    name, target_key = chosen[0]
    candidates = source.get(next(c.source for c in step.columns if c.target == name) or "") or []
    table = next(r.table for r in step.references if r.column == name)
    account = world.before[(step.source.value, table)].get(str(target_key))
    email = world.before[(step.source.value, step.source_table)][key]["email"]
    if str(target_key) not in candidates or account is None:
        return f"{name} {target_key} is not one of the row's candidates"
    if normalised_email(account["email"]) != normalised_email(email):
        return f"{name} {target_key} does not have the row's email"
    return ""


def check_inserts(step: CopyStep, world: World, verdict: Verdict) -> None:
    """Every source row the target lacked is written as documented, or has an open rejection or deferral."""
    target, sources = world.after[tables_of(step)[1]], world.sources[step.name]
    if isinstance(sources, str):
        verdict.problems.append(f"{step.name}: its source query fails on these rows: {sources}")
        return
    for key in sorted(set(sources) - set(world.before[tables_of(step)[1]])):
        source, written, opened = sources[key], target.get(key), verdict.noted_problem(step, key)
        if written is None:
            if opened is None:
                verdict.fail(step, key, "neither written nor rejected")
            continue
        if opened:
            verdict.fail(step, key, f"written, and {opened[0]} too: {opened[1]}")
        found = [column_problem(step, c, source, written, world) for c in step.columns]
        for text in filter(None, [*found, exactly_one_problem(step, key, source, written, world)]):
            verdict.fail(step, key, text)
        hostile = next((verdict.hostile[at] for at in verdict.rows_of(step, key)), None)
        targets = [c.target for c in step.columns if hostile and c.source == hostile.column and not c.is_derived]
        if hostile and targets and not same(written[targets[0]], source[hostile.column]):
            verdict.note(step, key, f"synced, {targets[0]} converted", written[targets[0]])
        else:
            verdict.note(step, key, "synced as-is" if targets else "synced")


def check_updates(step: CopyStep, world: World, verdict: Verdict) -> None:
    """Every record on both sides agrees after the run, under the step's documented conversions and comparisons."""
    source, target = world.after[tables_of(step)[0]], world.after[tables_of(step)[1]]
    before = world.before[tables_of(step)[1]]
    for key in sorted(set(source) & set(target)):
        if verdict.noted_problem(step, key):
            continue
        written = []
        for c in (c for c in step.columns if c.source and not c.is_derived):
            try:
                expected = CONVERSIONS[c.convert](source[key][c.source])
            except CannotSync:
                verdict.fail(step, key, f"{c.source} has no documented {c.convert}, yet the row is not rejected")
                continue
            if expected is KEEP:
                continue
            if not COMPARISONS[c.compare](expected, target[key][c.target]):
                verdict.fail(step, key, f"{c.target} is {_short(target[key][c.target])}, documented {_short(expected)}")
            if key in before and not same(before[key][c.target], target[key][c.target]):
                written.append(c.target)
        if key in before:  # a row inserted by this run was noted by check_inserts
            verdict.note(step, key, f"{', '.join(written)} set from the source" if written else "kept: compares equal")


def check_statuses(step: StatusStep, world: World, verdict: Verdict) -> None:
    """Both sides of every record mean the same status after the run (DB1 wins a first sync)."""
    left, right = world.after[tables_of(step)[0]], world.after[tables_of(step)[1]]
    for key in sorted(set(left) & set(right)):
        if verdict.noted_problem(step, key):
            continue
        meaning = CONVERSIONS[step.left_to_common](left[key][step.left_column])
        if meaning != CONVERSIONS[step.right_to_common](right[key][step.right_column]):
            verdict.fail(step, key, f"{step.left_column} and {step.right_column} disagree")
        verdict.note(step, key, f"both mean {meaning}")


def judge(hostile: dict[tuple[Table, str], Hostile], world: World) -> Verdict:
    verdict = Verdict(hostile, world)
    for step in copy_steps():
        if step.mode != "update_existing":
            check_inserts(step, world, verdict)
        if step.mode != "insert_missing":
            check_updates(step, world, verdict)
    for status in status_steps():
        check_statuses(status, world, verdict)
    return verdict


def reason_problems(world: World) -> list[str]:
    """Open rejections and deferrals without a reason, or whose reason repeats an email of their row."""
    found = []
    for (step, key), (kind, reason) in sorted(world.problems.items()):
        if not reason.strip():
            found.append(f"{step} {key}: {kind} without a reason")
        rows = [rows[key] for rows in world.before.values() if key in rows]
        emails = {v.strip() for row in rows for v in row.values() if isinstance(v, str) and "@" in v}
        for email in (e for e in emails if len(e) >= 6):
            if email in reason or normalised_email(email) in reason:
                found.append(f"{step} {key}: the reason repeats the email {email!r}: {reason!r}")
    return found


def good_row_problems(scenarios: list[Scenario], world: World) -> list[str]:
    """Each table's good row went through: written by every step that copies it, rejected by none."""
    found = []
    for scenario in scenarios:
        found += [
            f"{'.'.join(scenario.table)}: the good row {key} was {kind} by {step}: {reason}"
            for (step, key), (kind, reason) in world.problems.items()
            if key == scenario.good
        ]
        found += [
            f"{'.'.join(scenario.table)}: {step.name} did not write the good row {scenario.good}"
            for step in scenario.create_steps()
            if scenario.good not in world.after[tables_of(step)[1]]
        ]
    return found


def crash_problems(result: Result) -> list[str]:
    """A data problem is never exit 1 nor a failed step: exit 0 or 3, no traceback."""
    found = [] if result.code in (0, 3) else [f"exit {result.code}"]
    found += ["a traceback in stderr"] if "Traceback" in result.stderr else []
    for event in ("step_failed", "run_error", "command_failed", "state_error"):
        found += [f"{event}: {line.get('message')}" for line in result.events(event)]
    return found


def outcome_table(verdict: Verdict) -> dict[str, Any]:
    """table → role → column → class of value → step → outcome → [rows, up to two examples]."""
    table: dict[str, Any] = {}
    for at, hostile in verdict.hostile.items():
        name = ".".join(hostile.table)
        classes = table.setdefault(name, {}).setdefault(hostile.role, {}).setdefault(hostile.column, {})
        for step, (outcome, example) in verdict.outcomes.get(at, {}).items():
            found = classes.setdefault(hostile.klass, {}).setdefault(step, {}).setdefault(outcome, [0, []])
            found[0] += 1
            if example and len(found[1]) < 2 and example not in found[1]:
                found[1].append(example)
    return table


# ---------------------------------------------------------------------------------------------------------------
# The tests


@dataclass
class Fuzzed:
    """One side's hostile rows in every table the job reads there, a `run` over them, then `plan --json`."""

    scenarios: list[Scenario]
    world: World
    verdict: Verdict
    run: Result
    plan: Result


@pytest.fixture(scope="module", params=["db2", "db1"])
def fuzzed(request: Any, pg_server: Any, schema_templates: tuple[str, str], tmp_path_factory: Any) -> Fuzzed:
    side = request.param
    dbs = Databases(*(pg_server.create_database(n, t) for n, t in zip(("db1", "db2"), schema_templates, strict=True)))
    seed_rows(dbs)
    reads, numbers = all_reads({"db1": dbs.db1, "db2": dbs.db2}), itertools.count(100)
    scenarios = [Scenario(table, dbs, reads, numbers) for table in fuzzed_tables() if table[0] == side]
    for scenario in scenarios:
        scenario.build()
    before, sources = snapshot(dbs), {step.name: source_rows(dbs, step) for step in copy_steps()}
    out = tmp_path_factory.mktemp(f"fuzz-{side}")
    with HelperServer() as helper:
        env = cli_env(dbs, helper.url, TOKEN, JOB_BATCH_SIZE="50000")  # one batch: the good rows among the rest
        run = run_cli(["run"], env, out)
        after, problems = snapshot(dbs), open_problems(dbs.db2)
        plan = run_cli(["plan", "--json"], env, out)
    world = World(before, after, sources, problems, dbs)
    verdict = judge({(h.table, key): h for s in scenarios for key, h in s.hostile.items()}, world)
    (out / "outcomes.json").write_text(json.dumps(outcome_table(verdict), indent=1, ensure_ascii=False))
    return Fuzzed(scenarios, world, verdict, run, plan)


def _listed(problems: list[str]) -> str:
    return "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_the_fuzzed_columns_are_every_column_the_flows_read(pair: Any) -> None:
    reads = all_reads({"db1": pair.db1, "db2": pair.db2})
    names = set(map(str, reads))

    assert {"db2.universitario.email", "db2.universitario.telefone", "db2.universitario.dt_nascimento"} <= names
    assert "db2.pagamento_plano.created_at" in names  # only the payments' source query reads it
    assert {(read.side, read.table) for read in reads} == set(fuzzed_tables())
    for read in reads:
        types = column_types(getattr(pair, read.side), read.table)
        assert read.column in types, f"{read} is declared but not in the schema"
        assert recipes_for(types[read.column]), f"{read} has no hostile values"
        scenario = Scenario((read.side, read.table), Databases(pair.db1, pair.db2), reads, itertools.count())
        fuzzed = {*scenario.new_columns(), *scenario.pair_columns(), key_of((read.side, read.table))}
        assert read.column in fuzzed, f"{read} is read but no scenario puts a hostile value in it"


def test_every_fuzzed_column_holds_hostile_values_postgresql_accepted(fuzzed: Fuzzed) -> None:
    empty = [
        f"{'.'.join(scenario.table)}.{column}"
        for scenario in fuzzed.scenarios
        for column in {*scenario.new_columns(), *scenario.pair_columns()}
        if column not in {hostile.column for hostile in scenario.hostile.values()}
    ]

    assert not empty, f"PostgreSQL refused every hostile value of {empty}"


def test_a_run_over_hostile_values_exits_0_or_3_without_a_traceback(fuzzed: Fuzzed) -> None:
    problems = crash_problems(fuzzed.run)

    assert not problems, f"{problems}\n{fuzzed.run.stderr[-4000:]}"


def test_every_hostile_row_syncs_as_documented_or_has_an_open_rejection_with_a_reason(fuzzed: Fuzzed) -> None:
    problems = fuzzed.verdict.problems

    assert not problems, _listed(problems)


def test_the_good_row_of_every_table_syncs_in_the_same_batch_as_the_hostile_ones(fuzzed: Fuzzed) -> None:
    problems = good_row_problems(fuzzed.scenarios, fuzzed.world)

    assert not problems, _listed(problems)


def test_no_rejection_reason_is_empty_or_repeats_the_rows_email(fuzzed: Fuzzed) -> None:
    problems = reason_problems(fuzzed.world)

    assert not problems, _listed(problems)


def test_a_second_pass_with_plan_json_neither_crashes_nor_finds_more_to_write(fuzzed: Fuzzed) -> None:
    problems = crash_problems(fuzzed.plan)
    assert not problems, f"{problems}\n{fuzzed.plan.stderr[-4000:]}"

    busy = [flow for flow in json.loads(fuzzed.plan.stdout)["flows"] if flow["inserted"] or flow["updated"]]

    assert not busy, "the run left rows to write on the next one: " + json.dumps(busy)
