"""What a run needs the databases to let it do, and `check`'s answer: held or not, and the GRANTs that fix it.

A need is one privilege on one object of DB1 or DB2. Every step has the needs of `scope` (`scope_privileges`)
and those its kind declares (StepKind.privileges in job/steps.py); the state store has `state_privileges`.
`review_privileges` asks each database, as the role the job connects with, through PostgreSQL's has_*_privilege
functions: a few statements per database, whatever the number of needs. A need on a table or column that does not
exist is not checked: `check`'s catalog lines report those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, NamedTuple

import psycopg2
import psycopg2.extensions

from job.catalog import CheckLine
from job.db import Database, first_line
from job.flow_model import Side, Watch
from job.uris import scrub


class Privilege(StrEnum):
    """A privilege as GRANT spells it, in the order GRANT statements list them."""

    SELECT = "SELECT"
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    USAGE = "USAGE"
    CREATE = "CREATE"
    TEMPORARY = "TEMPORARY"


class On(StrEnum):
    """What a privilege is granted on, in the order the GRANT statements come."""

    DATABASE = "database"
    SCHEMA = "schema"
    TABLE = "table"
    SEQUENCE = "sequence"


_RANK: Final[dict[StrEnum, int]] = {member: n for kind in (Privilege, On) for n, member in enumerate(kind)}
_KEYWORDS: Final = {On.DATABASE: "DATABASE ", On.SCHEMA: "SCHEMA ", On.TABLE: "", On.SEQUENCE: "SEQUENCE "}
# nextval() takes either.
_ASKED: Final = {(On.SEQUENCE, Privilege.USAGE): "USAGE, UPDATE"}


@dataclass(frozen=True)
class Need:
    """One privilege a run needs on one object of DB1 or DB2, and what the run does with it."""

    side: Side
    on: On
    name: str
    """The table or sequence (looked up in the search path unless `in_schema` is given), the schema; "" for the
    database the job connects to."""
    privilege: Privilege
    why: str
    """What the run does with it, as the end of a sentence ("it inserts the rows DB1 is missing")."""
    columns: tuple[str, ...] = ()
    """A table privilege needed on these columns only, so a column grant is enough; (): on the table itself."""
    in_schema: str | None = None

    @classmethod
    def on_table(cls, side: Side, table: str, privilege: Privilege, why: str, columns: tuple[str, ...] = ()) -> Need:
        return cls(side, On.TABLE, table, privilege, why, columns)

    @classmethod
    def on_database(cls, side: Side, privilege: Privilege, why: str) -> Need:
        return cls(side, On.DATABASE, "", privilege, why)


@dataclass(frozen=True)
class Reads:
    """SELECT on every table or view a query names (a step's source_sql), found in the catalog when checked.

    The names are read from the query's text (outside comments and string literals), so a name that is both a
    column and a table of that database asks for SELECT on the table too; what a function reads is not seen."""

    side: Side
    query: str
    why: str


CHANGED_KEYS: Final = "the keys of the changed rows go into a temporary table (pg_temp.hs_changed)"
STATE_TABLES: Final[dict[str, tuple[tuple[Privilege, ...], str]]] = {
    "schema_version": ((Privilege.SELECT, Privilege.INSERT), "the migrations applied are counted in it"),
    "runs": ((Privilege.SELECT, Privilege.INSERT, Privilege.UPDATE), "each run is recorded in it"),
    "rejections": ((Privilege.SELECT, Privilege.INSERT, Privilege.UPDATE), "rejected and deferred rows are kept in it"),
    "status_baseline": (
        (Privilege.SELECT, Privilege.INSERT, Privilege.UPDATE),
        "status steps keep the values of the last sync in it",
    ),
    "conflicts": ((Privilege.SELECT, Privilege.INSERT), "status conflicts are recorded in it (`status` lists them)"),
    "watermarks": (
        (Privilege.SELECT, Privilege.INSERT, Privilege.UPDATE),
        "change detection keeps what each step last saw in it",
    ),
    "own_writes": (
        (Privilege.SELECT, Privilege.INSERT, Privilege.DELETE),
        "change detection keeps the ids of the job's own inserts in it",
    ),
}
"""What StateStore (job/state.py) does with each table of the state schema, for runs and the operator's commands."""


def scope_privileges(watches: Sequence[Watch]) -> Iterator[Need]:
    """What `scope` does for every step, whatever its kind: read the watched tables' row versions (xmin, which only a
    grant on the whole table lets a role read) and keep the changed keys of the first (the driver) in a temporary
    table."""
    for watch in watches:
        why = "its rows and their versions (xmin) are read to find the changed ones"
        yield Need.on_table(watch.side, watch.table, Privilege.SELECT, why)
    yield Need.on_database(watches[0].side, Privilege.TEMPORARY, CHANGED_KEYS)


def state_privileges(side: Side, schema: str, present: bool, migrations_pending: bool) -> Iterator[Need]:
    """What a run does with its state schema (StateStore.migrate, then the tables). Absent, the schema needs only
    CREATE on the database: the run creates it and owns what is in it. Present, CREATE on it only while a
    migration is still to be applied."""
    if not present:
        yield Need.on_database(side, Privilege.CREATE, f"the first run creates the schema {schema}")
        return
    yield Need(side, On.SCHEMA, schema, Privilege.USAGE, "the job's state tables are in it")
    if migrations_pending:
        yield Need(side, On.SCHEMA, schema, Privilege.CREATE, "this version's migrations add tables to it")
    for table, (privileges, why) in STATE_TABLES.items():
        for privilege in privileges:
            yield Need(side, On.TABLE, table, privilege, why, in_schema=schema)


@dataclass(frozen=True)
class Finding:
    """A need as the database answered it."""

    owner: str
    """Whose need: a step's name, or the state schema."""
    need: Need
    label: str
    """The object as a GRANT names it: quoted, tables and sequences with their schema."""
    held: bool
    lacking: tuple[tuple[str, str], ...] = ()
    """The columns (name, quoted name) a column need lacks."""
    column_grants: bool = False
    """The role holds this privilege on some columns of the table: what is missing is granted by column too."""


@dataclass
class Review:
    """Every need, as each database answered it."""

    findings: list[Finding] = field(default_factory=list)
    roles: dict[Side, str] = field(default_factory=dict)
    """The role the job connects as on each database, quoted."""
    failures: list[CheckLine] = field(default_factory=list)

    def lines(self, owner: str) -> Iterator[CheckLine]:
        """Per database, FAIL lines naming each privilege `owner` lacks and why it is needed, or one ok line
        summarising what it holds."""
        for side in Side:
            mine = [f for f in self.findings if f.owner == owner and f.need.side == side]
            missing = [f for f in mine if not f.held]
            if mine and not missing:
                yield CheckLine(True, f"{owner}: {side.upper()} privileges held: {_summary(mine)}")
            for (on, label, why), lacking in _lacking(missing).items():
                yield CheckLine(False, f"{owner}: {side.upper()} {on} {label} lacks {', '.join(lacking)}: {why}")

    def grants(self) -> dict[Side, list[str]]:
        """The GRANT statements that give each database's role everything it lacks (none: nothing is missing)."""
        found = {side: grant_statements(self.findings, side, self.roles[side]) for side in self.roles}
        return {side: statements for side, statements in found.items() if statements}


def review_privileges(dbs: dict[Side, Database], wanted: Sequence[tuple[str, Sequence[Need | Reads]]]) -> Review:
    """Ask each reachable database about the needs on it (owner, needs); a database that fails is reported."""
    review = Review()
    for side, db in dbs.items():
        mine = [(owner, item) for owner, items in wanted for item in items if item.side == side]
        try:
            with db.cursor() as cur:
                needs = _named_tables(cur, mine)
                needs += _default_sequences(cur, needs)
                needs += _schema_usage(cur, needs)
                review.findings += _answers(cur, list(dict.fromkeys(needs)))
                cur.execute("SELECT quote_ident(current_user)")
                review.roles[side] = str((cur.fetchone() or ("",))[0])
        except psycopg2.Error as exc:
            review.failures.append(CheckLine(False, f"{side.upper()} privileges not checked: {scrub(first_line(exc))}"))
        finally:
            db.conn.rollback()
    return review


def grant_statements(findings: Sequence[Finding], side: Side, role: str) -> list[str]:
    """One GRANT per object (one for all sequences) with only what is missing; a table whose privilege the role
    holds on some columns gets the missing columns, any other the whole table."""
    wanted: dict[tuple[On, str], dict[Privilege, dict[str, None] | None]] = {}
    for finding in findings:
        if finding.held or finding.need.side != side:
            continue
        privileges = wanted.setdefault((finding.need.on, finding.label), {})
        if finding.need.columns and finding.column_grants:
            columns = privileges.setdefault(finding.need.privilege, {})
            if columns is not None:
                columns.update(dict.fromkeys(quoted for _name, quoted in finding.lacking))
        else:
            privileges[finding.need.privilege] = None
    statements = []
    for (on, label), privileges in sorted(wanted.items(), key=lambda item: _RANK[item[0][0]]):
        if on is not On.SEQUENCE:
            listed = ", ".join(
                privilege if columns is None else f"{privilege} ({', '.join(columns)})"
                for privilege, columns in sorted(privileges.items(), key=lambda item: _RANK[item[0]])
            )
            statements.append(f"GRANT {listed} ON {_KEYWORDS[on]}{label} TO {role};")
    sequences = [label for on, label in wanted if on is On.SEQUENCE]
    if sequences:
        statements.append(f"GRANT USAGE ON SEQUENCE {', '.join(sequences)} TO {role};")
    return statements


_IDENTIFIER: Final = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
# Comments, string literals and {placeholders} are skipped; what is left of the names is kept, qualified or not.
_TOKENS: Final = re.compile(
    rf"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\{{[^}}]*\}}|(?P<name>{_IDENTIFIER}(?:\s*\.\s*{_IDENTIFIER})?)", re.DOTALL
)


def _relation(schema: str, name: str) -> str:
    """SQL for the oid of relation `name` in `schema`, or in the search path when `schema` is NULL. No to_regclass:
    it raises, or skips the schema, when the role may not use it, and the role's privileges are the question."""
    return (
        f"CASE WHEN {schema} IS NULL THEN ({_IN_SEARCH_PATH.format(name=name)}) ELSE (SELECT c.oid FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {schema} AND c.relname = {name}) END"
    )


# The first relation of that name in the schemas search_path names, whether the role may use them or not
# (current_schemas() leaves out those it may not).
_IN_SEARCH_PATH: Final = (
    "SELECT sc.oid FROM unnest(string_to_array(current_setting('search_path'), ',')) WITH ORDINALITY AS sp (item, n) "
    "JOIN pg_namespace sn ON sn.nspname = CASE btrim(sp.item) WHEN '\"$user\"' THEN current_user::text "
    "ELSE btrim(btrim(sp.item), '\"') END "
    "JOIN pg_class sc ON sc.relnamespace = sn.oid AND sc.relname = {name} ORDER BY sp.n LIMIT 1"
)


_NAMED: Final = _relation("CASE WHEN cardinality(p.parts) = 2 THEN p.parts[1] END", "p.parts[cardinality(p.parts)]")
_NAMED_SQL: Final = f"""
SELECT DISTINCT t.i, n.nspname, c.relname
FROM jsonb_to_recordset(%s::jsonb) AS t (i int, name text)
CROSS JOIN LATERAL (SELECT parse_ident(t.name) AS parts) AS p
JOIN pg_class c ON c.oid = {_NAMED}
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY 1, 2, 3
"""
# The sequences that the defaults of the columns an INSERT leaves out (all, for a table need) take values from.
_SEQUENCES_SQL: Final = f"""
SELECT t.i, q.nspname, s.relname, c.relname, a.attname
FROM jsonb_to_recordset(%s::jsonb) AS t (i int, nsp text, name text, cols text[])
JOIN pg_attrdef d ON d.adrelid = {_relation("t.nsp", "t.name")}
JOIN pg_class c ON c.oid = d.adrelid
JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum AND NOT a.attisdropped
JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid
     AND dep.refclassid = 'pg_class'::regclass
JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
JOIN pg_namespace q ON q.oid = s.relnamespace
WHERE t.cols IS NULL OR a.attname <> ALL (t.cols)
ORDER BY 1, 2, 3
"""
# One row per need and column; `present` false when the object or the column does not exist.
_ANSWERS_SQL: Final = f"""
WITH need AS (
    SELECT t.*,
           CASE WHEN t.kind IN ('table', 'sequence') THEN {_relation("t.nsp", "t.name")} END AS rel,
           CASE WHEN t.kind = 'schema' THEN (SELECT oid FROM pg_namespace WHERE nspname = t.name) END AS nsp_oid
    FROM jsonb_to_recordset(%s::jsonb) AS t (i int, kind text, nsp text, name text, priv text, col text)
)
SELECT n.i, n.col, quote_ident(n.col),
       CASE n.kind WHEN 'database' THEN quote_ident(current_database())
                   WHEN 'schema' THEN quote_ident(n.name)
                   ELSE quote_ident(s.nspname) || '.' || quote_ident(c.relname) END,
       CASE n.kind WHEN 'database' THEN true
                   WHEN 'schema' THEN n.nsp_oid IS NOT NULL
                   ELSE c.oid IS NOT NULL AND (n.col IS NULL OR a.attnum IS NOT NULL) END,
       CASE n.kind WHEN 'database' THEN has_database_privilege(current_database(), n.priv)
                   WHEN 'schema' THEN has_schema_privilege(n.nsp_oid, n.priv)
                   WHEN 'sequence' THEN has_sequence_privilege(c.oid, n.priv)
                   WHEN 'table' THEN CASE WHEN n.col IS NULL THEN has_table_privilege(c.oid, n.priv)
                                          ELSE has_column_privilege(c.oid, a.attnum, n.priv) END END,
       CASE WHEN n.kind = 'table' AND n.col IS NOT NULL THEN has_any_column_privilege(c.oid, n.priv) END
FROM need n
LEFT JOIN pg_class c ON c.oid = n.rel
LEFT JOIN pg_namespace s ON s.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = n.col AND a.attnum > 0 AND NOT a.attisdropped
"""


def _named_tables(cur: psycopg2.extensions.cursor, items: Sequence[tuple[str, Need | Reads]]) -> list[tuple[str, Need]]:
    """The needs, each Reads replaced by SELECT on the tables and views its query names."""
    needs = [(owner, item) for owner, item in items if isinstance(item, Need)]
    reads = [(owner, item) for owner, item in items if isinstance(item, Reads)]
    names = [{"i": i, "name": name} for i, (_owner, item) in enumerate(reads) for name in _names_in(item.query)]
    if names:
        cur.execute(_NAMED_SQL, (json.dumps(names),))
        for i, schema, table in cur.fetchall():
            owner, item = reads[i]
            needs.append((owner, Need(item.side, On.TABLE, table, Privilege.SELECT, item.why, in_schema=schema)))
    return needs


def _names_in(query: str) -> list[str]:
    return sorted({match["name"] for match in _TOKENS.finditer(query) if match["name"]})


_SCHEMAS_SQL: Final = f"""
SELECT DISTINCT t.i, n.nspname
FROM jsonb_to_recordset(%s::jsonb) AS t (i int, name text)
JOIN pg_class c ON c.oid = {_relation("NULL", "t.name")}
JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY 1, 2
"""


def _schema_usage(cur: psycopg2.extensions.cursor, needs: Sequence[tuple[str, Need]]) -> list[tuple[str, Need]]:
    """USAGE on the schema of each table and sequence the needs name, for the same owner, unless the owner names
    that need itself (the state schema does)."""
    objects = [(owner, need) for owner, need in needs if need.on in (On.TABLE, On.SEQUENCE)]
    schemas = {(owner, need.side, need.in_schema) for owner, need in objects if need.in_schema}
    in_path = [(owner, need) for owner, need in objects if not need.in_schema]
    if in_path:
        cur.execute(_SCHEMAS_SQL, (json.dumps([{"i": i, "name": need.name} for i, (_o, need) in enumerate(in_path)]),))
        schemas |= {(in_path[i][0], in_path[i][1].side, schema) for i, schema in cur.fetchall()}
    named = {(owner, need.side, need.name) for owner, need in needs if need.on is On.SCHEMA}
    why = "the tables it uses are in it"
    return [
        (owner, Need(side, On.SCHEMA, schema, Privilege.USAGE, why)) for owner, side, schema in sorted(schemas - named)
    ]


def _default_sequences(cur: psycopg2.extensions.cursor, needs: Sequence[tuple[str, Need]]) -> list[tuple[str, Need]]:
    """USAGE on each sequence a default of an INSERT need's table takes a value from, for the same owner."""
    inserts = [(owner, need) for owner, need in needs if need.on is On.TABLE and need.privilege is Privilege.INSERT]
    if not inserts:
        return []
    rows = [
        {"i": i, "nsp": need.in_schema, "name": need.name, "cols": list(need.columns) or None}
        for i, (_owner, need) in enumerate(inserts)
    ]
    cur.execute(_SEQUENCES_SQL, (json.dumps(rows),))
    found = []
    for i, schema, sequence, table, column in cur.fetchall():
        owner, need = inserts[i]
        why = f"the default of {table}.{column} takes its values from it"
        found.append((owner, Need(need.side, On.SEQUENCE, sequence, Privilege.USAGE, why, in_schema=schema)))
    return found


def _answers(cur: psycopg2.extensions.cursor, needs: Sequence[tuple[str, Need]]) -> list[Finding]:
    rows = [
        {
            "i": i,
            "kind": need.on.value,
            "nsp": need.in_schema,
            "name": need.name,
            "priv": _ASKED.get((need.on, need.privilege), need.privilege.value),
            "col": column,
        }
        for i, (_owner, need) in enumerate(needs)
        for column in need.columns or (None,)
    ]
    if not rows:
        return []
    cur.execute(_ANSWERS_SQL, (json.dumps(rows),))
    answers: dict[int, list[_Answer]] = {}
    for i, *answer in cur.fetchall():
        answers.setdefault(i, []).append(_Answer(*answer))
    findings = []
    for i, (owner, need) in enumerate(needs):
        present = [answer for answer in answers.get(i, []) if answer.present]
        if present:
            findings.append(_finding(owner, need, present))
    return findings


class _Answer(NamedTuple):
    """One row of _ANSWERS_SQL after the need's number: one per column of a column need, one for any other."""

    column: str | None
    quoted: str | None
    label: str
    present: bool
    held: bool | None
    column_grants: bool | None


def _finding(owner: str, need: Need, answers: list[_Answer]) -> Finding:
    return Finding(
        owner,
        need,
        label=answers[0].label,
        held=all(answer.held is True for answer in answers),
        lacking=tuple((a.column, a.quoted) for a in answers if a.held is not True and a.column and a.quoted),
        column_grants=any(answer.column_grants is True for answer in answers),
    )


def _lacking(findings: Iterable[Finding]) -> dict[tuple[On, str, str], list[str]]:
    """(object kind, object, why) → what it lacks ('INSERT', or 'UPDATE on a, b' when the role holds the privilege on
    other columns): the privileges an object lacks for the same reason make one line."""
    by_privilege: dict[tuple[On, str, Privilege], list[Finding]] = {}
    for finding in findings:
        by_privilege.setdefault((finding.need.on, finding.label, finding.need.privilege), []).append(finding)
    lacking: dict[tuple[On, str, str], list[str]] = {}
    for (on, label, privilege), group in by_privilege.items():
        whole = [finding for finding in group if not finding.need.columns or not finding.column_grants]
        if whole:
            lacking.setdefault((on, label, whole[0].need.why), []).append(privilege)
        else:
            columns = dict.fromkeys(name for finding in group for name, _quoted in finding.lacking)
            why = "; ".join(dict.fromkeys(finding.need.why for finding in group))
            lacking.setdefault((on, label, why), []).append(f"{privilege} on {', '.join(columns)}")
    return lacking


def _summary(findings: Iterable[Finding]) -> str:
    """'SELECT, INSERT on table public.plano; TEMPORARY on database db2'."""
    held: dict[tuple[On, str], set[Privilege]] = {}
    for finding in findings:
        held.setdefault((finding.need.on, finding.label), set()).add(finding.need.privilege)
    return "; ".join(
        f"{', '.join(p.value for p in sorted(privileges, key=_RANK.__getitem__))} on {on} {label}"
        for (on, label), privileges in held.items()
    )
