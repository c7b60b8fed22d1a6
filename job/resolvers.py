"""Values that need a lookup before a row is inserted, one statement or helper batch per row batch.

Resolvers are named in the flow declarations (Column.resolver); lookups and references are
declared generically (Column.lookup, CopyStep.references) and resolved here too.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg2.extensions
from psycopg2 import sql

from job.db import ColumnInfo, table_columns
from job.flow_model import Column, ExactlyOne, Lookup, Reference
from job.helper_client import Credentials, HelperClient, LookupResult, normalise_email
from job.rows import PendingRow

# bcrypt never produces a string that starts with '!', so no password can ever match this value.
UNUSABLE_PASSWORD: Final = "!unusable: the helper API has no password for this email"  # noqa: S105 - a marker, not a secret
# DB1 tables whose usernames must not collide with a new account's.
DB1_ACCOUNT_TABLES: Final = ("universitario", "anunciante")
USERNAME_SUFFIX_ROOM: Final = 4
USERNAME_NUMBERED: Final = 5
USERNAME_TRIES_PER_ROUND: Final = 4
USERNAME_ROUNDS: Final = 7


@dataclass
class ResolveContext:
    """What a resolver may use: the target cursor and the helper, with per-batch caches."""

    cur: psycopg2.extensions.cursor
    target_columns: dict[str, ColumnInfo]
    helper: HelperClient | None
    _tables: dict[str, dict[str, ColumnInfo]] = field(default_factory=dict)
    _helper_answers: dict[str, LookupResult] = field(default_factory=dict)

    def columns_of(self, table: str) -> dict[str, ColumnInfo]:
        if table not in self._tables:
            self._tables[table] = table_columns(self.cur, table)
        return self._tables[table]

    def start_batch(self) -> None:
        self._helper_answers.clear()

    def helper_answers(self, source_column: str, rows: Sequence[PendingRow]) -> LookupResult:
        """One helper lookup per batch, shared by the password and the photo columns."""
        if source_column not in self._helper_answers:
            if self.helper is None:
                raise RuntimeError("this step needs the helper API but no client was configured")
            emails = [str(row.source[source_column]) for row in rows if row.source.get(source_column)]
            self._helper_answers[source_column] = self.helper.lookup(emails)
        return self._helper_answers[source_column]


def username_base(name: str | None, email: str | None, max_length: int) -> str:
    """A readable login from the person's name ('Ana Lúcia' → 'ana.lucia'), else from the email."""
    room = max(1, max_length - USERNAME_SUFFIX_ROOM)
    for text in (name or "", (email or "").split("@")[0]):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        slug = re.sub(r"[^a-z0-9]+", ".", ascii_text).strip(".")[:room].strip(".")
        if slug:
            return slug
    return "user"


def username_candidates(base: str, key: str, round_: int) -> list[str]:
    """The names a row may take, in order of preference, round by round.

    Round 0: the base alone (most names are free). Round 1: base2 ... base5. A name as common as that is then
    given a four-digit suffix taken from the row's key (the same in plan and run), a few per round, instead of
    counting up a family of thousands one name at a time."""
    if round_ == 0:
        return [base]
    if round_ == 1:
        return [f"{base}{number}" for number in range(2, USERNAME_NUMBERED + 1)]
    digest = hashlib.sha256(f"{key}:{round_}".encode()).digest()
    numbers = (int.from_bytes(digest[2 * i : 2 * i + 2], "big") for i in range(USERNAME_TRIES_PER_ROUND))
    return [f"{base}{1000 + number % 9000}" for number in numbers]


def resolve_username(ctx: ResolveContext, column: Column, rows: list[PendingRow]) -> None:
    """A free username per row. The candidates of a whole batch are looked up at once, by equality (the
    unique index), so no query scans a table and a batch costs a few queries whatever the family sizes."""
    info = ctx.target_columns.get(column.target)
    max_length = info.max_length if info and info.max_length else 50
    bases = {
        row.key: username_base(row.source.get(column.source or ""), row.source.get("email"), max_length) for row in rows
    }
    tables = [table for table in DB1_ACCOUNT_TABLES if column.target in ctx.columns_of(table)]
    taken: set[str] = set()
    checked: set[str] = set()
    pending = rows
    for round_ in range(USERNAME_ROUNDS):
        if not pending:
            return
        offered = {row.key: username_candidates(bases[row.key], row.key, round_) for row in pending}
        wanted = {name for names in offered.values() for name in names} - checked
        taken |= _existing_usernames(ctx, column.target, tables, sorted(wanted))
        checked |= wanted
        unplaced = []
        for row in pending:
            chosen = next((name for name in offered[row.key] if name not in taken), None)
            if chosen is None:
                unplaced.append(row)
            else:
                taken.add(chosen)
                row.values[column.target] = chosen
        pending = unplaced
    for row in pending:
        row.defer(f"{column.target}: every username tried this run is taken (the base and its numbered forms)")


def _existing_usernames(ctx: ResolveContext, name: str, tables: list[str], candidates: list[str]) -> set[str]:
    # One index probe per candidate (LATERAL ... LIMIT 1 cannot become a join): for a few thousand
    # candidates the planner would otherwise scan the whole table once DB1 is large enough, and each
    # batch would cost more as DB1 grows.
    query = sql.SQL(" UNION ").join(
        sql.SQL(
            "SELECT hit.name FROM unnest(%(candidates)s::text[]) AS c (name) "
            "CROSS JOIN LATERAL (SELECT {col}::text AS name FROM {table} WHERE {col} = c.name LIMIT 1) AS hit"
        ).format(col=sql.Identifier(name), table=sql.Identifier(table))
        for table in tables
    )
    ctx.cur.execute(query, {"candidates": candidates})
    return {value for (value,) in ctx.cur.fetchall()}


Pick = Callable[[Credentials, ColumnInfo | None], tuple[str | None, str | None]]
"""A helper column's value from the helper's answer and the target column: (value, None) or (None, problem)."""


def _helper_resolver(pick: Pick) -> Callable[[ResolveContext, Column, list[PendingRow]], None]:
    def resolve(ctx: ResolveContext, column: Column, rows: list[PendingRow]) -> None:
        source = column.source or ""
        answers = ctx.helper_answers(source, rows)
        info = ctx.target_columns.get(column.target)
        for row in rows:
            email = normalise_email(str(row.source.get(source) or ""))
            if email in answers.unavailable:
                row.defer(f"helper API unavailable: {answers.unavailable[email]}")
            elif email in answers.found:
                value, problem = pick(answers.found[email], info)
                if problem:
                    row.reject(f"{column.target}: {problem}")
                else:
                    row.values[column.target] = value
            else:
                row.reject(f"{source} is empty: the helper API cannot be asked")

    return resolve


def _pick_password(found: Credentials, _info: ColumnInfo | None) -> tuple[str | None, str | None]:
    if found.password_problem:
        return None, found.password_problem
    return found.password_hash or UNUSABLE_PASSWORD, None


def _pick_photo(found: Credentials, info: ColumnInfo | None) -> tuple[str | None, str | None]:
    url, limit = found.photo_url, info.max_length if info else None
    if found.photo_problem:
        return None, found.photo_problem
    if url is not None and limit is not None and len(url) > limit:
        return None, f"the helper's photo URL for this account has {len(url)} characters, the column allows {limit}"
    return url, None


RESOLVERS: Final[dict[str, Callable[[ResolveContext, Column, list[PendingRow]], None]]] = {
    "username": resolve_username,
    "helper_password": _helper_resolver(_pick_password),
    "helper_photo": _helper_resolver(_pick_photo),
}


def _fetch_pairs(ctx: ResolveContext, table: str, key: str, value: str, keys: set[Any]) -> dict[str, Any]:
    info = ctx.columns_of(table).get(key)
    if info is None:
        raise psycopg2.ProgrammingError(f"table {table} has no column {key}")
    ctx.cur.execute(
        sql.SQL("SELECT {key}::text, {value} FROM {table} WHERE {key} = ANY(%s::{type}[])").format(
            key=sql.Identifier(key),
            value=sql.Identifier(value),
            table=sql.Identifier(table),
            type=sql.SQL(info.base_type),
        ),
        ([str(k) for k in keys],),
    )
    return dict(ctx.cur.fetchall())


def resolve_lookup(ctx: ResolveContext, column: Column, lookup: Lookup, rows: list[PendingRow]) -> None:
    """Column value = lookup.table.value where lookup.key = the source value."""
    source = column.source or ""
    found = _fetch_pairs(
        ctx,
        lookup.table,
        lookup.key,
        lookup.value,
        {row.source[source] for row in rows if row.source.get(source) is not None},
    )
    for row in rows:
        key = row.source.get(source)
        if key is not None and str(key) in found:
            row.values[column.target] = found[str(key)]
            continue
        reason = f"{column.target}: no {lookup.table} with {lookup.key} = {key} in the target"
        row.defer(reason) if lookup.missing == "defer" else row.reject(reason)


def check_reference(ctx: ResolveContext, reference: Reference, rows: list[PendingRow]) -> None:
    """Defer rows whose (non-null) reference points at a row the target does not have yet."""
    wanted = {row.values[reference.column] for row in rows if row.values.get(reference.column) is not None}
    if not wanted:
        return
    present = _fetch_pairs(ctx, reference.table, reference.key, reference.key, wanted)
    for row in rows:
        value = row.values.get(reference.column)
        if value is not None and str(value) not in present:
            row.defer(f"{reference.column}: {reference.table} {value} is not in the target yet")


def candidate_keys(value: object) -> tuple[str, ...]:
    """The keys a value offers: several (a `candidates` value), one, or none."""
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (str(value),)


def check_exactly_one(
    ctx: ResolveContext, rule: ExactlyOne, references: Sequence[Reference], rows: list[PendingRow]
) -> None:
    """Point each row at the one candidate of rule.columns the target holds, or reject or defer it (ExactlyOne)."""
    by_column = {reference.column: reference for reference in references}
    held = {column: _held_keys(ctx, by_column.get(column), column, rows) for column in rule.columns}
    for row in rows:
        offered = [(column, key) for column in rule.columns for key in candidate_keys(row.values.get(column))]
        kept = [(column, key) for column, key in offered if key in held[column]]
        row.values.update(dict.fromkeys(rule.columns))
        if len(kept) == 1:
            row.values[kept[0][0]] = kept[0][1]
        elif not offered:
            row.reject(rule.reason_if_none)
        elif not kept:
            row.defer(f"not in the target yet: {_named(offered, by_column)}")
        else:
            row.reject(f"{rule.reason_if_many}: {_named(kept, by_column)}")


def _held_keys(ctx: ResolveContext, reference: Reference | None, column: str, rows: list[PendingRow]) -> set[str]:
    """The column's candidate keys (of all rows) that its reference finds in the target; all of them without one."""
    wanted = {key for row in rows for key in candidate_keys(row.values.get(column))}
    if reference is None or not wanted:
        return wanted
    return set(_fetch_pairs(ctx, reference.table, reference.key, reference.key, wanted))


def _named(keys: list[tuple[str, str]], by_column: dict[str, Reference]) -> str:
    """'universitario 3f2a..., anunciante 9c1b...': the rows, by table and key."""
    return ", ".join(f"{by_column[column].table if column in by_column else column} {key}" for column, key in keys)
